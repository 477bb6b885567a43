"""The paper's estimator ablation on the demo benchmark, with the app's own evaluation (npm run evaluate):

  .venv/bin/python scripts/corl/ablation.py [--pairs 200] [--limit N]

writes docs/corl/ablation.json and the tables of docs/corl/ablation.md. Estimators and where r comes from:

  full          the bundled CoRL estimator, r written by the bundled CoRL thought policy (reasoning generate):
                CoRL's first iteration, chosen over the second by held-out perplexity (docs/corl/README.md)
  iteration_2   the same after CoRL's second iteration, where the paper stops
  wo_corl       the cold-start (SFT only) estimator, r written by the cold-start thought policy ("w/o CoRL")
  wo_reasoning  an estimator trained with the cold start's budget on est-v1 without r ("w/o reasoning")
  base          the untrained base model (rolescope-tiny-multi) on est-v1 without r: where training started
  empty_r       the CoRL estimator with an empty r (the core-features heading, nothing under it)
  other_r       the CoRL estimator with the CoRL thought policy's r of another sample of the same category
  r_star        the CoRL estimator with the cold-start target r* built from each sample's golden response:
                a ceiling, since it sees y*, never a thing a thought policy could write

For each: the estimator's perplexity of the golden responses per category and shift family with
its 95% bootstrap interval, and R-EMID of the bundled role-play policies per family. Added: the
GRPO reward curves of the thought policy and the estimator, and the held-out (valid split)
figures the exports wrote. The trained models come from train.py's stages: CoRL's under
--work-dir, the cold start's and "w/o reasoning" under --cold-dir (the same folder unless the
cold start was rebuilt apart from an imported CoRL run); each evaluation is cached by npm run
evaluate, so an interrupted ablation resumes.
"""
import argparse
import json
import math
import os
import random
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from targets import cold_start_target  # noqa: E402

# The standard library only (and targets.py): its helpers are unit-tested without torch.
REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

CORL_ESTIMATOR, CORL_THOUGHT = "rolescope-corl-estimator", "rolescope-corl-thought"
DEMO_BENCHMARK = os.path.join(REPO, "public", "data", "demo-benchmark.json")
# Where each model the ablation loads as folder:<name> lies: a stage folder of the cold-start work
# folder (--cold-dir), or a model of iteration 2's export (wherever `export --iteration 2` wrote it,
# as its record in --work-dir says).
FOLDERS = {"sft-estimator": ("cold", "sft-estimator/model"), "sft-thought": ("cold", "sft-thought/model"),
           "noreason-estimator": ("cold", "sft-estimator-noreason/model"),
           "iteration2-estimator": ("export-2", "estimator"), "iteration2-thought": ("export-2", "thought")}
# The demo benchmark's built-in tags carry no family in its file (the app knows them).
BUILT_IN_FAMILY = {"Film & Television": "character", "Literature": "character",
                   "TurnLevelComposition": "dialogue", "WordLevelComposition": "dialogue"}
PAPER_ID_PERPLEXITY = {"full": 4.85, "wo_corl": 5.46, "wo_reasoning": 6.27}


def configurations():
    """name -> (evaluate arguments, benchmark variant or None, what it is)."""
    gen = ["--reasoning", "generate"]
    return {
        "full": (["--scorer", CORL_ESTIMATOR, "--thought", CORL_THOUGHT] + gen, None,
                 "CoRL estimator, r from the CoRL thought policy"),
        "iteration_2": (["--scorer", "folder:iteration2-estimator", "--thought", "folder:iteration2-thought"] + gen,
                        None, "CoRL after its second iteration (estimator and thought policy)"),
        "wo_corl": (["--scorer", "folder:sft-estimator", "--thought", "folder:sft-thought"] + gen, None,
                    "cold-start (SFT) estimator, r from the cold-start thought policy"),
        "wo_reasoning": (["--scorer", "folder:noreason-estimator", "--template", "est-v1", "--reasoning", "none"], None,
                         "estimator trained with the cold start's budget without r"),
        "base": (["--scorer", "rolescope-tiny-multi", "--template", "est-v1", "--reasoning", "none"], None,
                 "the untrained base model, est-v1 without r"),
        "empty_r": (["--scorer", CORL_ESTIMATOR, "--reasoning", "file"], "empty",
                    "CoRL estimator, empty r"),
        "other_r": (["--scorer", CORL_ESTIMATOR, "--reasoning", "file"], "other",
                    "CoRL estimator, the CoRL thought policy's r of another sample"),
        "r_star": (["--scorer", CORL_ESTIMATOR, "--reasoning", "file"], "r_star",
                   "CoRL estimator, the cold-start target r* (built from y*: a ceiling)"),
    }


