"""The CoRL training sets, from the `valid` files only (the `test` files are for evaluation).

One example per agent turn of every valid dialogue (the turns before it are x, the turn is y*),
or a seeded subsample of them; the thought model and the estimator are trained on the SAME
selection, so the estimator learns on the samples whose r the thought model writes.

- thought set: th-v1 messages -> r* (targets.py) for the cold start; RL uses the messages alone.
- estimator set: est-v1 messages with an r -> `## Agent Response\\n` + y* (r* at the cold start,
  the thought policy's own r in the later "RLMid" step).

Nothing is truncated here: the rows keep x's columns (`user_persona`, `agent_character`,
`dialogue`) so a trainer can drop the oldest turns (prompts.drop_oldest_turns) until the
tokenized prompt fits the 512-token window, as the app does.

    /usr/bin/python3 scripts/corl/data.py --out DIR [--model rolescope-tiny-en] [--max-examples N --seed S]

writes DIR/thought.jsonl and DIR/estimator.jsonl in TRL's conversational prompt-completion shape.
"""
import argparse
import importlib.util
import json
import os
import random

from prompts import ESTIMATOR_RESPONSE_PREFIX, estimator_messages, js_trim, thought_messages
from targets import cold_start_target

# scripts/demo_models/data.py holds the loaders (and ROLESCOPE_DATA); loaded by path because this
# module has the same name.
_DEMO_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "demo_models", "data.py")
_spec = importlib.util.spec_from_file_location("demo_models_data", _DEMO_DATA)
demo_data = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(demo_data)

TRAINING_SPLIT = "valid"


def load_training_dialogues(model_id="rolescope-tiny-en", split=TRAINING_SPLIT):
    """The dialogues of a demo model's training data (Xpersona + Synthetic-Persona-Chat; more
    languages for rolescope-tiny-multi). Refuses any split but `valid`."""
    if split != TRAINING_SPLIT:
        raise ValueError(f"CoRL trains on the {TRAINING_SPLIT!r} split only, not {split!r}")
    return demo_data.load_model_dialogues(model_id, split)


def training_examples(dialogues, max_examples=None, seed=1234):
    """One example per agent turn, in data order; with max_examples, a seeded subsample of them
    (still in data order). Each is a data.py example plus an `id`."""
    slots = [(d, t) for d, dialogue in enumerate(dialogues) for t in demo_data.agent_turn_indices(dialogue)]
    if max_examples is not None and max_examples < len(slots):
        slots = sorted(random.Random(seed).sample(slots, max_examples))
    return [{"id": f"{dialogues[d]['source']}/{d}/{t}", **demo_data.make_example(dialogues[d], t)} for d, t in slots]


def thought_pair(ex):
    """(th-v1 messages, r*) of an example."""
    return thought_messages(ex), cold_start_target(ex, ex["response"])


def estimator_pair(ex, reasoning):
    """(est-v1 messages with r, the assistant turn `## Agent Response\\n` + y*). y* is trimmed as
    the demo models' training data is (scripts/demo_models/data.py)."""
    return estimator_messages(ex, reasoning), ESTIMATOR_RESPONSE_PREFIX + js_trim(ex["response"])


def _row(ex, messages, completion, **extra):
    return {"id": ex["id"], "prompt": messages, "completion": [{"role": "assistant", "content": completion}],
            "golden": ex["response"], "user_persona": ex["user_persona"],
            "agent_character": ex["agent_character"], "dialogue": ex["dialogue"], **extra}


def rows(examples):
    """(thought rows, estimator rows), both over the same examples; the estimator's r is r*."""
    thought, estimator = [], []
    for ex in examples:
        messages, target = thought_pair(ex)
        thought.append(_row(ex, messages, target))
        estimator.append(_row(ex, *estimator_pair(ex, target), reasoning=target))
    return thought, estimator


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--model", default="rolescope-tiny-en", choices=["rolescope-tiny-en", "rolescope-tiny-multi"])
    parser.add_argument("--split", default=TRAINING_SPLIT, help="only 'valid' is accepted")
    parser.add_argument("--max-examples", type=int)
    parser.add_argument("--seed", type=int, default=1234)
    args = parser.parse_args()
    try:
        dialogues = load_training_dialogues(args.model, args.split)
    except ValueError as error:
        parser.error(str(error))
    examples = training_examples(dialogues, args.max_examples, args.seed)
    os.makedirs(args.out, exist_ok=True)
    for name, table in zip(["thought", "estimator"], rows(examples)):
        with open(os.path.join(args.out, f"{name}.jsonl"), "w", encoding="utf-8") as f:
            f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in table)
    print(f"{len(examples)} examples from {args.model} ({args.split}) -> {args.out}/thought.jsonl, estimator.jsonl")


if __name__ == "__main__":
    main()
