"""Does the estimator use r when all its weights train, not only LoRA adapters? A probe, not a stage:

  .venv/bin/python scripts/corl/probe_full_ft.py [--epochs 1] [--lr 1e-4]

Fine-tunes the whole base model (rolescope-tiny-multi) on the cold-start estimator rows,
(x, r*) -> `## Agent Response` y*, then prints the held-out golden perplexity with r*, with an
empty r and with another held-out sample's r*. If r* (built from y*) does not lower it below the
empty r, the estimator has not learned to read r, whatever the thought policy writes. Needs
train.py's data stage (.cache/corl/data).
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402

import lm  # noqa: E402
from hf_model import REPO  # noqa: E402
from prompts import estimator_messages  # noqa: E402


def x_of(row):
    return {k: row[k] for k in ("user_persona", "agent_character", "dialogue")}


def read(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--work-dir", default=os.path.join(REPO, ".cache", "corl"))
    a = p.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(1234)
    rows = read(os.path.join(a.work_dir, "data", "train", "estimator.jsonl"))
    model, tok = lm.load_base("rolescope-tiny-multi")
    items = [lm.sft_item(tok, x_of(r), lambda e, rr=r["reasoning"]: estimator_messages(e, rr),
                         r["completion"][0]["content"]) for r in rows]
    t0 = time.perf_counter()
    lm.sft(model.train(), tok, [i for i in items if i is not None], a.epochs, 16, lr=a.lr, seed=1234, log_every=25)
    print(f"full fine-tuning: {time.perf_counter() - t0:.0f} s")
    held = read(os.path.join(a.work_dir, "data", "heldout", "estimator.jsonl"))
    xs, goldens, score = [x_of(r) for r in held], [r["golden"] for r in held], lm.make_score_fn(model.eval(), tok)
    for name, rs in [("r*", [r["reasoning"] for r in held]), ("empty r", [""] * len(held)),
                     ("another sample's r*", [held[(i + 1) % len(held)]["reasoning"] for i in range(len(held))])]:
        ppl, n = lm.perplexity(score(xs, rs, goldens))
        print(f"held-out golden perplexity with {name}: {ppl:.2f} ({n} tokens)")


if __name__ == "__main__":
    main()
