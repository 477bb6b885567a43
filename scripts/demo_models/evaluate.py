"""Held-out check that the models use their context.

For each test set, a seeded sample of (dialogue, agent turn) pairs is scored twice: the
golden response under its own context, and under the context of another sample from the
same test set (a seeded derangement). Reported: pooled mean log-prob per response token for
both, their difference (margin) and own-context perplexity. Only `*_test*` files are read here.
"""
import math
import random

import torch
import torch.nn.functional as F

import data
from tokenize_examples import encode_example

TEST_SETS = {
    "xpersona-en": lambda: data.load_xpersona("en", "test"),
    "spc": lambda: data.load_spc("test"),
    **{f"xpersona-{l}": (lambda l=l: data.load_xpersona(l, "test")) for l in ["zh", "jp", "ko", "fr", "it", "id"]},
}
MODEL_TEST_SETS = {
    "rolescope-tiny-en": ["xpersona-en", "spc"],
    "rolescope-tiny-multi": ["xpersona-en", "spc", "xpersona-zh", "xpersona-jp", "xpersona-ko",
                             "xpersona-fr", "xpersona-it", "xpersona-id"],
}


def derangement(n, rng):
    """Random permutation with no fixed point (retry until none; expected ~e tries)."""
    while True:
        p = list(range(n))
        rng.shuffle(p)
        if all(i != j for i, j in enumerate(p)):
            return p


@torch.no_grad()
def response_logprobs(model, ids, span):
    x = torch.tensor([ids])
    logp = F.log_softmax(model(x)[0].float(), dim=-1)
    s, e = span
    tgt = torch.tensor(ids[s:e])
    return logp[s - 1:e - 1].gather(1, tgt[:, None])[:, 0].tolist()


def sample_pairs(dialogues, n, seed):
    rng = random.Random(seed)
    pool = [(d, k) for d in dialogues for k in [None] if data.agent_turn_indices(d)]
    picked = rng.sample(pool, min(n, len(pool)))
    return [(d, rng.choice(data.agent_turn_indices(d))) for d, _ in picked], rng


def evaluate_set(model, tok, dialogues, n=200, seed=1234, max_len=512):
    pairs, rng = sample_pairs(dialogues, n, seed)
    perm = derangement(len(pairs), rng)
    own_sum = mis_sum = 0.0
    own_n = mis_n = 0
    for i, (d, k) in enumerate(pairs):
        ex = data.make_example(d, k)
        ids, span, _ = encode_example(tok, ex, max_len)
        lp = response_logprobs(model, ids, span)
        own_sum += sum(lp)
        own_n += len(lp)
        od, ok = pairs[perm[i]]
        other = data.make_example(od, ok)
        mis = dict(other, response=ex["response"])  # same response, another sample's personas + dialogue
        ids, span, _ = encode_example(tok, mis, max_len)
        lp = response_logprobs(model, ids, span)
        mis_sum += sum(lp)
        mis_n += len(lp)
    own, mis = own_sum / own_n, mis_sum / mis_n
    return {"n": len(pairs), "tokens": own_n, "own_logprob": own, "mismatched_logprob": mis,
            "margin": own - mis, "perplexity": math.exp(-own)}


def evaluate_model(model, tok, model_id, n=200, seed=1234, max_len=512):
    model.eval()
    return {name: evaluate_set(model, tok, TEST_SETS[name](), n, seed, max_len) for name in MODEL_TEST_SETS[model_id]}


def format_table(results):
    lines = ["| test set | samples | response tokens | own-context log-prob/token | mismatched log-prob/token | margin (nats/token) | perplexity |",
             "|---|---|---|---|---|---|---|"]
    for name, r in results.items():
        lines.append(f"| {name} | {r['n']} | {r['tokens']} | {r['own_logprob']:.3f} | {r['mismatched_logprob']:.3f} | "
                     f"{r['margin']:.3f} | {r['perplexity']:.1f} |")
    return "\n".join(lines)
