"""The cold-start target r* of a training sample: what the thought model first learns to write.

The paper's cold start used analyses a strong model wrote after seeing the golden response y*,
two pages long. A 3.4M-parameter model with a 512-token window cannot write that, so r* here has
the th-v1 shape the thought prompt asks for, built so that a small model can learn it from x:

    The agent's relevant trait: <one sentence of the agent character>
    The user's relevant trait: <one sentence of the user persona>      (when there is a persona)
    Core features:
    - answers the question            (the last user query ends with "?")
    - mentions <up to 3 words>        (content words of y* that also occur in x)
    - asks a question back            (y* contains "?")
    - short reply | a few sentences   (y* up to SHORT_REPLY_WORDS words, or longer)

Why it is learnable: every word of r* is a fixed frame word or a word of x (the sentences are
copied from the persona and character, the mentioned words occur in x), so a model that sees x
alone can produce each token by copying from its prompt, which small transformers do well; the
whole r* stays far below the 128 new tokens the app gives a thought model.

What it leaks: y* decides WHICH sentences and words are picked and which features are listed
(sentences with the largest content-word overlap with y*, ties to the earliest; the first
sentence when nothing overlaps), so r* carries information about y* that x alone does not
determine, as the paper's analyses did. It never carries a word of y* that is absent from x.
Only training samples (the `valid` split) ever get an r*; test samples never see one.
"""
import re

from prompts import js_trim, render_character
from words import content_words, count_words

FEATURES_HEADER = "Core features:"
AGENT_FRAME = "The agent's relevant trait: "
USER_FRAME = "The user's relevant trait: "
NOTHING_STANDS_OUT = "Nothing in the persona or character stands out."
ANSWERS = "answers the question"
MENTIONS = "mentions "
ASKS_BACK = "asks a question back"
SHORT = "short reply"
LONGER = "a few sentences"
MAX_MENTIONS = 3
# About the median length of the agent turns in the valid data (8-12 words by source), so the two
# length items split the samples roughly in half.
SHORT_REPLY_WORDS = 10

# The words r* may hold besides words of x: those of the frames and items above (the no-leak tests
# check that every other word of an r* occurs in x).
TEMPLATE_WORDS = frozenset(
    content_words(" ".join([FEATURES_HEADER, AGENT_FRAME, USER_FRAME, NOTHING_STANDS_OUT, ANSWERS, MENTIONS,
                            ASKS_BACK, SHORT, LONGER]))
)

# A sentence ends at . ! ? followed by space, or at a CJK full stop (no space follows those).
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])")


def sentences(text):
    """The sentences of a persona or character: one per line, lines split further at sentence ends."""
    return [s.strip() for line in text.split("\n") for s in _SENTENCE_END.split(line) if s.strip()]


def best_sentence(candidates, golden_words):
    """The sentence sharing the most content words with y*; ties (and no overlap) go to the earliest."""
    best, best_overlap = None, -1
    for s in candidates:
        overlap = len(golden_words.intersection(content_words(s)))
        if overlap > best_overlap:
            best, best_overlap = s, overlap
    return best


def _ended(sentence):
    return sentence if sentence[-1] in ".!?。！？" else sentence + "."


def summary(ex, golden):
    golden_words = set(content_words(golden))
    agent = best_sentence(sentences(render_character(ex["agent_character"])), golden_words)
    user = best_sentence(sentences(js_trim(ex["user_persona"])), golden_words)
    lines = [AGENT_FRAME + _ended(agent)] if agent else []
    lines += [USER_FRAME + _ended(user)] if user else []
    return "\n".join(lines) or NOTHING_STANDS_OUT


def context_text(ex):
    """All the text of x: persona, character and every dialogue turn."""
    return "\n".join([ex["user_persona"], render_character(ex["agent_character"])] + [t["text"] for t in ex["dialogue"]])


def core_features(ex, golden):
    users = [t["text"] for t in ex["dialogue"] if t["role"] == "user"]
    items = []
    if users and js_trim(users[-1]).endswith(("?", "？")):
        items.append(ANSWERS)
    in_x = set(content_words(context_text(ex)))
    mentioned = [w for w in content_words(golden) if w in in_x][:MAX_MENTIONS]
    if mentioned:
        items.append(MENTIONS + ", ".join(mentioned))
    if "?" in golden or "？" in golden:
        items.append(ASKS_BACK)
    items.append(SHORT if count_words(golden) <= SHORT_REPLY_WORDS else LONGER)
    return items


def cold_start_target(ex, golden):
    """r* for the example `ex` (x) whose golden response is `golden` (y*). Deterministic."""
    return "\n".join([summary(ex, golden), FEATURES_HEADER] + ["- " + item for item in core_features(ex, golden)])
