"""CoRL at the scale of the bundled demo models (docs/method.md section 5), as resumable stages.

  .venv/bin/python scripts/corl/train.py data              [--max-examples 2000 --heldout 200]
  .venv/bin/python scripts/corl/train.py sft-thought       # cold start, x -> r*
  .venv/bin/python scripts/corl/train.py sft-estimator     # cold start, (x, r*) -> ## Agent Response\\n y*
  .venv/bin/python scripts/corl/train.py rl-thought   --iteration K   # GRPO: format + length + likelihood
  .venv/bin/python scripts/corl/train.py rlmid        --iteration K   # SFT of the estimator on the policy's r
  .venv/bin/python scripts/corl/train.py rl-estimator --iteration K   # GRPO: format + judge ratio
  .venv/bin/python scripts/corl/train.py export --out DIR [--iteration 2]
  .venv/bin/python scripts/corl/train.py all --smoke --out DIR          # every stage, tiny, end to end
  .venv/bin/python scripts/corl/train.py sft-estimator-noreason          # the ablation's "w/o reasoning" estimator
  .venv/bin/python scripts/corl/train.py import --iteration 1 [--from public/models]  # resume from a shipped pair

--model takes a bundled demo model id (default rolescope-tiny-multi) or a local Hugging Face
checkpoint folder (e.g. Qwen3-8B, with --window for its context): LoRA then covers all linear
layers, the GRPO stages run on every GPU under `accelerate launch`, and export writes merged
checkpoints instead of the app's ONNX layout (docs/corl/README.md).

Each stage writes under --work-dir (default .cache/corl, or .cache/corl-smoke with --smoke) and
ends by writing its done.json (settings, counts, wall time), so a stage whose done.json exists is
skipped unless --force, and an interrupted one is simply rerun (export always reruns). Both
models are LoRA adapters on the same base demo model; iteration 0 names the cold-start (SFT)
models, so `export --iteration 0` gives the SFT pair with its held-out figures. Training rows
come from the `valid` split only (data.py); the held-out slice is a disjoint seeded sample of
the same split, never test data.

`import --iteration K` rebuilds iteration K's state from an exported pair (by default the bundled
rolescope-corl-thought and rolescope-corl-estimator): the adapters, factorised back out of the
merged weights (resume.py), the stage records of their training.json and the export itself, so
iteration K+1 can train on from what was shipped once the work folder that made it is gone.
"""
import json
import os
import random
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hf_model import REPO, save_hf_as_demo_onnx  # noqa: E402

import torch  # noqa: E402

import card  # noqa: E402
import data  # noqa: E402
import lm  # noqa: E402
import rewards  # noqa: E402
import resume  # noqa: E402
import rl  # noqa: E402
import stages  # noqa: E402
from prompts import ESTIMATOR_RESPONSE_PREFIX, estimator_messages, js_trim, thought_messages  # noqa: E402

STAGES = ["data", "sft-thought", "sft-estimator", "rl-thought", "rlmid", "rl-estimator", "export",
          "sft-estimator-noreason", "import"]
SINGLE = ("data", "sft-thought", "sft-estimator", "sft-estimator-noreason")  # stages without an iteration


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def thought_stage(k):
    return "sft-thought" if k == 0 else f"rl-thought-{k}"


def estimator_stage(k):
    return "sft-estimator" if k == 0 else f"rl-estimator-{k}"


def x_of(row):
    return {k: row[k] for k in ("user_persona", "agent_character", "dialogue")}


def stage_data(a, out):
    """A seeded training subsample and a disjoint held-out slice of the valid split's examples."""
    examples = data.training_examples(data.load_training_dialogues(a.data_from))
    picked = random.Random(a.seed).sample(range(len(examples)), min(len(examples), a.max_examples + a.heldout))
    splits = {"train": sorted(picked[:a.max_examples]), "heldout": sorted(picked[a.max_examples:])}
    for name, idx in splits.items():
        os.makedirs(os.path.join(out, name), exist_ok=True)
        thought, estimator = data.rows([examples[i] for i in idx])
        write_jsonl(os.path.join(out, name, "thought.jsonl"), thought)
        write_jsonl(os.path.join(out, name, "estimator.jsonl"), estimator)
    return {"model": a.data_from, "split": data.TRAINING_SPLIT, "seed": a.seed, "examples_in_split": len(examples),
            "train": len(splits["train"]), "heldout": len(splits["heldout"])}


