"""The bundled demo models as Hugging Face GPT-2, and back to the app's ONNX layout.

  .venv/bin/python scripts/corl/hf_model.py [--model rolescope-tiny-multi] [--roundtrip-dir DIR]

Run as a script it checks: HF logits == onnxruntime logits on a fixture prompt (1e-4), a left-padded
batch == unpadded rows, and (with --roundtrip-dir) that save_hf_as_demo_onnx re-exports a folder
that `node scripts/demo_models/check_onnx.mjs DIR/<model>` passes. check_onnx.mjs takes any folder
named after a fixture; for trained (changed) weights only its fixture-value checks (reference
logits, fixture log-probs) are expected to fail, the interface and generation checks still apply.
Everything is read from the repository; nothing is fetched from the Hub.
"""
import argparse
import contextlib
import copy
import functools
import importlib
import inspect
import json
import os
import sys
import tempfile

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import torch  # noqa: E402
from onnx import numpy_helper  # noqa: E402
from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DEMO_DIR = os.path.join(REPO, "scripts", "demo_models")


def _import_demo():
    """Imports demo_models' model/export/bpe without letting their `data` module shadow (or be
    shadowed by) another top-level `data`, e.g. scripts/corl/data.py when run from scripts/corl."""
    saved = sys.modules.pop("data", None)
    sys.path.insert(0, DEMO_DIR)
    try:
        mods = {n: importlib.import_module(n) for n in ("data", "model", "bpe", "export")}
    finally:
        sys.path.remove(DEMO_DIR)
        for n in ("data", "model", "bpe", "export"):
            sys.modules.pop(n, None)  # the imported modules keep their own references
        if saved is not None:
            sys.modules["data"] = saved
    return mods


DEMO = _import_demo()


class DemoGPT2LMHeadModel(GPT2LMHeadModel):
    """GPT-2 whose default positions follow the attention mask.

    transformers' GPT-2 numbers positions 0..T-1 when no position_ids are given, while generate()
    numbers them from the mask. With left padding (TRL pads prompts on the left) the scoring pass
    would then read the learned position embeddings at other offsets than sampling did. The app's
    ONNX graph takes explicit mask-derived positions, so this matches what the app computes too.
    """

    # logits_to_keep is named so that generate() still sees it in the signature and skips the
    # full-vocabulary logits of the prompt.
    def forward(self, input_ids=None, past_key_values=None, attention_mask=None, position_ids=None,
                logits_to_keep=0, **kwargs):
        if position_ids is None and attention_mask is not None and input_ids is not None:
            pos = attention_mask.long().cumsum(-1) - 1
            position_ids = pos.masked_fill(attention_mask == 0, 1)[:, -input_ids.shape[1]:]
        return super().forward(input_ids=input_ids, past_key_values=past_key_values, attention_mask=attention_mask,
                               position_ids=position_ids, logits_to_keep=logits_to_keep, **kwargs)


def model_dir(model_id):
    return model_id if os.path.isdir(model_id) else os.path.join(REPO, "public", "models", model_id)


def _onnx_weights(path):
    """Initializers by HF GPT-2 name. Named ones already carry `gpt.<hf name>`; the exporter stored
    each Linear weight pre-transposed as an anonymous `onnx::MatMul_*`, i.e. [in, out], which is
    exactly HF Conv1D's layout. Its owner is the bias added to that MatMul's output."""
    g = onnx.load(path).graph
    inits = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    consumers = {}
    for n in g.node:
        for x in n.input:
            consumers.setdefault(x, []).append(n)
    out = {k[len("gpt."):]: v for k, v in inits.items() if k.startswith("gpt.")}
    for n in g.node:
        w = next((x for x in n.input if x.startswith("onnx::MatMul")), None)
        if n.op_type != "MatMul" or w is None:
            continue
        add = next(c for c in consumers[n.output[0]] if c.op_type == "Add")
        bias = next(x for x in add.input if x.endswith(".bias"))
        out[bias[len("gpt."):-len(".bias")] + ".weight"] = inits[w]
    return out