def example_of(sample):
    """A benchmark sample in the trainer's example shape (prompts.py / targets.py)."""
    dialogue = [{"role": "user", "text": t["user_query"]} if "user_query" in t else
                {"role": "agent", "text": t["agent_response"]} for t in sample["dialogue_context"]]
    return {"user_persona": sample["user_persona"], "agent_character": sample["agent_character"], "dialogue": dialogue}


def benchmark_variant(bench, kind, full_reasoning, limit):
    """The benchmark with an r on every sample: empty, another sample's (the next of the run's
    samples in its category, cyclically, as the full run's thought policy wrote it; samples past
    --limit are not run and get an empty r) or r* from the sample's own golden response."""
    out = json.loads(json.dumps(bench))
    for key, samples in out.items():
        if key in ("meta", "categories"):
            continue
        used = min(len(samples), limit or len(samples))
        for i, s in enumerate(samples):
            if kind == "empty" or (kind == "other" and i >= used):
                s["r"] = ""
            elif kind == "other":
                s["r"] = full_reasoning[str(samples[(i + 1) % used]["sample_ID"])]
            else:
                s["r"] = cold_start_target(example_of(s), s["agent_golden_response"])
    return out


def folder_of(a, where, rel):
    """A model folder: under the cold-start work folder, or under an export recorded in --work-dir."""
    if where == "cold":
        return os.path.join(a.cold_dir, rel)
    done = os.path.join(a.work_dir, where, "done.json")
    out = json.load(open(done, encoding="utf-8"))["out"] if os.path.exists(done) else os.path.join(a.work_dir, where)
    return os.path.join(out, rel)


def link_folders(a, wanted):
    """Links the model folders the wanted configurations load (folder:<name>) under one folder."""
    models = os.path.join(a.work_dir, "ablation", "models")
    os.makedirs(models, exist_ok=True)
    used = {arg.split(":", 1)[1] for name in wanted for arg in configurations()[name][0] if arg.startswith("folder:")}
    for name, (where, rel) in FOLDERS.items():
        if name not in used:
            continue
        src, dst = folder_of(a, where, rel), os.path.join(models, name)
        if not os.path.isdir(src):
            sys.exit(f"{src} is missing: run scripts/corl/train.py's stages first (scripts/corl/README.md)")
        if os.path.islink(dst):
            os.unlink(dst)
        os.symlink(os.path.abspath(src), dst)
    return models


def evaluate(a, name, args, bench_file, models):
    out = os.path.join(a.work_dir, "ablation", f"{name}.json")
    cmd = ["npx", "tsx", "scripts/evaluate.ts", "--bench", bench_file, "--model-folders", models, "--no-bound",
           "--pairs", str(a.pairs), "--seed", str(a.seed), "--bootstrap", str(a.bootstrap), "--out", out] + args
    if a.limit:
        cmd += ["--limit", str(a.limit)]
    print(f"[{name}] {' '.join(cmd)}", flush=True)
    subprocess.run(cmd, cwd=REPO, check=True, stdout=subprocess.DEVNULL if a.quiet else None)
    with open(out, encoding="utf-8") as f:
        return json.load(f)


def figures(results, bench):
    """Golden perplexity per category and family (the same for every policy: taken from the
    first), R-EMID per policy and family."""
    first = results["rows"][0]["policy"]
    categories = {r["category"]: {"family": bench["categories"].get(r["category"], {}).get("family") or r["shift"],
                                  "ppl": r.get("goldPerplexity"), "ci": r.get("goldPerplexityCi"), "n": r["n"]}
                  for r in results["rows"] if r["policy"] == first}
    families = {f["family"]: {"ppl": f.get("goldPerplexity"), "ci": f.get("goldPerplexityCi"), "n": f["n"]}
                for f in results["families"] if f["policy"] == first}
    remid = {}
    for f in results["families"]:
        remid.setdefault(f["policy"], {})[f["family"]] = {"remid": f["remid"], "ci": f["remidCi"]}
    return {"gold_perplexity": {"categories": categories, "families": families}, "remid": remid}


def gold_scores(results):
    """Each golden response's mean log-prob under the run's estimator, by (category, sample index)."""
    return {(p["category"], p["j"]): p["meanLogProb"] for p in results["pairs"]
            if p["policy"] == "gold" and p["i"] == p["j"]}


