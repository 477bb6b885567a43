"""Checks that train.py's exported model folders compute what the trained HF models compute.

  .venv/bin/python scripts/corl/check_export.py OUT [--work-dir .cache/corl] [--tokens 48]

For OUT/thought and OUT/estimator: reloads the adapter named in training.json (`from_stage`),
merges it, and compares greedy decoding of one held-out prompt (th-v1, or est-v1 with r*) by HF
transformers with greedy decoding by onnxruntime on the exported graph (full recompute each step,
mask-derived positions, as hf_model.ort_logits feeds it). The folders hold trained weights, so
check_onnx.mjs's fixture-value checks do not apply; this is the check that the export is faithful.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402

import lm  # noqa: E402
from hf_model import REPO  # noqa: E402
from prompts import estimator_messages, thought_messages  # noqa: E402


def ort_greedy(folder, ids, n, eos):
    sess = ort.InferenceSession(os.path.join(folder, "onnx", "model.onnx"), providers=["CPUExecutionProvider"])
    c = json.load(open(os.path.join(folder, "config.json"), encoding="utf-8"))
    hd, out = c["n_embd"] // c["n_head"], []
    for _ in range(n):
        seq = ids + out
        feeds = {"input_ids": np.array([seq], dtype=np.int64), "attention_mask": np.ones((1, len(seq)), dtype=np.int64),
                 "position_ids": np.arange(len(seq), dtype=np.int64)[None], "num_logits_to_keep": np.array(1, dtype=np.int64)}
        for i in range(c["n_layer"]):
            for kind in ("key", "value"):
                feeds[f"past_key_values.{i}.{kind}"] = np.zeros((1, c["n_head"], 0, hd), dtype=np.float32)
        nxt = int(sess.run(["logits"], feeds)[0][0, -1].argmax())
        out.append(nxt)
        if nxt == eos:
            break
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--work-dir", default=os.path.join(REPO, ".cache", "corl"))
    p.add_argument("--tokens", type=int, default=48)
    a = p.parse_args()
    ok = True
    for kind in ("thought", "estimator"):
        folder = os.path.join(a.out, kind)
        meta = json.load(open(os.path.join(folder, "training.json"), encoding="utf-8"))
        model, tok = lm.load_model(meta["base"], os.path.join(a.work_dir, meta["from_stage"], "adapter"), merged=True)
        row = json.loads(open(os.path.join(a.work_dir, "data", "heldout", f"{kind}.jsonl"), encoding="utf-8").readline())
        x = {k: row[k] for k in ("user_persona", "agent_character", "dialogue")}
        make = thought_messages if kind == "thought" else (lambda e: estimator_messages(e, row["reasoning"]))
        _, prompt = lm.fit(tok, x, make, reserve=a.tokens)
        ids = tok(prompt)["input_ids"]
        hf = model.generate(input_ids=lm.torch.tensor([ids]), max_new_tokens=a.tokens, do_sample=False,
                            eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)[0, len(ids):].tolist()
        onnx = ort_greedy(folder, ids, a.tokens, tok.eos_token_id)
        same = hf == onnx
        ok &= same
        print(f"{kind} ({meta['from_stage']}): {len(ids)} prompt tokens, HF {len(hf)} / ORT {len(onnx)} new tokens, "
              f"{'identical' if same else 'DIFFERENT'}: {tok.decode(hf, skip_special_tokens=True)!r}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
