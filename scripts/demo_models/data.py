"""Data loading and the "rp-v1" prompt format shared with the TypeScript side.

Everything here must render byte-for-byte what the browser app renders, because the
app scores responses with the same template the models were trained on.
"""
import csv
import json
import os
import re

# The data sits next to the repository (../shared/data), as in the project's checkout layout.
_REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DATA_ROOT = os.environ.get("ROLESCOPE_DATA", os.path.join(os.path.dirname(_REPO), "shared", "data"))

SYSTEM = (
    "You are a role-playing agent. Stay in character as the agent described in <character>, "
    "serve the user described in <user_persona>, and write the agent's next response to the dialogue."
)

# ChatML; stored verbatim as `chat_template` in tokenizer_config.json.
CHAT_TEMPLATE = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] "
    "+ '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]

XPERSONA_LANGS = {
    "en": "En_persona_{split}.json",
    "zh": "Zh_persona_split_{split}_human_annotated.json",
    "jp": "Jp_persona_split_{split}_human_annotated.json",
    "ko": "Ko_persona_split_{split}_human_annotated.json",
    "fr": "Fr_persona_split_{split}_human_annotated.json",
    "it": "It_persona_split_{split}_human_annotated.json",
    "id": "Id_persona_split_{split}_human_annotated.json",
}
SPC_FILE = "Synthetic-Persona-Chat/data/Synthetic-Persona-Chat_{split}.csv"


def xpersona_path(lang, split):
    return os.path.join(DATA_ROOT, "Xpersona", "dataset", XPERSONA_LANGS[lang].format(split=split))


def spc_path(split):
    return os.path.join(DATA_ROOT, SPC_FILE.format(split=split))


def join_persona(sentences):
    """Persona lists become one stripped sentence per line."""
    return "\n".join(s.strip() for s in sentences if s.strip())


def load_xpersona(lang, split):
    """Xpersona: `persona` is the bot's (= agent's) persona; there is no user persona.

    Each [user, bot] pair becomes a user turn followed by an agent turn. Texts are kept
    as they are, including the `__SILENCE__` placeholder user query.
    """
    dialogues = []
    for row in json.load(open(xpersona_path(lang, split), encoding="utf-8")):
        turns = []
        for user, bot in row["dialogue"]:
            turns.append(("user", user))
            turns.append(("agent", bot))
        dialogues.append({"source": f"xpersona-{lang}", "user_persona": "",
                          "agent_character": join_persona(row["persona"]), "turns": turns})
    return dialogues


# "User 1: text" lines; a few conversations prefix lines with markdown bullets ("* User 1:").
_SPC_LINE = re.compile(r"^[*\s]*User ([12])\s*:\s*(.*)$")


def load_spc(split):
    """Synthetic-Persona-Chat: User 1 = user (with persona), User 2 = agent.

    Consecutive lines by one speaker are merged with a single space; lines that are not
    speaker lines (blank lines, "* * *", stage directions) are skipped; leading agent
    lines are dropped so every dialogue starts with a user query.
    """
    dialogues = []
    with open(spc_path(split), encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            turns = []
            for line in row["Best Generated Conversation"].split("\n"):
                m = _SPC_LINE.match(line.strip())
                if not m or not m.group(2).strip():
                    continue
                role = "user" if m.group(1) == "1" else "agent"
                text = m.group(2).strip()
                if turns and turns[-1][0] == role:
                    turns[-1] = (role, turns[-1][1] + " " + text)
                else:
                    turns.append((role, text))
            while turns and turns[0][0] == "agent":
                turns.pop(0)
            if not any(r == "agent" for r, _ in turns):
                continue
            dialogues.append({"source": "spc", "user_persona": join_persona(row["user 1 personas"].split("\n")),
                              "agent_character": join_persona(row["user 2 personas"].split("\n")),
                              "turns": turns})
    return dialogues


def agent_turn_indices(dialogue):
    """Indices (into turns) of agent turns that follow at least one user turn."""
    return [i for i, (r, _) in enumerate(dialogue["turns"]) if r == "agent" and i > 0]


def make_example(dialogue, turn_index, drop_oldest=0):
    """Example for the agent turn at `turn_index`: context = every turn before it."""
    context = dialogue["turns"][:turn_index][drop_oldest:]
    return {"user_persona": dialogue["user_persona"], "agent_character": dialogue["agent_character"],
            "dialogue": [{"role": r, "text": t} for r, t in context],
            "response": dialogue["turns"][turn_index][1]}


def user_block(ex):
    lines = "\n".join(("User: " if t["role"] == "user" else "Agent: ") + t["text"].strip() for t in ex["dialogue"])
    return ("<user_persona>\n" + (ex["user_persona"].strip() or "(unknown)") + "\n</user_persona>\n"
            "<character>\n" + ex["agent_character"].strip() + "\n</character>\n"
            "<dialogue>\n" + lines + "\n</dialogue>")


def render_messages(ex):
    return [{"role": "system", "content": SYSTEM},
            {"role": "user", "content": user_block(ex)},
            {"role": "assistant", "content": ex["response"].strip()}]


def render_chat(messages, add_generation_prompt=False):
    """Python equivalent of CHAT_TEMPLATE."""
    out = "".join("<|im_start|>" + m["role"] + "\n" + m["content"] + "<|im_end|>\n" for m in messages)
    return out + ("<|im_start|>assistant\n" if add_generation_prompt else "")


def split_prompt_response(ex):
    """(prefix text up to and including '<|im_start|>assistant\\n', response content, suffix)."""
    msgs = render_messages(ex)
    prefix = render_chat(msgs[:2], add_generation_prompt=True)
    return prefix, msgs[2]["content"], "<|im_end|>\n"


def load_model_dialogues(model_id, split):
    """Dialogues for a demo model. English: Xpersona En + SPC; multi adds six more languages."""
    dialogues = load_xpersona("en", split) + load_spc(split)
    if model_id == "rolescope-tiny-multi":
        for lang in ["zh", "jp", "ko", "fr", "it", "id"]:
            dialogues += load_xpersona(lang, split)
    return dialogues
