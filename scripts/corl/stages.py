"""What the two trainers (scripts/corl/train.py and scripts/methods/train.py) share: resumable
stages recorded in done.json, and the command-line options for data, SFT and GRPO.

Pure Python (no torch), so that the unit tests can check it without the training stack.
"""
import argparse
import json
import os
import time


def run_recorded(out, name, run, force, extra, write=True, always=False):
    """Runs one stage into the folder `out` unless its done.json exists (or force, or always: the
    export stage, which rewrites its output every time). run() returns the stage's record;
    done.json holds it with the wall time in seconds and the `extra` fields. write=False (the
    other processes under accelerate) runs the stage but leaves the files to the first."""
    done = os.path.join(out, "done.json")
    if os.path.exists(done) and not force and not always:
        print(f"[{name}] done already ({done}); --force to redo")
        return None
    os.makedirs(out, exist_ok=True)
    print(f"[{name}] starting", flush=True)
    t0 = time.perf_counter()
    rec = {"stage": name, **run(), "wall_s": round(time.perf_counter() - t0, 1), **extra}
    if write:
        with open(done, "w", encoding="utf-8") as f:
            json.dump(rec, f, indent=1, ensure_ascii=False)
        print(f"[{name}] done in {rec['wall_s']:.1f} s", flush=True)
    return rec


def training_parser(description, stages, rl_lr_help):
    """The options both trainers take, with the same defaults: the CoRL data stage's sizes and
    seed (so both read the same rows), the SFT budget and the GRPO budget."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("stage", choices=stages)
    p.add_argument("--work-dir")
    p.add_argument("--max-examples", type=int, default=2000)
    p.add_argument("--heldout", type=int, default=200)
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--sft-epochs", type=int, default=3)
    p.add_argument("--sft-max-steps", type=int, help="cap on SFT optimisation steps (budget)")
    p.add_argument("--sft-batch", type=int, default=16)
    p.add_argument("--rl-steps", type=int, default=100)
    p.add_argument("--rl-lr", type=float, default=5e-5, help=rl_lr_help)
    p.add_argument("--prompts-per-step", type=int, default=2, help="x G=8 completions per GRPO step")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--force", action="store_true")
    p.add_argument("--smoke", action="store_true", help="a handful of examples, 2 steps per stage")
    return p


def finish_args(a, repo, name):
    """The smoke budget, and the work folder's default .cache/<name> (.cache/<name>-smoke)."""
    if a.smoke:
        a.max_examples, a.heldout, a.sft_max_steps, a.rl_steps, a.prompts_per_step = 8, 4, 2, 2, 1
        a.sft_batch = 4
    a.work_dir = os.path.abspath(a.work_dir or os.path.join(repo, ".cache", f"{name}-smoke" if a.smoke else name))
    return a


def fixture_parser(doc, work_default, fixture_default):
    """The options of a script that writes a model fixture from an export folder OUT."""
    p = argparse.ArgumentParser(description=doc.split("\n")[0])
    p.add_argument("out")
    p.add_argument("--work-dir", default=work_default)
    p.add_argument("--n", type=int, default=3, help="examples in the fixture")
    p.add_argument("--fixture", default=fixture_default)
    return p
