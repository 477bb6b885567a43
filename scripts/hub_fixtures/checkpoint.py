"""A family's tiny random-weight checkpoint (transformers `from_config`, seeded), saved as the Hub has it."""
import json
import os

import torch


def build_checkpoint(family, out_dir):
    from transformers import AutoConfig, AutoModelForCausalLM, GenerationConfig

    fields = dict(family.config)
    model_type = fields.pop("model_type")
    config = AutoConfig.for_model(model_type, **fields)
    config.torch_dtype = "float32"
    torch.manual_seed(family.seed)
    model = AutoModelForCausalLM.from_config(config, attn_implementation="eager").eval()
    with torch.no_grad():
        for name, param in model.named_parameters():
            if name.endswith("norm.weight") or "layernorm" in name or "_norm" in name:
                # Norm gains near their identity (1, or 0 where the family adds 1), varied so that a
                # norm applied wrongly shows.
                base = 0.0 if model_type.startswith("gemma") else 1.0
                param.copy_(base + 0.1 * torch.randn_like(param))
            elif name.endswith("bias"):
                param.copy_(0.1 * torch.randn_like(param))
            # Hub checkpoints are bf16: their fp32 exports hold bf16 values (and compress like them).
            param.copy_(param.to(torch.bfloat16).to(torch.float32))
    os.makedirs(out_dir, exist_ok=True)
    model.save_pretrained(out_dir, safe_serialization=True)
    eos = fields.get("eos_token_id")
    GenerationConfig(bos_token_id=fields.get("bos_token_id"), eos_token_id=eos,
                     pad_token_id=fields.get("pad_token_id")).save_pretrained(out_dir)
    return model