def paired_ratio(base, other, families, seed=42, replicates=1000):
    """Per family (and ID category), the golden perplexity under `other` divided by that under
    `base`, exp(mean_i (s_base,i - s_other,i)) over the samples both scored, with a 95% percentile
    bootstrap interval resampling samples (both runs see the same samples, so the pairing removes
    the between-sample spread that makes the two perplexities' own intervals overlap)."""
    a, b = gold_scores(base), gold_scores(other)
    out = {}
    for group, cats in families.items():
        d = [a[k] - b[k] for k in sorted(a) if k[0] in cats and k in b]
        if not d:
            continue
        rng = random.Random(seed)
        boots = sorted(sum(rng.choice(d) for _ in d) / len(d) for _ in range(replicates))
        lo, hi = boots[int(0.025 * replicates)], boots[int(0.975 * replicates) - 1]
        out[group] = {"ratio": math.exp(sum(d) / len(d)), "ci": [math.exp(lo), math.exp(hi)], "n": len(d)}
    return out


def groups_of(bench):
    """The ablation's columns: each in-distribution category alone, then each shift family."""
    cats = {k: v for k, v in bench["categories"].items()}
    family = {k: (v.get("family") or BUILT_IN_FAMILY.get(k)) for k, v in cats.items()}
    out = {f"ID: {k}": {k} for k, f in family.items() if f == "in-distribution"}
    for f in ("user", "character", "dialogue"):
        out[f] = {k for k, g in family.items() if g == f}
    return out


def reward_curves(a):
    curves = {}
    for stage in sorted(os.listdir(a.work_dir)):
        done = os.path.join(a.work_dir, stage, "done.json")
        if stage.startswith(("rl-thought-", "rl-estimator-")) and os.path.exists(done):
            rec = json.load(open(done, encoding="utf-8"))
            curves[stage] = {"s_per_step": rec.get("s_per_step"), "steps": [
                {k.replace("rewards/", "").replace("/mean", ""): v for k, v in h.items()
                 if k == "step" or k == "reward" or (k.startswith("rewards/") and k.endswith("/mean"))}
                for h in rec["log"]]}
    return curves


def heldout(a):
    """The held-out figures of every export, the cold start's (export-0) from --cold-dir."""
    out = {}
    for work in dict.fromkeys([a.cold_dir, a.work_dir]):
        for stage in sorted(s for s in os.listdir(work) if s.startswith("export-")):
            done = os.path.join(work, stage, "done.json")
            if os.path.exists(done) and (work == a.work_dir or stage == "export-0"):
                rec = json.load(open(done, encoding="utf-8"))
                out[stage] = {k: rec[k] for k in rec if k.startswith(("ppl_", "thought_rewards", "heldout", "estimator",
                                                                        "thought"))}
    return dict(sorted(out.items()))


def fmt_ci(v, ci, digits=2):
    """A value with its interval; a dash for a value that could not be computed (null in the file)."""
    if v is None:
        return "–"
    if not ci or None in ci:
        return f"{v:.{digits}f}"
    return f"{v:.{digits}f} [{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]"