def train_rows(a, kind):
    return read_jsonl(os.path.join(a.work_dir, "data", "train", f"{kind}.jsonl"))


def sft_rows(a, model, tok, rows, kind, epochs, out):
    """Fits, trains and saves one SFT run; the record of what it did."""
    make = (thought_messages if kind == "thought" else None)
    items = [lm.sft_item(tok, x_of(r), make or (lambda e, rr=r["reasoning"]: estimator_messages(e, rr)),
                         r["completion"][0]["content"]) for r in rows]
    kept = [it for it in items if it is not None]
    print(f"  {len(kept)} of {len(rows)} rows fit the window; mean {sum(len(i) for i, _ in kept) / len(kept):.0f} tokens")
    log, settings = lm.sft(model, tok, kept, epochs, a.sft_batch, max_steps=a.sft_max_steps, seed=a.seed)
    model.save_pretrained(os.path.join(out, "adapter"))
    q = max(1, len(log) // 4)
    return {"rows": len(rows), "fitted": len(kept), "loss_log": log, "method": "torch loop, LoRA (lm.sft)",
            "loss_first_quarter": sum(v for _, v in log[:q]) / q, "loss_last_quarter": sum(v for _, v in log[-q:]) / q,
            "settings": {**settings, "epochs": epochs, "warmup": 0.03, "schedule": "cosine", "grad_clip": 0.3,
                         "lora": "r 16, alpha 32, dropout 0.05, c_attn c_proj c_fc"}}


def stage_sft(a, out, kind, without_r=False):
    """The cold start of one model. without_r: the ablation's "w/o reasoning" estimator, trained
    with the cold start's budget on est-v1 without the core-features block (as the app renders
    est-v1 with reasoning none)."""
    model, tok = lm.load_model(a.model, trainable=True)
    rows = [{**r, "reasoning": None} for r in train_rows(a, kind)] if without_r else train_rows(a, kind)
    rec = sft_rows(a, model, tok, rows, kind, a.sft_epochs, out)
    if lm.is_demo(a.model):  # a model folder the app loads (merged copy; the adapter stays the training state)
        save_hf_as_demo_onnx(model, tok, os.path.join(out, "model"))
    return rec


def adapter(a, stage):
    path = os.path.join(a.work_dir, stage, "adapter")
    if not os.path.isdir(path):
        sys.exit(f"{path} is missing: run the stage {stage} first")
    return path


def stage_rl_thought(a, out, k):
    policy, tok = lm.load_model(a.model, adapter(a, thought_stage(k - 1)), trainable=True)
    estimator, est_tok = lm.load_model(a.model, adapter(a, estimator_stage(k - 1)), merged=True)
    rows, skipped = rl.prompt_rows(tok, train_rows(a, "thought"), "thought", a.thought_tokens)
    trainer, secs, log = rl.grpo(policy, tok, rows, rl.thought_rewards(estimator, est_tok), os.path.join(out, "trl"),
                                 a.rl_steps, a.prompts_per_step, a.thought_tokens, a.rl_lr, a.seed)
    save_adapter(trainer, out)
    return {"prompts": len(rows), "skipped": skipped, "reward_estimator": estimator_stage(k - 1), "log": log,
            **rl.summarize(log, secs), "settings": rl_settings(a, a.thought_tokens)}


def main_process():
    """Under accelerate every GPU runs this script; only the first writes files."""
    return int(os.environ.get("RANK", 0)) == 0


def save_adapter(trainer, out):
    trainer.accelerator.wait_for_everyone()
    if main_process():
        trainer.model.save_pretrained(os.path.join(out, "adapter"))


def rl_settings(a, max_completion):
    return {"G": rl.G, "steps": a.rl_steps, "prompts_per_step": a.prompts_per_step, "beta": 0.0, "epsilon": 0.2,
            "loss_type": "bnpo", "scale_rewards": True, "num_iterations": 1, "temperature": 1.0, "lr": a.rl_lr,
            "max_completion_length": max_completion}


def greedy_reasonings(a, thought, tok, rows):
    """The thought policy's greedy r for each row's x (None where th-v1 cannot fit)."""
    fitted = [lm.fit(tok, x_of(r), thought_messages, reserve=a.thought_tokens)[1] for r in rows]
    out = iter(lm.greedy(thought, tok, [p for p in fitted if p is not None], a.thought_tokens))
    return [None if p is None else next(out) for p in fitted]


def stage_rlmid(a, out, k):
    thought, tok = lm.load_model(a.model, adapter(a, thought_stage(k)), merged=True)
    rows = train_rows(a, "estimator")
    t0 = time.perf_counter()
    rs = greedy_reasonings(a, thought, tok, rows)
    gen_s = time.perf_counter() - t0
    mid = [{**row, "prompt": estimator_messages(x_of(row), r), "reasoning": r,
            "completion": [{"role": "assistant", "content": ESTIMATOR_RESPONSE_PREFIX + js_trim(row["golden"])}]}
           for row, r in zip(rows, rs) if r is not None]
    write_jsonl(os.path.join(out, "rows.jsonl"), mid)
    model, tok = lm.load_model(a.model, adapter(a, estimator_stage(k - 1)), trainable=True)
    rec = sft_rows(a, model, tok, mid, "estimator", a.rlmid_epochs, out)
    return {**rec, "from": estimator_stage(k - 1), "thought": thought_stage(k), "greedy_s": gen_s}


def stage_rl_estimator(a, out, k):
    model, tok = lm.load_model(a.model, adapter(a, f"rlmid-{k}"), trainable=True)
    rows, skipped = rl.prompt_rows(tok, read_jsonl(os.path.join(a.work_dir, f"rlmid-{k}", "rows.jsonl")),
                                   "estimator", a.estimator_tokens)
    trainer, secs, log = rl.grpo(model, tok, rows, rl.estimator_rewards(), os.path.join(out, "trl"),
                                 a.rl_steps, a.prompts_per_step, a.estimator_tokens, a.rl_lr, a.seed)
    save_adapter(trainer, out)
    return {"prompts": len(rows), "skipped": skipped, "log": log, **rl.summarize(log, secs),
            "settings": rl_settings(a, a.estimator_tokens)}


def heldout_figures(a, k):
    """Golden-response perplexity of estimator k on the held-out slice with r*, with thought policy
    k's greedy r and with an empty r (the core-features heading with nothing under it); and the
    thought policy's mean rewards there, its likelihood under the estimator it was trained against."""
    est_rows = read_jsonl(os.path.join(a.work_dir, "data", "heldout", "estimator.jsonl"))
    thought, tok = lm.load_model(a.model, adapter(a, thought_stage(k)), merged=True)
    rs = greedy_reasonings(a, thought, tok, est_rows)
    est, tok = lm.load_model(a.model, adapter(a, estimator_stage(k)), merged=True)
    xs, goldens = [x_of(r) for r in est_rows], [r["golden"] for r in est_rows]
    fig = {"heldout": len(est_rows), "estimator": estimator_stage(k), "thought": thought_stage(k)}
    for name, reasonings in [("r_star", [r["reasoning"] for r in est_rows]), ("thought_greedy", [r or "" for r in rs]),
                             ("empty", [""] * len(est_rows))]:
        ppl, n = lm.perplexity(lm.make_score_fn(est, tok)(xs, reasonings, goldens))
        fig[f"ppl_{name}"], fig[f"tokens_{name}"] = ppl, n
    prev = estimator_stage(max(k - 1, 0))
    prev_est, tok = lm.load_model(a.model, adapter(a, prev), merged=True)
    lps = lm.make_score_fn(prev_est, tok)(xs, [r or "" for r in rs], goldens)
    mean = lambda v: sum(v) / len(v)  # noqa: E731
    fig["thought_rewards"] = {"format": mean([rewards.format_reward(r or "") for r in rs]),
                              "length": mean([rewards.length_reward(r or "") for r in rs]),
                              "likelihood": mean([rewards.likelihood_reward(lp) for lp in lps]),
                              "likelihood_under": prev, "unfit_prompts": sum(r is None for r in rs)}
    fig["examples"] = [{"id": row["id"], "r_star": row["reasoning"], "greedy_r": r} for row, r in zip(est_rows[:3], rs)]
    return fig


def save_model(a, model, tok, folder):
    """The app's ONNX layout for a demo base; a merged Hugging Face checkpoint for any other (to be
    exported to ONNX by the model exporter, docs/corl/README.md)."""
    if lm.is_demo(a.model):
        save_hf_as_demo_onnx(model, tok, folder)
    else:
        model.save_pretrained(folder)
        tok.save_pretrained(folder)


def stage_export(a, out, k):
    if not a.out:
        sys.exit("export needs --out DIR")
    fig = heldout_figures(a, k)
    print(json.dumps({key: v for key, v in fig.items() if key != "examples"}, indent=1))
    records = {}
    for name in sorted(os.listdir(a.work_dir)):
        done = os.path.join(a.work_dir, name, "done.json")
        if os.path.exists(done):
            records[name] = json.load(open(done, encoding="utf-8"))
    for kind, stage in [("thought", thought_stage(k)), ("estimator", estimator_stage(k))]:
        model, tok = lm.load_model(a.model, adapter(a, stage), merged=True)
        folder = os.path.join(a.out, kind)
        save_model(a, model, tok, folder)
        lineage = [s for s in records if s in ("data", "sft-" + kind) or (s.startswith(("rl-" + kind + "-", "rlmid-"))
                   and (kind == "estimator" or s.startswith("rl-")) and int(s.rsplit("-", 1)[1]) <= k)]
        doc = {"model": kind, "base": a.model, "iteration": k, "from_stage": stage,
               "stages": {s: records[s] for s in lineage}, "heldout": fig}
        with open(os.path.join(folder, "training.json"), "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1, ensure_ascii=False)
        with open(os.path.join(folder, "README.md"), "w", encoding="utf-8") as f:
            f.write(card.model_card(doc, f"rolescope-corl-{kind}"))
    return {"out": a.out, "iteration": k, **{key: v for key, v in fig.items() if key != "examples"}}


DATA_KEYS = ("model", "split", "seed", "examples_in_split", "train", "heldout")


def stage_import(a, k):
    """Iteration k's thought policy and estimator from an exported pair (--from): their adapters,
    their lineage's stage records (marked imported) and export-k. The data stage must have run
    here with the settings the pair was trained on, so that the next stages read the same rows."""
    if not lm.is_demo(a.model):
        sys.exit("import rebuilds adapters of the bundled demo base only; a Hugging Face base keeps its adapters")
    data_done = os.path.join(a.work_dir, "data", "done.json")
    if not os.path.exists(data_done):
        sys.exit(f"{data_done} is missing: run the data stage first (with the pair's --seed and sizes)")
    data_rec = json.load(open(data_done, encoding="utf-8"))
    tok = lm.load_base(a.model)[1]
    probe = torch.tensor([tok("<|im_start|>user\nHello there, how are you?<|im_end|>\n")["input_ids"]])
    records, export = {}, os.path.join(a.work_dir, f"export-{k}")
    source = os.path.relpath(a.from_dir, REPO)
    for kind, stage in [("thought", thought_stage(k)), ("estimator", estimator_stage(k))]:
        folder = os.path.join(a.from_dir, f"rolescope-corl-{kind}")
        doc = json.load(open(os.path.join(folder, "training.json"), encoding="utf-8"))
        if doc["iteration"] != k or doc["base"] != a.model:
            sys.exit(f"{folder} is iteration {doc['iteration']} on {doc['base']}, not iteration {k} on {a.model}")
        mismatch = [key for key in DATA_KEYS if doc["stages"]["data"].get(key) != data_rec.get(key)]
        if mismatch:
            sys.exit(f"{folder} was trained on other data rows (differs in {mismatch}): rerun the data stage to match")
        model, _, check = resume.adapter_from_merged(a.model, folder, probe)
        print(f"  {kind}: {check}")
        model.save_pretrained(os.path.join(a.work_dir, stage, "adapter"))
        for name, rec in doc["stages"].items():
            if name != "data":
                records[name] = {**rec, "imported_from": source, **({"import_check": check} if name == stage else {})}
        shutil.copytree(folder, os.path.join(export, kind), dirs_exist_ok=True)
        heldout = doc["heldout"]
    records[f"export-{k}"] = {"stage": f"export-{k}", "out": export, "iteration": k, "imported_from": source,
                              **{key: v for key, v in heldout.items() if key != "examples"}}
    for name, rec in records.items():
        os.makedirs(os.path.join(a.work_dir, name), exist_ok=True)
        with open(os.path.join(a.work_dir, name, "done.json"), "w", encoding="utf-8") as f:
            json.dump(rec, f, indent=1, ensure_ascii=False)
    print(f"[import] iteration {k} from {a.from_dir}: {', '.join(sorted(records))}")


def run_stage(a, stage, k):
    """Runs one stage unless its done.json exists (or --force); done.json records its wall time."""
    name = stage if stage in SINGLE else f"{stage}-{k}"
    out = os.path.join(a.work_dir, name)
    run = {"data": lambda: stage_data(a, out), "sft-thought": lambda: stage_sft(a, out, "thought"),
           "sft-estimator": lambda: stage_sft(a, out, "estimator"),
           "sft-estimator-noreason": lambda: stage_sft(a, out, "estimator", without_r=True),
           "rl-thought": lambda: stage_rl_thought(a, out, k),
           "rlmid": lambda: stage_rlmid(a, out, k), "rl-estimator": lambda: stage_rl_estimator(a, out, k),
           "export": lambda: stage_export(a, out, k)}[stage]
    stages.run_recorded(out, name, run, a.force, {"threads": a.threads, "smoke": a.smoke}, write=main_process(),
                        always=stage == "export")


def parse_args(argv=None):
    p = stages.training_parser(__doc__.split("\n")[0], STAGES + ["all"], "GRPO learning rate (the paper: 1e-5 at 8B)")
    p.add_argument("--iteration", type=int, help="rl-thought/rlmid/rl-estimator: 1 or 2; export: default 2")
    p.add_argument("--out", help="export: the folder for thought/ and estimator/")
    p.add_argument("--from", dest="from_dir", default=os.path.join(REPO, "public", "models"),
                   help="import: the folder holding rolescope-corl-thought/ and rolescope-corl-estimator/")
    p.add_argument("--model", default="rolescope-tiny-multi",
                   help="the base: a bundled demo model id, or a local Hugging Face checkpoint folder (e.g. Qwen3-8B)")
    p.add_argument("--data-from", default="rolescope-tiny-multi", choices=list(lm.DEMO_MODELS),
                   help="whose training data (valid files) the data stage reads")
    p.add_argument("--window", type=int, default=512, help="prompt + completion tokens (the demo models' 512)")
    p.add_argument("--rlmid-epochs", type=int, default=1)
    p.add_argument("--thought-tokens", type=int, default=128, help="r's limit (the app's thought budget)")
    p.add_argument("--estimator-tokens", type=int, default=64)
    return stages.finish_args(p.parse_args(argv), REPO, "corl"), p


def main():
    a, p = parse_args()
    torch.set_num_threads(a.threads)
    lm.set_window(a.window)
    torch.manual_seed(a.seed)
    if a.stage == "all":
        plan = [("data", 0), ("sft-thought", 0), ("sft-estimator", 0)]
        plan += [(s, k) for k in (1, 2) for s in ("rl-thought", "rlmid", "rl-estimator")] + [("export", 2)]
    elif a.stage == "import":
        if a.iteration not in (1, 2):
            p.error("import needs --iteration 1 or 2")
        return stage_import(a, a.iteration)
    elif a.stage in ("rl-thought", "rlmid", "rl-estimator"):
        if a.iteration not in (1, 2):
            p.error(f"{a.stage} needs --iteration 1 or 2")
        plan = [(a.stage, a.iteration)]
    else:
        plan = [(a.stage, 2 if a.iteration is None else a.iteration)]
    for stage, k in plan:
        run_stage(a, stage, k)


if __name__ == "__main__":
    main()
