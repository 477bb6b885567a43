"""Role-play policies trained by different methods from one base and one data set, as resumable stages.

  .venv/bin/python scripts/methods/train.py data          # the CoRL trainer's rows: 2000 training + 200 held out, valid files only
  .venv/bin/python scripts/methods/train.py sft           # more SFT (LoRA), the thinking variant's budget without thoughts
  .venv/bin/python scripts/methods/train.py think         # thinking SFT: <think> thought </think> reply
  .venv/bin/python scripts/methods/train.py rl            # GRPO from the base: word F1 of the reply with the training reply
  .venv/bin/python scripts/methods/train.py export --out DIR   # every trained policy in the app's ONNX layout, with a card
  .venv/bin/python scripts/methods/train.py import [--policies sft think]   # rebuild policies from public/models
  .venv/bin/python scripts/methods/train.py all --smoke --out DIR

The base is `rolescope-tiny-multi`, itself an SFT policy (trained from scratch on the same valid
files, scripts/demo_models): it is the "SFT" of the comparison. Every other policy starts from it
with a LoRA adapter and the same training rows (the CoRL trainer's data stage, seed 1234), so the
policies differ in method only. `sft` is the control for `think`: the same rows, steps and
settings, the reply alone as target, so a difference between the two is the thought's and not
the extra training's. The thinking target's thought is the CoRL cold-start target r*
(scripts/corl/targets.py), built from the training sample's own reply.

Each stage writes under --work-dir (default .cache/methods) and ends with its done.json; a done
stage is skipped unless --force.
"""
import importlib.util
import json
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import policy  # noqa: E402  (puts scripts/corl on the path)

import torch  # noqa: E402

import lm  # noqa: E402
import resume  # noqa: E402
import rl  # noqa: E402
import stages  # noqa: E402
from hf_model import REPO, save_hf_as_demo_onnx  # noqa: E402

# scripts/corl/train.py, loaded by path: this file has the same module name.
_spec = importlib.util.spec_from_file_location("corl_train", os.path.join(HERE, "..", "corl", "train.py"))
corl_train = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corl_train)
read_jsonl = corl_train.read_jsonl

BASE, POLICY_TOKENS = policy.BASE, policy.POLICY_TOKENS
STAGES = ["data", "sft", "think", "rl", "export"]
TRAINED = ("sft", "think", "rl")


def rows(a, split):
    """Training rows: x's columns, the golden reply and the thought target r*."""
    return [{"id": r["id"], "user_persona": r["user_persona"], "agent_character": r["agent_character"],
             "dialogue": r["dialogue"], "golden": r["golden"], "thought": r["reasoning"]}
            for r in read_jsonl(os.path.join(a.work_dir, "data", split, "estimator.jsonl"))]


def stage_data(a, out):
    """The CoRL trainer's data stage verbatim (same seed and sizes), so both trainers read the same rows."""
    ca, _ = corl_train.parse_args(["data", "--work-dir", a.work_dir, "--seed", str(a.seed), "--max-examples", str(a.max_examples),
                       "--heldout", str(a.heldout)])
    return corl_train.stage_data(ca, out)


