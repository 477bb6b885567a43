"""A CoRL iteration's training state rebuilt from its exported models (train.py's `import` stage).

An exported CoRL model is the base with its LoRA adapter merged in: each adapted weight is
W + s * B A with A [16, in], B [out, 16] and s = alpha / rank, every other weight the base's. So
the difference from the base is of rank at most 16 and the SVD recovers factors with exactly that
product (a balanced split of it: the adapter's function, not its original A and B, which are one
of many factorisations of the same product). The next iteration then trains on from the pair that
was shipped, as train.py would from its own saved adapters, once a work folder is gone.
"""
import torch
from peft import get_peft_model

import lm
from hf_model import load_demo_as_hf

ADAPTED = ("c_attn.weight", "c_proj.weight", "c_fc.weight")  # lm.lora_config's demo target modules
MAX_RELATIVE_RESIDUAL = 1e-4  # fp32 merge and export noise is ~1e-7 of the update; more means not LoRA
MAX_LOGIT_DIFF = 1e-4


def lora_factors(delta, rank, scaling):
    """A [rank, in] and B [out, rank] with s * B @ A = delta ([out, in]) as closely as rank allows,
    splitting the singular values evenly between them; and the relative residual (Frobenius)."""
    m = delta.double() / scaling
    u, sv, vh = torch.linalg.svd(m, full_matrices=False)
    root = sv[:rank].sqrt()
    b, a = u[:, :rank] * root, root[:, None] * vh[:rank]
    norm = m.norm().item()
    residual = (m - b @ a).norm().item() / norm if norm > 0 else 0.0
    return a.float(), b.float(), residual


@torch.no_grad()
def adapter_from_merged(base_id, merged_folder, probe_ids):
    """A trainable peft model on base_id whose adapter reproduces the merged model in
    merged_folder, and the checks that it does: the largest relative residual of a factorised
    update and the largest logit difference from the merged model on probe_ids ([1, T] tokens).
    Raises if a weight outside the adapted layers differs or either check fails."""
    base, tok = lm.load_base(base_id)
    merged, _ = load_demo_as_hf(merged_folder)
    base_sd = {k: v.clone() for k, v in base.state_dict().items()}
    merged_sd = merged.state_dict()
    changed = [k for k in base_sd if not torch.equal(base_sd[k], merged_sd[k])]
    stray = [k for k in changed if not k.endswith(ADAPTED)]
    if stray:
        raise ValueError(f"{merged_folder} differs from {base_id} outside the LoRA layers: {stray[:5]}")
    model = get_peft_model(base, lm.lora_config(base_id))
    worst = 0.0
    for name, module in model.named_modules():
        if not (hasattr(module, "lora_A") and "default" in module.lora_A):
            continue
        key = name.split("base_model.model.", 1)[1] + ".weight"
        # GPT-2's Conv1D stores [in, out]; peft's update B @ A is [out, in] (fan_in_fan_out).
        delta = (merged_sd[key] - base_sd[key]).t()
        a, b, residual = lora_factors(delta, module.r["default"], module.scaling["default"])
        module.lora_A["default"].weight.copy_(a)
        module.lora_B["default"].weight.copy_(b)
        worst = max(worst, residual)
    model.eval()
    diff = (model(input_ids=probe_ids).logits - merged(input_ids=probe_ids).logits).abs().max().item()
    if worst > MAX_RELATIVE_RESIDUAL or diff > MAX_LOGIT_DIFF:
        raise ValueError(f"{merged_folder} is not {base_id} plus a rank-16 update: residual {worst:.2e}, "
                         f"logit difference {diff:.2e}")
    return model.train(), tok, {"max_relative_residual": worst, "max_logit_diff": diff,
                                "changed_weights": len(changed)}
