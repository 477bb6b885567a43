"""Python mirrors of the TypeScript prompts the CoRL models are trained and evaluated with.

- th-v1 (src/core/prompts/thought-prompt.ts): the prompt a thought model answers with r.
- est-v1 (src/core/prompts/estimator-prompt.ts): the estimator's context; the response is scored
  as the assistant turn `## Agent Response\\n{y}`.

They must render byte for byte what the app renders, or the trained models would be evaluated on
a prompt they never saw. test/fixtures/corl/prompts.json (written by write_prompt_fixture.py) holds
these renderings, and test/unit/core/prompts/corl-prompts.test.ts checks the TypeScript side
renders the same, so the two cannot drift unnoticed.

Inputs are the example dicts of scripts/demo_models/data.py: `user_persona`, `agent_character`
(a string, or a dict for a structured profile) and `dialogue` ([{"role": "user"|"agent", "text"}]).
"""
import json
import math
import re

THOUGHT_TEMPLATE_VERSION = "th-v1"
ESTIMATOR_TEMPLATE_VERSION = "est-v1"

THOUGHT_SYSTEM_PROMPT = (
    "You read a role-play and note what the agent's next response needs. Do not write the response itself."
)
THOUGHT_TASK = (
    "In one or two sentences, say what matters in the user persona, the agent character and the dialogue. "
    'Then write "Core features:" and a short list of what a good next agent response should contain '
    "(content and style)."
)
ESTIMATOR_SYSTEM_PROMPT = (
    "You are given a role-play: the user persona, the agent character and the dialogue so far. "
    "Complete the agent response after considering the core features."
)
# Written before the response inside the assistant turn; not part of the scored span.
ESTIMATOR_RESPONSE_PREFIX = "## Agent Response\n"

# What JavaScript's String.prototype.trim removes (WhiteSpace and LineTerminator). Python's
# str.strip differs: it also removes U+001C..U+001F and U+0085 but keeps U+FEFF.
_JS_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"


def js_trim(s):
    return s.strip(_JS_SPACE)


# An array-index-like key ("0", "7", not "07"): JavaScript enumerates these first, ascending.
_INDEX_KEY = re.compile(r"^(0|[1-9][0-9]*)$")


def _js_keys(obj):
    index = sorted((k for k in obj if _INDEX_KEY.match(k) and int(k) < 2**32 - 1), key=int)
    return index + [k for k in obj if k not in index]


def js_stringify(value):
    """JSON.stringify for JSON-like values. Floats are rendered as JavaScript does for integral
    values and plain decimals; exponent forms (below 1e-4 or from 1e16) are not mirrored."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(js_stringify(v) for v in value) + "]"
    return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + js_stringify(value[k]) for k in _js_keys(value)) + "}"


def render_character(character):
    """renderCharacter: text as is (trimmed); a structured profile as `key: value` lines."""
    if isinstance(character, str):
        return js_trim(character)
    return "\n".join(
        f"{k}: {js_trim(character[k]) if isinstance(character[k], str) else js_stringify(character[k])}"
        for k in _js_keys(character)
    )


def render_role_play_sections(ex):
    """renderRolePlaySections: persona, character and the numbered dialogue, without the open response."""
    lines = [
        "## User Persona",
        js_trim(ex["user_persona"]) or "(unknown)",
        "",
        "## Agent Character",
        render_character(ex["agent_character"]),
        "",
        "## Dialogue Context",
    ]
    k = 0
    for turn in ex["dialogue"]:
        if turn["role"] == "user":
            k += 1
            lines.append(f"User Query {k}: {js_trim(turn['text'])}")
        else:
            lines.append(f"Agent Response {k}: {js_trim(turn['text'])}")
    return lines


def thought_messages(ex):
    """thoughtMessages: the messages a thought model answers with r (x alone, never y*)."""
    user = "\n".join(render_role_play_sections(ex) + ["", "## Task", THOUGHT_TASK])
    return [{"role": "system", "content": THOUGHT_SYSTEM_PROMPT}, {"role": "user", "content": user}]


def estimator_messages(ex, reasoning=None):
    """estimatorMessages: the context the estimator scores a response after. reasoning=None gives
    no core-features block; an empty string gives the heading with nothing under it."""
    k = sum(1 for t in ex["dialogue"] if t["role"] == "user")
    lines = render_role_play_sections(ex) + [f"Agent Response {k}: "]
    if reasoning is not None:
        lines += ["", "## Core Features", js_trim(reasoning)]
    return [{"role": "system", "content": ESTIMATOR_SYSTEM_PROMPT}, {"role": "user", "content": "\n".join(lines)}]


def drop_oldest_turns(ex, drop):
    """dropOldestTurns (src/core/pipeline/fit.ts): the example without its `drop` oldest dialogue
    entries; the final user query always stays. Trainers call it with 2, 4, ... until the
    tokenized prompt fits the window, as the app does when it evaluates."""
    dialogue = ex["dialogue"]
    return {**ex, "dialogue": dialogue[min(drop, len(dialogue) - 1):]}
