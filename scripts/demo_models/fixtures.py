"""Fixtures for the TypeScript tests and for check_onnx.mjs.

Each example holds the rp-v1 inputs, the rendered messages and chat text, the Python token
ids, the response token span and torch's per-token log-probs of the response, so the app can
test rendering, tokenization and scoring independently of each other.
"""
import json
import os

import torch
import torch.nn.functional as F

import data
from tokenize_examples import encode_example

SPAN_CONVENTION = (
    "response_token_span = [start, end) indexes token_ids; it covers exactly the tokens of the assistant "
    "message content (the stripped response). It excludes the '<|im_start|>' 'assistant' '\\n' tokens before "
    "it and the '<|im_end|>' and '\\n' tokens after it. response_token_logprobs[j] = log_softmax(logits at "
    "position start + j - 1)[token_ids[start + j]] (fp32 torch); mean_logprob is their arithmetic mean."
)

# A hand-written example exercising accents, emoji (incl. ZWJ sequences, skin tones, flags) and odd whitespace.
ODD_EXAMPLE = {
    "user_persona": "  J'adore le café crème\u00a0et les crêpes.\nMy name is Zoë; I live in São Paulo.  ",
    "agent_character": "Je suis un naïf garçon 🤖 who likes émojis 👩\u200d🚀👍🏽🇫🇷.\nI speak\tin  tabs   and   spaces.",
    "dialogue": [
        {"role": "user", "text": "  Ça va ?  Naïve question…\t😀  "},
        {"role": "agent", "text": "Très bien!!  ¿Y tú?\n(second line)"},
        {"role": "user", "text": "Ünïcödé   test — “quotes” & 'apostrophes' don't break? 123,456.78"},
    ],
    "response": "  Oui 😀! Everything's fine — c'est génial.\u00a0 🎉🎉 \n",
}


def _pick(dialogues, tok, max_len, want_turn=3):
    """First dialogue whose example at (about) the `want_turn`-th agent turn fits untruncated."""
    for turn in range(want_turn, -1, -1):  # byte-heavy scripts need an earlier turn under an English vocab
        for d in dialogues:
            idx = data.agent_turn_indices(d)
            if len(idx) > turn:
                ex = data.make_example(d, idx[turn])
                enc = encode_example(tok, ex, max_len)
                if enc and enc[2] == 0:
                    return ex
    raise RuntimeError("no example fits")


def fixture_examples(tok, max_len):
    return [
        ("xpersona-en", _pick(data.load_xpersona("en", "valid"), tok, max_len, 2)),
        ("spc", _pick(data.load_spc("valid")[5:], tok, max_len, 4)),
        ("xpersona-zh", _pick(data.load_xpersona("zh", "valid"), tok, max_len, 2)),
        ("xpersona-jp", _pick(data.load_xpersona("jp", "valid"), tok, max_len, 2)),
        ("xpersona-ko", _pick(data.load_xpersona("ko", "valid"), tok, max_len, 2)),
        ("accents-emoji-whitespace", ODD_EXAMPLE),
    ]


@torch.no_grad()
def write_fixtures(model, tok, model_id, fixtures_dir, max_len):
    model.eval()
    examples, reference = [], []
    for name, ex in fixture_examples(tok, max_len):
        ids, span, drop = encode_example(tok, ex, max_len)
        assert drop == 0
        msgs = data.render_messages(ex)
        text = data.render_chat(msgs)
        assert tok.encode(text) == ids and tok.decode(ids) == text
        logits = model(torch.tensor([ids]))[0].float()
        logp = F.log_softmax(logits, dim=-1)
        s, e = span
        lps = logp[s - 1:e - 1].gather(1, torch.tensor(ids[s:e])[:, None])[:, 0].tolist()
        examples.append({
            "name": name,
            "user_persona": ex["user_persona"],
            "agent_character": ex["agent_character"],
            "dialogue": ex["dialogue"],
            "response": ex["response"],
            "messages": msgs,
            "text": text,
            "token_ids": ids,
            "response_token_span": [s, e],
            "response_token_logprobs": lps,
            "mean_logprob": sum(lps) / len(lps),
        })
        # check_onnx.mjs: full-vocabulary logits at the position that predicts the first response
        # token, plus every position's logit of the actual next token (kept small on purpose).
        reference.append({
            "name": name,
            "token_ids": ids,
            "positions": [s - 1],
            "logits": [[round(v, 5) for v in logits[s - 1].tolist()]],
            "next_token_logits": [round(logits[i, ids[i + 1]].item(), 6) for i in range(len(ids) - 1)],
        })
    os.makedirs(fixtures_dir, exist_ok=True)
    fixture = {
        "model_id": model_id,
        "format": "rp-v1",
        "system": data.SYSTEM,
        "chat_template": data.CHAT_TEMPLATE,
        "special_tokens": {s: tok.token_id(s) for s in data.SPECIAL_TOKENS},
        "max_length": max_len,
        "truncation": "while the chat text is longer than max_length tokens, drop the oldest dialogue turn",
        "response_token_span_convention": SPAN_CONVENTION,
        "examples": examples,
    }
    with open(os.path.join(fixtures_dir, f"{model_id}.json"), "w", encoding="utf-8") as f:
        json.dump(fixture, f, ensure_ascii=False, indent=1)
        f.write("\n")
    with open(os.path.join(fixtures_dir, f"{model_id}.reference-logits.json"), "w", encoding="utf-8") as f:
        json.dump({"model_id": model_id, "cases": reference}, f, ensure_ascii=False)
        f.write("\n")