def markdown(doc):
    """The tables of docs/corl/ablation.md, from ablation.json."""
    configs = doc["configurations"]
    cats = [c for c, v in next(iter(configs.values()))["gold_perplexity"]["categories"].items()
            if v["family"] == "in-distribution"]
    fams = [f for f in ("user", "character", "dialogue") if f in next(iter(configs.values()))["gold_perplexity"]["families"]]
    lines = ["# Estimator ablation: golden-response perplexity and R-EMID per estimator", "",
             f"Generated by `{doc['command']}` on {doc['date']} ({doc['settings']['pairs']} mismatched pairs per "
             f"category, {doc['settings']['bootstrap']} bootstrap replicates, seed {doc['settings']['seed']}, "
             f"{doc['settings']['limit'] or 'all'} samples per category). Lower perplexity is a better estimator; "
             "brackets are 95% bootstrap intervals. What it means: [CoRL](README.md).", "",
             "## Perplexity of the golden responses", "",
             "| estimator | " + " | ".join([f"ID: {c}" for c in cats] + fams) + " |",
             "| --- | " + " | ".join("---" for _ in cats + fams) + " |"]
    for name, c in configs.items():
        gp = c["gold_perplexity"]
        cells = [fmt_ci(gp["categories"][k]["ppl"], gp["categories"][k]["ci"]) for k in cats]
        cells += [fmt_ci(gp["families"][f]["ppl"], gp["families"][f]["ci"]) for f in fams]
        lines.append(f"| {name}: {c['description']} | " + " | ".join(cells) + " |")
    groups = [f"ID: {c}" for c in cats] + fams
    lines += ["", "## Golden perplexity relative to the full CoRL estimator (paired)", "",
              "Per-sample pairing on the same golden responses: the ratio of each estimator's perplexity to the "
              "full CoRL estimator's, with a 95% bootstrap interval over samples. Above 1: worse than full CoRL.", "",
              "| estimator | " + " | ".join(groups) + " |", "| --- | " + " | ".join("---" for _ in groups) + " |"]
    for name, c in configs.items():
        if "gold_perplexity_vs_full" in c:
            rel = c["gold_perplexity_vs_full"]
            cells = [fmt_ci(rel[g]["ratio"], rel[g]["ci"], 3) if g in rel else "–" for g in groups]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "## R-EMID of the bundled policies (nats per token)", "",
              "| estimator | policy | " + " | ".join(fams) + " |", "| --- | --- | " + " | ".join("---" for _ in fams) + " |"]
    for name, c in configs.items():
        for policy, by_family in c["remid"].items():
            cells = [fmt_ci(by_family[f]["remid"], by_family[f]["ci"], 3) if f in by_family else "–" for f in fams]
            lines.append(f"| {name} | {policy} | " + " | ".join(cells) + " |")
    lines += ["", "## GRPO rewards (mean of the first and last quarter of the steps)", "",
              "| stage | s per step | rewards, first quarter | rewards, last quarter |", "| --- | --- | --- | --- |"]
    for stage, curve in doc["reward_curves"].items():
        steps = curve["steps"]
        q = max(1, len(steps) // 4)
        keys = [k for k in steps[0] if k != "step"] if steps else []
        mean = lambda part, k: sum(h[k] for h in part) / len(part)  # noqa: E731
        first = ", ".join(f"{k} {mean(steps[:q], k):.3f}" for k in keys)
        last = ", ".join(f"{k} {mean(steps[-q:], k):.3f}" for k in keys)
        lines.append(f"| {stage} | {curve['s_per_step']:.1f} | {first} | {last} |")
    return "\n".join(lines) + "\n"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--work-dir", default=os.path.join(REPO, ".cache", "corl"))
    p.add_argument("--cold-dir", help="the cold-start and w/o-reasoning stages' work folder (default: --work-dir)")
    p.add_argument("--out-dir", default=os.path.join(REPO, "docs", "corl"))
    p.add_argument("--pairs", type=int, default=200)
    p.add_argument("--bootstrap", type=int, default=1000)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--limit", type=int)
    p.add_argument("--only", help="comma-separated configuration names (default: all)")
    p.add_argument("--quiet", action="store_true", help="hide npm run evaluate's report")
    a = p.parse_args()
    a.work_dir = os.path.abspath(a.work_dir)
    a.cold_dir = os.path.abspath(a.cold_dir or a.work_dir)
    bench = json.load(open(DEMO_BENCHMARK, encoding="utf-8"))
    wanted = a.only.split(",") if a.only else list(configurations())
    models = link_folders(a, wanted)
    doc = {"command": "python scripts/corl/ablation.py" + (f" --pairs {a.pairs}" if a.pairs != 200 else "")
           + (f" --limit {a.limit}" if a.limit else "")
           + (f" --cold-dir {os.path.relpath(a.cold_dir, REPO)}" if a.cold_dir != a.work_dir else ""), "date": time.strftime("%Y-%m-%d"),
           "settings": {"pairs": a.pairs, "bootstrap": a.bootstrap, "seed": a.seed, "limit": a.limit,
                        "benchmark": "public/data/demo-benchmark.json", "bound": False},
           "paper_id_perplexity": PAPER_ID_PERPLEXITY, "configurations": {}}
    full_reasoning, runs = None, {}
    for name, (args, variant, description) in configurations().items():
        if name not in wanted and not (name == "full" and "other_r" in wanted):
            continue
        bench_file = DEMO_BENCHMARK
        if variant:
            bench_file = os.path.join(a.work_dir, "ablation", f"bench-{variant}.json")
            with open(bench_file, "w", encoding="utf-8") as f:
                json.dump(benchmark_variant(bench, variant, full_reasoning, a.limit), f, ensure_ascii=False)
        results = evaluate(a, name, args, bench_file, models)
        runs[name] = results
        if name == "full":
            full_reasoning = results["reasoning"]
        doc["configurations"][name] = {"description": description, "arguments": args,
                                       **figures(results, bench)}
    if "full" in runs:
        for name, results in runs.items():
            if name != "full":
                doc["configurations"][name]["gold_perplexity_vs_full"] = paired_ratio(runs["full"], results,
                                                                                     groups_of(bench))
    doc["reward_curves"], doc["heldout_valid"] = reward_curves(a), heldout(a)
    os.makedirs(a.out_dir, exist_ok=True)
    with open(os.path.join(a.out_dir, "ablation.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
    md = os.path.join(a.out_dir, "ablation.md")
    with open(md, "w", encoding="utf-8") as f:
        f.write(markdown(doc))
    subprocess.run(["npx", "prettier", "--write", md, os.path.join(a.out_dir, "ablation.json")], cwd=REPO, check=True,
                   stdout=subprocess.DEVNULL)
    print(f"wrote {a.out_dir}/ablation.json and ablation.md")


if __name__ == "__main__":
    main()