def stage_sft(a, out, thinking):
    model, tok = lm.load_model(BASE, trainable=True)
    train = rows(a, "train")
    targets = [policy.thinking_completion(r["thought"], r["golden"]) if thinking else policy.js_trim(r["golden"])
               for r in train]
    items = [lm.sft_item(tok, r, policy.role_play_messages, t) for r, t in zip(train, targets)]
    kept = [it for it in items if it is not None]
    print(f"  {len(kept)} of {len(train)} rows fit the window", flush=True)
    log, settings = lm.sft(model, tok, kept, a.sft_epochs, a.sft_batch, max_steps=a.sft_max_steps, seed=a.seed)
    model.save_pretrained(os.path.join(out, "adapter"))
    q = max(1, len(log) // 4)
    return {"method": "thinking SFT" if thinking else "SFT", "rows": len(train), "fitted": len(kept), "loss_log": log,
            "loss_first_quarter": sum(v for _, v in log[:q]) / q, "loss_last_quarter": sum(v for _, v in log[-q:]) / q,
            "target": "<think> r* </think> reply" if thinking else "reply",
            "settings": {**settings, "epochs": a.sft_epochs, "warmup": 0.03, "schedule": "cosine", "grad_clip": 0.3,
                         "lora": "r 16, alpha 32, dropout 0.05, c_attn c_proj c_fc"}}


def stage_rl(a, out):
    model, tok = lm.load_model(BASE, trainable=True)
    prompts, skipped = [], 0
    for r in rows(a, "train"):
        x, prompt = lm.fit(tok, r, policy.role_play_messages, reserve=a.rl_tokens)
        if x is None:
            skipped += 1
            continue
        prompts.append({"prompt": prompt, "golden": r["golden"]})
    trl_dir = os.path.join(out, "trl")
    if a.force:
        shutil.rmtree(trl_dir, ignore_errors=True)  # a forced stage starts over, not from a checkpoint
    trainer, secs, log = rl.grpo(model, tok, prompts, [policy.trl_reply_f1], trl_dir, a.rl_steps,
                                 a.prompts_per_step, a.rl_tokens, a.rl_lr, a.seed, save_every=a.rl_save_every)
    trainer.model.save_pretrained(os.path.join(out, "adapter"))
    return {"method": "SFT + RL (GRPO)", "prompts": len(prompts), "skipped": skipped, "log": log,
            "reward": "word F1 of the reply with the training sample's reply", **rl.summarize(log, secs),
            "settings": {"G": rl.G, "steps": a.rl_steps, "prompts_per_step": a.prompts_per_step, "beta": 0.0,
                         "epsilon": 0.2, "loss_type": "bnpo", "scale_rewards": True, "num_iterations": 1,
                         "temperature": 1.0, "lr": a.rl_lr, "max_completion_length": a.rl_tokens}}


def heldout_figures(a, model, tok):
    """On the held-out rows, the greedy output as the app decodes a policy (256 new tokens,
    repetition penalty 1.05): mean word F1 of its reply with the golden reply, the share of empty
    replies and of outputs that opened a thought."""
    held = rows(a, "heldout")
    fitted = [lm.fit(tok, r, policy.role_play_messages, reserve=POLICY_TOKENS)[1] for r in held]
    pairs = [(r, p) for r, p in zip(held, fitted) if p is not None]
    outputs = lm.greedy(model, tok, [p for _, p in pairs], POLICY_TOKENS)
    replies = [policy.reply_of(o) for o in outputs]
    n = len(pairs)
    return {"heldout": len(held), "fitted": n,
            "reply_f1": sum(policy.word_f1(y, r["golden"]) for y, (r, _) in zip(replies, pairs)) / n,
            "empty_replies": sum(not y for y in replies) / n,
            "thinking_outputs": sum(o.lstrip().startswith(policy.THINK_OPEN) for o in outputs) / n,
            "examples": [{"id": r["id"], "output": o} for o, (r, _) in zip(outputs[:3], pairs)]}


def stage_export(a, out):
    if not a.out:
        sys.exit("export needs --out DIR")
    data = json.load(open(os.path.join(a.work_dir, "data", "done.json"), encoding="utf-8"))
    figures = {}
    for name in ("base",) + TRAINED:
        done = os.path.join(a.work_dir, name, "done.json")
        if name != "base" and not os.path.exists(done):
            print(f"  {name}: not trained, skipped")
            continue
        adapter = None if name == "base" else os.path.join(a.work_dir, name, "adapter")
        model, tok = lm.load_model(BASE, adapter, merged=adapter is not None)
        fig = heldout_figures(a, model, tok)
        figures[name] = {k: v for k, v in fig.items() if k != "examples"}
        print(f"  {name}: {figures[name]}", flush=True)
        if name == "base":
            continue
        folder = os.path.join(a.out, name)
        save_hf_as_demo_onnx(model, tok, folder)
        doc = {"policy": name, "base": BASE, "stages": {"data": data, name: json.load(open(done, encoding="utf-8"))},
               "heldout": fig}
        with open(os.path.join(folder, "training.json"), "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1, ensure_ascii=False)
    return {"out": a.out, "heldout": figures}


def stage_import(a):
    """The sft and think policies rebuilt from their exported (merged) folders in --from, so that
    one stage (say rl) can be retrained and exported beside them once the work folder is gone.
    The data stage must have run here with the settings they were trained on."""
    data_done = os.path.join(a.work_dir, "data", "done.json")
    if not os.path.exists(data_done):
        sys.exit(f"{data_done} is missing: run the data stage first (with the policies' --seed and sizes)")
    data_rec = json.load(open(data_done, encoding="utf-8"))
    tok = lm.load_base(BASE)[1]
    probe = torch.tensor([tok("<|im_start|>user\nHello there, how are you?<|im_end|>\n")["input_ids"]])
    for name in a.policies:
        folder = os.path.join(a.from_dir, f"rolescope-method-{name}")
        out = os.path.join(a.work_dir, name)
        if os.path.exists(os.path.join(out, "done.json")) and not a.force:
            print(f"[import {name}] {out}/done.json exists; --force to replace it")
            continue
        doc = json.load(open(os.path.join(folder, "training.json"), encoding="utf-8"))
        mismatch = [key for key in corl_train.DATA_KEYS if doc["stages"]["data"].get(key) != data_rec.get(key)]
        if mismatch:
            sys.exit(f"{folder} was trained on other data rows (differs in {mismatch}): rerun the data stage to match")
        model, _, check = resume.adapter_from_merged(BASE, folder, probe)
        print(f"[import {name}] {check}", flush=True)
        model.save_pretrained(os.path.join(out, "adapter"))
        rec = {**doc["stages"][name], "imported_from": os.path.relpath(folder, REPO), "import_check": check}
        with open(os.path.join(out, "done.json"), "w", encoding="utf-8") as f:
            json.dump(rec, f, indent=1, ensure_ascii=False)


def run_stage(a, stage):
    out = os.path.join(a.work_dir, stage)
    run = {"data": lambda: stage_data(a, out), "sft": lambda: stage_sft(a, out, thinking=False),
           "think": lambda: stage_sft(a, out, thinking=True), "rl": lambda: stage_rl(a, out),
           "export": lambda: stage_export(a, out)}[stage]
    stages.run_recorded(out, stage, run, a.force, {"threads": a.threads, "smoke": a.smoke}, always=stage == "export")


def parse_args(argv=None):
    p = stages.training_parser(__doc__.split("\n")[0], STAGES + ["import", "all"],
                               "GRPO learning rate")
    p.add_argument("--out", help="export: the folder for one subfolder per trained policy")
    p.add_argument("--from", dest="from_dir", default=os.path.join(REPO, "public", "models"),
                   help="import: the folder holding rolescope-method-<policy>/")
    p.add_argument("--policies", nargs="+", default=["sft", "think"], choices=TRAINED, help="import: which to rebuild")
    p.add_argument("--rl-tokens", type=int, default=64, help="completion limit while sampling in GRPO")
    p.add_argument("--rl-save-every", type=int, default=50,
                   help="rl: a checkpoint every N steps; an interrupted rl stage resumes from the latest")
    # The bundled RL policy's budget: at the CoRL trainer's 100 steps x 2 prompts and 5e-5 its
    # reward stayed flat (0.112 -> 0.108), so this trainer takes 4x the samples and 4x the step size.
    p.set_defaults(rl_steps=200, prompts_per_step=4, rl_lr=2e-4)
    return stages.finish_args(p.parse_args(argv), REPO, "methods")


def main():
    a = parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    if a.stage == "import":
        return stage_import(a)
    for stage in (STAGES if a.stage == "all" else [a.stage]):
        run_stage(a, stage)


if __name__ == "__main__":
    main()
