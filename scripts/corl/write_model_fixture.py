"""Writes the fixture the bundled CoRL models are checked against in CI, without Python:

  .venv/bin/python scripts/corl/write_model_fixture.py OUT [--work-dir .cache/corl] [--n 3]
      [--fixture test/fixtures/corl/models.json]

OUT is a folder train.py's export wrote (thought/ and estimator/, each with training.json naming
its stage). For the first N held-out (valid split) examples whose thought prompt fits the window
whole, with the trained PyTorch models (adapter merged, not the exported ONNX):
- the thought policy's greedy r for x, decoded as the app decodes r (128 new tokens, repetition
  penalty 1.05), trimmed as the app trims it;
- the estimator's per-token log-probs of the golden response y* after (x, that r), est-v1, the
  response after `## Agent Response\\n`, as the app scores it.
test/integration/corl-models.test.ts loads the bundled folders in onnxruntime and requires the
same r and the same log-probs (within 1e-4).
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lm  # noqa: E402
import stages  # noqa: E402
from hf_model import REPO  # noqa: E402
from prompts import estimator_messages, js_trim, thought_messages  # noqa: E402

THOUGHT_TOKENS = 128  # THOUGHT_GENERATION.maxNewTokens


def load(folder, work_dir):
    meta = json.load(open(os.path.join(folder, "training.json"), encoding="utf-8"))
    model, tok = lm.load_model(meta["base"], os.path.join(work_dir, meta["from_stage"], "adapter"), merged=True)
    return model, tok, meta


def main():
    a = stages.fixture_parser(__doc__, os.path.join(REPO, ".cache", "corl"),
                              os.path.join(REPO, "test", "fixtures", "corl", "models.json")).parse_args()
    thought, tok, t_meta = load(os.path.join(a.out, "thought"), a.work_dir)
    estimator, _, e_meta = load(os.path.join(a.out, "estimator"), a.work_dir)
    rows = [json.loads(line) for line in open(os.path.join(a.work_dir, "data", "heldout", "estimator.jsonl"),
                                              encoding="utf-8")]
    examples = []
    for row in rows:
        x = {k: row[k] for k in ("user_persona", "agent_character", "dialogue")}
        fitted, prompt = lm.fit(tok, x, thought_messages, reserve=THOUGHT_TOKENS)
        if fitted is None or len(fitted["dialogue"]) != len(x["dialogue"]):
            continue
        r = js_trim(lm.greedy(thought, tok, [prompt], THOUGHT_TOKENS)[0])
        item = lm.golden_items(tok, [x], [r], [row["golden"]])[0]
        if item is None:
            continue
        ids, mask = item
        logprobs = lm.span_logprobs(estimator, tok, [item])[0]
        examples.append({"id": row["id"], **x, "golden": js_trim(row["golden"]),
                         "thought_messages": thought_messages(x), "r": r,
                         "estimator_messages": estimator_messages(x, r),
                         "response_token_ids": [t for t, m in zip(ids, mask) if m],
                         "response_token_logprobs": logprobs})
        if len(examples) == a.n:
            break
    doc = {"thought": {"stage": t_meta["from_stage"], "base": t_meta["base"]},
           "estimator": {"stage": e_meta["from_stage"], "base": e_meta["base"]},
           "thought_generation": {"max_new_tokens": THOUGHT_TOKENS, "greedy": True,
                                  "repetition_penalty": lm.REPETITION_PENALTY},
           "examples": examples}
    os.makedirs(os.path.dirname(a.fixture), exist_ok=True)
    with open(a.fixture, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
    print(f"wrote {a.fixture}: {len(examples)} examples; first r: {examples[0]['r']!r}")


if __name__ == "__main__":
    main()
