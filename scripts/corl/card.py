"""The model card (README.md) of an exported CoRL model, written from its training.json: what it is,
the data, each stage with its settings, loss or rewards and wall time, and the held-out figures.
"""

PURPOSE = {
    "thought": ("the CoRL **thought policy** q(r | x): it reads a role-play x (th-v1 prompt) and writes the "
                "reasoning r, a short note of the persona and character facts that matter for the next reply "
                "followed by `Core features:` and a short list. It never sees the golden response."),
    "estimator": ("the CoRL **estimator** q(y | x, r): it scores a response y after the role-play x and the "
                  "reasoning r (est-v1 prompt, the response after `## Agent Response`). R-EMID is computed "
                  "with it and its thought policy writing r (reasoning `generate`)."),
}
BASE_NOTE = {"rolescope-tiny-multi": " (the bundled multilingual demo model, 3.4M parameters)",
             "rolescope-tiny-en": " (the bundled English demo model, 3.4M parameters)"}
STAGE_TEXT = {
    "data": "training rows from the valid split only; a disjoint held-out slice of the same split",
    "sft-thought": "cold start: SFT of x -> r*, the target built from each training sample's golden reply",
    "sft-estimator": "cold start: SFT of (x, r*) -> `## Agent Response` y*",
    "rl-thought": "GRPO of the thought policy: format + length + likelihood of y* under the previous estimator",
    "rlmid": "SFT of the estimator on the thought policy's own greedy r (RLMid)",
    "rl-estimator": "GRPO of the estimator: format + judge ratio (lexical stand-in)",
}


def _stage_kind(name):
    return name.rsplit("-", 1)[0] if name[-1].isdigit() else name


def _result(rec):
    if "loss_first_quarter" in rec:
        return f"loss {rec['loss_first_quarter']:.2f} -> {rec['loss_last_quarter']:.2f}"
    if "reward_first_quarter" in rec:
        return f"reward {rec['reward_first_quarter']:.3f} -> {rec['reward_last_quarter']:.3f}"
    return f"{rec.get('train', '')} training / {rec.get('heldout', '')} held-out rows"


def _settings(rec):
    s = rec.get("settings", {})
    if "G" in s:
        return (f"{s['steps']} steps x {s['prompts_per_step']} prompts x G={s['G']}, lr {s['lr']:g}, beta {s['beta']}, "
                f"clip {s['epsilon']}, {s['loss_type']}, temperature {s['temperature']}, "
                f"completions <= {s['max_completion_length']} tokens")
    if "epochs" in s:
        epochs = f"{s['epochs']} epoch" + ("" if s["epochs"] == 1 else "s")
        return (f"{s['steps']} steps ({epochs} x batch {s['batch_size']}), lr {s['lr']:g} {s['schedule']}, "
                f"warm-up {s['warmup']}, clip {s['grad_clip']}, LoRA {s['lora']}")
    return f"seed {rec.get('seed', '')}"


def _order(name):
    """Training order: data, the cold starts, then each iteration's RL, RLMid and estimator RL."""
    kind = _stage_kind(name)
    k = int(name.rsplit("-", 1)[1]) if name[-1].isdigit() else 0
    return k, list(STAGE_TEXT).index(kind) if kind in STAGE_TEXT else len(STAGE_TEXT)


def _resumed(stages):
    """A note on the stages that ran in an earlier run, whose exported pair `train.py import` resumed."""
    imported = sorted((name for name, rec in stages.items() if "imported_from" in rec), key=_order)
    checks = [rec["import_check"] for rec in stages.values() if "import_check" in rec]
    if not imported:
        return []
    source = stages[imported[0]]["imported_from"]
    worst = max((c["max_logit_diff"] for c in checks), default=float("nan"))
    return ["", f"Stages {', '.join(f'`{n}`' for n in imported)} ran in an earlier run; the later stages trained on "
            f"from its exported pair in `{source}` (`train.py import`), whose LoRA updates were factorised back out of "
            f"the merged weights (largest logit difference from the exported model {worst:.1e})."]


def model_card(doc, model_id):
    """Markdown for the bundled folder `model_id` from its training.json `doc`."""
    kind, fig = doc["model"], doc["heldout"]
    total_s = sum(rec.get("wall_s", 0) for rec in doc["stages"].values())
    lines = [f"# {model_id}", "",
             f"Bundled with Rolescope: {PURPOSE[kind]} Base: `{doc['base']}`"
             f"{BASE_NOTE.get(doc['base'], '')} with LoRA adapters merged into its weights; CoRL iteration {doc['iteration']} "
             f"(stage `{doc['from_stage']}`). Trained on a 2-core CPU; the method and its limits at this scale are "
             "in the repository's `docs/corl/README.md`.", "",
             "## Data", "",
             "Only the `valid` files of the demo models' public role-play data (Xpersona en, zh, jp, ko, fr, it, id "
             "and Synthetic-Persona-Chat; see `public/models/NOTICE`); the demo benchmark is built from the `test` "
             "files, which training never reads.", "",
             "## Stages", "",
             "| stage | what | settings | result | wall time |", "| --- | --- | --- | --- | --- |"]
    for name, rec in sorted(doc["stages"].items(), key=lambda item: _order(item[0])):
        lines.append(f"| `{name}` | {STAGE_TEXT.get(_stage_kind(name), '')} | {_settings(rec)} | {_result(rec)} | "
                     f"{rec.get('wall_s', 0):.0f} s |")
    tr = fig["thought_rewards"]
    lines += [f"\nTotal training time of these stages: {total_s / 60:.0f} min."]
    lines += _resumed(doc["stages"])
    lines += ["",
              f"## Held-out figures ({fig['heldout']} valid-split examples never trained on)", "",
              f"Perplexity of the golden responses under `{fig['estimator']}`: **{fig['ppl_thought_greedy']:.2f}** with "
              f"r written by `{fig['thought']}`, {fig['ppl_empty']:.2f} with an empty r, {fig['ppl_r_star']:.2f} with "
              f"the cold-start target r* (built from y*: a ceiling), over {fig['tokens_r_star']} tokens.", "",
              f"The thought policy's greedy r there: format reward {tr['format']:.2f}, length reward "
              f"{tr['length']:.2f}, likelihood reward {tr['likelihood']:.3f} (under `{tr['likelihood_under']}`).", "",
              "## Rebuild", "", "```",
              ".venv/bin/python scripts/corl/train.py data   # then each stage in the order above",
              "# or, from an exported earlier iteration: train.py import --iteration K --from DIR, then the later stages",
              f".venv/bin/python scripts/corl/train.py export --iteration {doc['iteration']} --out DIR", "```", "",
              "`training.json` beside this card holds every stage's full record (loss and reward logs)."]
    return "\n".join(lines) + "\n"
