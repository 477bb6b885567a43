"""Bundles the exported method policies with the app:

  .venv/bin/python scripts/methods/bundle.py OUT [--work-dir .cache/methods]

OUT is the folder `train.py export --out OUT` wrote (one subfolder per trained policy). For each:
writes its model card from its training.json, copies it to public/models/rolescope-method-<name>;
then writes the fixture CI checks the bundled policies against (test/fixtures/methods/models.json:
for the first held-out examples whose prompt fits whole, each trained PyTorch policy's greedy
output as the app decodes a policy, its reply, and the per-token log-probs of the golden reply
after rp-v1, as the app scores a response) and rebuilds public/models/manifest.json.
"""
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import policy  # noqa: E402  (puts scripts/corl on the path)

import lm  # noqa: E402
import stages  # noqa: E402
from hf_model import REPO  # noqa: E402

BASE, POLICY_TOKENS = policy.BASE, policy.POLICY_TOKENS

METHOD = {"sft": "SFT, continued (control)", "think": "thinking SFT", "rl": "SFT + RL (GRPO)"}
WHAT = {
    "sft": "the base trained further by SFT on the training rows' replies, with the thinking variant's budget: the "
           "control that separates the thought's effect from the extra training's",
    "think": "the base trained by SFT to write `<think>` a short thought `</think>` and then its reply; the thought is "
             "the CoRL cold-start target r* of the training sample. The app scores the reply alone",
    "rl": "the base trained by GRPO (TRL) with one reward, the word F1 of its reply with the training sample's reply",
}


def model_card(doc, model_id):
    name, rec, fig = doc["policy"], doc["stages"][doc["policy"]], doc["heldout"]
    s = rec["settings"]
    if "G" in s:
        how = (f"{s['steps']} GRPO steps x {s['prompts_per_step']} prompts x G={s['G']} completions (up to "
               f"{s['max_completion_length']} tokens), lr {s['lr']:g}, beta {s['beta']}, clip {s['epsilon']}, "
               f"{s['loss_type']}, temperature {s['temperature']}; reward {rec['reward_first_quarter']:.3f} -> "
               f"{rec['reward_last_quarter']:.3f} (first and last quarter of the steps)")
    else:
        how = (f"{s['steps']} steps ({s['epochs']} epochs x batch {s['batch_size']}), lr {s['lr']:g} {s['schedule']}, "
               f"LoRA {s['lora']}; loss {rec['loss_first_quarter']:.2f} -> {rec['loss_last_quarter']:.2f}")
    return "\n".join([
        f"# {model_id}", "",
        f"Bundled with Rolescope for the training-method comparison: **{METHOD[name]}**, {WHAT[name]}. Base: "
        f"`{doc['base']}` (itself an SFT policy trained from scratch on the same files) with a LoRA adapter merged "
        "into its weights. Trained on a 2-core CPU; the comparison and its limits are in the repository's "
        "`docs/methods/README.md`.", "",
        "## Data", "",
        f"{doc['stages']['data']['train']} training rows drawn (seed {doc['stages']['data']['seed']}) from the "
        "`valid` files of the demo models' public role-play data (Xpersona en, zh, jp, ko, fr, it, id and "
        "Synthetic-Persona-Chat; see `public/models/NOTICE`), the rows the CoRL pair was trained on; the demo "
        "benchmark is built from the `test` files, which training never reads.", "",
        "## Training", "", f"{how}. Wall time {rec['wall_s'] / 60:.0f} min on {rec['threads']} CPU thread(s) of a 2-core "
        "machine.", "",
        f"## Held-out figures ({fig['fitted']} valid-split examples never trained on)", "",
        f"Greedy output as the app decodes a policy (256 new tokens, repetition penalty 1.05): mean word F1 of the "
        f"reply with the golden reply {fig['reply_f1']:.3f}; empty replies {fig['empty_replies']:.1%}; outputs that "
        f"open a thought {fig['thinking_outputs']:.1%}.", "",
        "## Rebuild", "", "```", ".venv/bin/python scripts/methods/train.py data",
        f".venv/bin/python scripts/methods/train.py {name}",
        ".venv/bin/python scripts/methods/train.py export --out DIR && .venv/bin/python scripts/methods/bundle.py DIR",
        "```", "", "`training.json` beside this card holds the full record (loss or reward log)."]) + "\n"


def fixture(work_dir, names, n):
    held = [json.loads(line) for line in open(os.path.join(work_dir, "data", "heldout", "estimator.jsonl"),
                                              encoding="utf-8")]
    policies = {name: lm.load_model(BASE, os.path.join(work_dir, name, "adapter"), merged=True) for name in names}
    tok = next(iter(policies.values()))[1]
    examples = []
    for row in held:
        x = {k: row[k] for k in ("user_persona", "agent_character", "dialogue")}
        fitted, prompt = lm.fit(tok, x, policy.role_play_messages, reserve=POLICY_TOKENS)
        if fitted is None or len(fitted["dialogue"]) != len(x["dialogue"]):
            continue
        golden = policy.js_trim(row["golden"])
        ids, mask = lm.encode_span(tok, prompt, golden, 0, len(golden))
        outputs = {}
        for name, (model, _) in policies.items():
            text = lm.greedy(model, tok, [prompt], POLICY_TOKENS)[0]
            outputs[name] = {"text": policy.js_trim(text), "reply": policy.reply_of(text),
                             "golden_token_logprobs": lm.span_logprobs(model, tok, [(ids, mask)])[0]}
        examples.append({"id": row["id"], **x, "golden": golden, "messages": policy.role_play_messages(x),
                         "golden_token_ids": [t for t, m in zip(ids, mask) if m], "policies": outputs})
        if len(examples) == n:
            break
    return {"base": BASE, "generation": {"max_new_tokens": POLICY_TOKENS, "greedy": True,
                                         "repetition_penalty": lm.REPETITION_PENALTY},
            "policies": {name: f"rolescope-method-{name}" for name in names}, "examples": examples}


def main():
    a = stages.fixture_parser(__doc__, os.path.join(REPO, ".cache", "methods"),
                              os.path.join(REPO, "test", "fixtures", "methods", "models.json")).parse_args()
    names = [name for name in METHOD if os.path.isdir(os.path.join(a.out, name))]
    for name in names:
        dst = os.path.join(REPO, "public", "models", f"rolescope-method-{name}")
        shutil.rmtree(dst, ignore_errors=True)
        shutil.copytree(os.path.join(a.out, name), dst)
        with open(os.path.join(dst, "training.json"), encoding="utf-8") as f:
            doc = json.load(f)
        with open(os.path.join(dst, "README.md"), "w", encoding="utf-8") as f:
            f.write(model_card(doc, f"rolescope-method-{name}"))
        print(f"copied {a.out}/{name} -> {dst}")
    os.makedirs(os.path.dirname(a.fixture), exist_ok=True)
    with open(a.fixture, "w", encoding="utf-8") as f:
        json.dump(fixture(a.work_dir, names, a.n), f, indent=1, ensure_ascii=False)
    print(f"wrote {a.fixture}")
    subprocess.run(["npx", "tsx", "scripts/build-model-manifest.ts"], cwd=REPO, check=True)


if __name__ == "__main__":
    main()
