"""The pure parts of the method-labelled policies (train.py): the role-play prompt the app renders
(rp-v1), the thinking variant's output format, and the RL reward. Standard library only, so the
unit tests run without torch.

A thinking policy writes `<think>\\n{thought}\\n</think>\\n{reply}`: the app keeps only the reply
(src/core/prompts/thought-block.ts does the same split), so a thought never reaches the
estimator. An opened thought that never closes (the model ran out of tokens while thinking)
leaves no reply at all.
"""
import os
import sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "corl"))

from data import demo_data  # noqa: E402  (scripts/corl/data.py: the valid-split loaders)
from prompts import js_trim  # noqa: E402
from words import word_tokens  # noqa: E402

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
BASE = "rolescope-tiny-multi"  # the SFT policy every method starts from
POLICY_TOKENS = 256  # the app's POLICY_GENERATION.maxNewTokens


def role_play_messages(ex):
    """rp-v1's context messages (src/core/prompts/prompt.ts), as the demo models were trained."""
    return [{"role": "system", "content": demo_data.SYSTEM}, {"role": "user", "content": demo_data.user_block(ex)}]


def thinking_completion(thought, reply):
    """The thinking variant's training target."""
    return f"{THINK_OPEN}\n{js_trim(thought)}\n{THINK_CLOSE}\n{js_trim(reply)}"


def reply_of(text):
    """The reply of a policy's output: after the last `</think>` when it thought; "" when a
    thought opened and never closed; the whole (trimmed) text otherwise."""
    close = text.rfind(THINK_CLOSE)
    if close >= 0:
        return js_trim(text[close + len(THINK_CLOSE):])
    if js_trim(text).startswith(THINK_OPEN):
        return ""
    return js_trim(text)


def word_f1(candidate, reference):
    """SQuAD-style F1 of the two texts' word tokens (words.py: lowercased, CJK as bigrams), with
    repeats counted as often as both texts have them; 0 when either is empty."""
    c, r = Counter(word_tokens(candidate)), Counter(word_tokens(reference))
    common = sum((c & r).values())
    if common == 0:
        return 0.0
    precision, recall = common / sum(c.values()), common / sum(r.values())
    return 2 * precision * recall / (precision + recall)


def completion_text(completion):
    return completion if isinstance(completion, str) else "".join(m["content"] for m in completion)


def trl_reply_f1(completions, golden, **kwargs):
    """The RL reward for TRL: word F1 of the completion's reply with the training sample's reply."""
    return [word_f1(reply_of(completion_text(c)), g) for c, g in zip(completions, golden, strict=True)]