def load_tokenizer(model_id):
    # The folder's tokenizer_config.json names PreTrainedTokenizerFast and carries the chat template
    # and the special tokens; tokenizer.json is the demo's byte-level BPE.
    tok = PreTrainedTokenizerFast.from_pretrained(model_dir(model_id))
    # No token_type_ids: GPT-2 would embed them through wte and add them to every position.
    tok.model_input_names = ["input_ids", "attention_mask"]
    assert tok.chat_template and tok.pad_token == "<|endoftext|>" and tok.eos_token == "<|im_end|>"
    return tok


def load_demo_as_hf(model_id):
    folder = model_dir(model_id)
    c = json.load(open(os.path.join(folder, "config.json"), encoding="utf-8"))
    w = _onnx_weights(os.path.join(folder, "onnx", "model.onnx"))
    assert w["wte.weight"].shape == (c["vocab_size"], c["n_embd"]) and w["wpe.weight"].shape[0] == c["n_positions"]
    cfg = GPT2Config(
        vocab_size=c["vocab_size"], n_positions=c["n_positions"], n_embd=c["n_embd"], n_layer=c["n_layer"],
        n_head=c["n_head"], n_inner=c["n_inner"], activation_function=c["activation_function"],
        layer_norm_epsilon=c["layer_norm_epsilon"], tie_word_embeddings=True,
        bos_token_id=c["bos_token_id"], eos_token_id=c["eos_token_id"], pad_token_id=c["pad_token_id"],
        # The demo models were trained without dropout; LoRA brings its own.
        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
    model = DemoGPT2LMHeadModel(cfg)
    sd = {"transformer." + k: torch.from_numpy(v.copy()) for k, v in w.items()}
    missing, unexpected = model.load_state_dict(sd, strict=False)
    # Only the tied head and GPT-2's non-persistent buffers may be absent from the ONNX file.
    assert not unexpected and all(k == "lm_head.weight" or k.endswith(".attn.bias") or k.endswith("masked_bias")
                                  for k in missing), (missing, unexpected)
    model.tie_weights()
    model.generation_config.update(do_sample=False, eos_token_id=cfg.eos_token_id, pad_token_id=cfg.pad_token_id)
    return model.eval(), load_tokenizer(model_id)


def save_hf_as_demo_onnx(hf_model, tokenizer, out_dir):
    """Writes a model folder the app loads (configs, tokenizer, onnx/model.onnx) with demo_models'
    own exporter, so the graph interface is the bundled models' one. A peft model is merged first."""
    if hasattr(hf_model, "merge_and_unload"):
        hf_model = copy.deepcopy(hf_model).merge_and_unload()
    c = hf_model.config
    cfg = DEMO["model"].GPTConfig(vocab_size=c.vocab_size, n_positions=c.n_positions, n_embd=c.n_embd,
                                  n_layer=c.n_layer, n_head=c.n_head, layer_norm_epsilon=c.layer_norm_epsilon)
    assert (c.n_inner or 4 * c.n_embd) == 4 * c.n_embd and c.activation_function == "gelu_new"
    gpt = DEMO["model"].GPT(cfg)
    sd = {}
    for k, v in hf_model.transformer.state_dict().items():
        if k.endswith(".attn.bias") or k.endswith("masked_bias"):
            continue
        # HF Conv1D stores [in, out]; the demo's nn.Linear stores [out, in].
        sd[k] = v.t().contiguous() if v.dim() == 2 and k.endswith(("c_attn.weight", "c_proj.weight", "c_fc.weight")) else v
    gpt.load_state_dict(sd, strict=True)
    os.makedirs(out_dir, exist_ok=True)
    # Rebuild the demo tokenizer object from the HF one, so write_configs writes the same files.
    with tempfile.TemporaryDirectory() as tmp:
        tokenizer.backend_tokenizer.save(os.path.join(tmp, "tokenizer.json"))
        tok = DEMO["bpe"].ByteLevelBPE.load(os.path.join(tmp, "tokenizer.json"))
    DEMO["export"].write_configs(out_dir, cfg, tok)
    with _legacy_onnx_exporter():
        return DEMO["export"].export_onnx(gpt, os.path.join(out_dir, "onnx", "model.onnx"))


@contextlib.contextmanager
def _legacy_onnx_exporter():
    """export.py targets the TorchScript exporter (dynamic_axes, opset 14), which was the default
    when the demo models were built; torch >= 2.9 defaults to the dynamo exporter, which cannot
    convert those dynamic_axes. Pin the old one for the duration of the call."""
    orig = torch.onnx.export
    if "dynamo" in inspect.signature(orig).parameters:
        torch.onnx.export = functools.partial(orig, dynamo=False)
    try:
        yield
    finally:
        torch.onnx.export = orig


def ort_logits(folder, ids):
    import onnxruntime as ort
    sess = ort.InferenceSession(os.path.join(folder, "onnx", "model.onnx"), providers=["CPUExecutionProvider"])
    c = json.load(open(os.path.join(folder, "config.json"), encoding="utf-8"))
    feeds = {"input_ids": np.array([ids], dtype=np.int64), "attention_mask": np.ones((1, len(ids)), dtype=np.int64),
             "position_ids": np.arange(len(ids), dtype=np.int64)[None], "num_logits_to_keep": np.array(0, dtype=np.int64)}
    hd = c["n_embd"] // c["n_head"]
    for i in range(c["n_layer"]):
        for kind in ("key", "value"):
            feeds[f"past_key_values.{i}.{kind}"] = np.zeros((1, c["n_head"], 0, hd), dtype=np.float32)
    return sess.run(["logits"], feeds)[0][0]


def check(model_id, tol=1e-4):
    """HF vs onnxruntime on a fixture role-play prompt, plus left padding vs no padding."""
    model, tok = load_demo_as_hf(model_id)
    fx = json.load(open(os.path.join(REPO, "test", "fixtures", "demo-models", f"{os.path.basename(model_id)}.json"),
                        encoding="utf-8"))
    ex = fx["examples"][0]
    ids = tok(ex["text"])["input_ids"]
    assert ids == ex["token_ids"], "HF tokenizer ids differ from the fixture"
    assert tok.apply_chat_template(ex["messages"], tokenize=False) == ex["text"], "chat template differs"
    with torch.no_grad():
        hf = model(torch.tensor([ids])).logits[0].numpy()
        d = float(np.abs(hf - ort_logits(model_dir(model_id), ids)).max())
        short = fx["examples"][1]["token_ids"][:40]
        pad = len(ids) - len(short)
        batch = torch.tensor([ids, [tok.pad_token_id] * pad + short])
        mask = torch.tensor([[1] * len(ids), [0] * pad + [1] * len(short)])
        lp = model(batch, attention_mask=mask).logits[1, pad:]
        dpad = float((lp - model(torch.tensor([short])).logits[0]).abs().max())
    print(f"{model_id}: {len(ids)} tokens, max |HF - ORT| logits {d:.2e}; left-padded vs unpadded {dpad:.2e}")
    assert d <= tol and dpad <= tol
    return model, tok


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="rolescope-tiny-multi")
    p.add_argument("--roundtrip-dir", help="also re-export to DIR/<model> (then run check_onnx.mjs on it)")
    a = p.parse_args()
    m, t = check(a.model)
    if a.roundtrip_dir:
        out = os.path.join(a.roundtrip_dir, os.path.basename(a.model))
        size = save_hf_as_demo_onnx(m, t, out)
        print(f"wrote {out} ({size} bytes); verify: node scripts/demo_models/check_onnx.mjs {out}")
