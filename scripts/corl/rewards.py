"""The rewards of CoRL (docs/method.md section 5) at the scale of the bundled 3.4M-parameter models.

Thought policy q(r | x), three rewards summed at weight 1, as in the paper:
- format: 0.5 for a `Core features:` line followed by at least one `- ` item, 0.5 more for a
  non-empty summary before that line (the paper: 0.5 for the block, 0.5 for its section headers;
  th-v1 has one header, so the second half rewards the summary it asks for).
- length: min(1, words of the core-features part / cap). The paper caps at 600 words; here 24,
  because the estimator's 512-token window must hold persona, character, dialogue, r and the
  response, and the app gives a thought model 128 new tokens: a longer list could only crowd
  out the dialogue.
- likelihood: exp(mean log q(y* | x, r)) under the previous estimator: how much r helps the
  estimator predict the golden response, in (0, 1].

Estimator q(y | x, r):
- format: 1 if `## Agent Response` appears in the completion.
- judge ratio: min(1, exp(a(candidate) - a(golden))). The paper's a is an 8B judge's log-probability
  of answering "100%" to "what share of the core features does this response cover"; there is no
  such judge here and the 3.4M base model cannot answer the question. judge_score stands in: the
  share of the content words listed in r's core features that the response contains. It rewards a
  response that says what r says it should, relative to the golden response (a share in [0, 1],
  so the ratio lies in [1/e, 1]); it is lexical, so it cannot reward paraphrase or style.

The trl_* functions have the shape TRL's GRPOTrainer calls reward functions with: the generated
`completions` (strings, or lists of chat messages for conversational data) plus the dataset's
other columns as keyword lists (here `golden`, `reasoning`, and the role-play input columns
`user_persona`, `agent_character`, `dialogue`); each returns one float per completion.
"""
import math

from targets import ANSWERS, ASKS_BACK, FEATURES_HEADER, LONGER, MENTIONS, SHORT
from words import content_words, count_words, word_tokens

LENGTH_CAP_WORDS = 24
AGENT_RESPONSE_HEADER = "## Agent Response"


def parse_reasoning(r):
    """(summary, core-features text, items) of r; (r, None, []) when no `Core features:` line.
    The header is matched on its own line, case-insensitively; an item is a line starting `- `
    with some text after it."""
    lines = r.split("\n")
    for i, line in enumerate(lines):
        if line.strip().lower() == FEATURES_HEADER.lower():
            rest = lines[i + 1 :]
            items = [s.strip()[2:].strip() for s in rest if s.strip().startswith("- ") and s.strip()[2:].strip()]
            return "\n".join(lines[:i]).strip(), "\n".join(rest), items
    return r.strip(), None, []


def format_reward(r):
    summary, features, items = parse_reasoning(r)
    if features is None or not items:
        return 0.0
    return 0.5 + (0.5 if word_tokens(summary) else 0.0)


def length_reward(r, cap_words=LENGTH_CAP_WORDS):
    _, features, _ = parse_reasoning(r)
    return 0.0 if features is None else min(1.0, count_words(features) / cap_words)


def likelihood_reward(token_logprobs):
    """exp of the mean natural-log probability of y*'s tokens; 0 for no tokens (nothing scored)."""
    if not token_logprobs:
        return 0.0
    mean = math.fsum(token_logprobs) / len(token_logprobs)
    if math.isnan(mean):
        raise ValueError("a token log-probability is NaN")
    return math.exp(mean)


def thought_reward(r, token_logprobs, cap_words=LENGTH_CAP_WORDS):
    return format_reward(r) + length_reward(r, cap_words) + likelihood_reward(token_logprobs)


def estimator_format_reward(completion):
    return 1.0 if AGENT_RESPONSE_HEADER in completion else 0.0


def estimator_response(completion):
    """The response of an estimator completion: what follows the `## Agent Response` line."""
    _, found, tail = completion.partition(AGENT_RESPONSE_HEADER)
    if not found:
        return completion
    return tail[1:] if tail.startswith("\n") else tail


def feature_words(r):
    """The content words r's core features ask for. The cold-start items that say what to do
    rather than what to say (targets.py) add none; `mentions a, b` adds a and b."""
    words = []
    for item in parse_reasoning(r)[2]:
        if item in (ANSWERS, ASKS_BACK, SHORT, LONGER):
            continue
        words += content_words(item[len(MENTIONS) :] if item.startswith(MENTIONS) else item)
    return list(dict.fromkeys(words))


def judge_score(response, r):
    """The share of r's feature words that the response contains; 0 when r lists none."""
    wanted = feature_words(r)
    if not wanted:
        return 0.0
    return len(set(wanted).intersection(content_words(response))) / len(wanted)


def judge_ratio_reward(candidate, golden, r):
    return min(1.0, math.exp(judge_score(candidate, r) - judge_score(golden, r)))


def completion_text(completion):
    """A TRL completion as text: a string, or the joined contents of a list of chat messages
    (content given as a string or as a list of {"type": "text", "text"} parts)."""
    if isinstance(completion, str):
        return completion
    parts = []
    for message in completion:
        content = message["content"]
        parts += [content] if isinstance(content, str) else [p.get("text", "") for p in content]
    return "".join(parts)


def trl_thought_format(completions, **kwargs):
    return [format_reward(completion_text(c)) for c in completions]


def trl_thought_length(completions, **kwargs):
    return [length_reward(completion_text(c)) for c in completions]


def role_play_inputs(kwargs):
    """The examples x of a batch, rebuilt from the dataset's columns (data.py writes them)."""
    n = len(kwargs["dialogue"])
    return [{"user_persona": kwargs["user_persona"][i], "agent_character": kwargs["agent_character"][i],
             "dialogue": kwargs["dialogue"][i]} for i in range(n)]


def make_likelihood_reward(score_fn):
    """The likelihood reward for TRL. score_fn(inputs, reasonings, goldens) -> list[list[float]]
    returns, per completion, the golden response's per-token log-probs (natural log) under the
    previous estimator, given the role-play input x (a dict as in prompts.py, so score_fn can
    render est-v1 with prompts.estimator_messages and drop oldest turns to fit the window), the
    completion's r and y*. Injected so that this module needs no model."""

    def trl_thought_likelihood(completions, golden, **kwargs):
        reasonings = [completion_text(c) for c in completions]
        scored = score_fn(role_play_inputs(kwargs), reasonings, list(golden))
        if len(scored) != len(reasonings):
            raise ValueError(f"score_fn returned {len(scored)} results for {len(reasonings)} completions")
        return [likelihood_reward(lp) for lp in scored]

    return trl_thought_likelihood


def trl_estimator_format(completions, **kwargs):
    return [estimator_format_reward(completion_text(c)) for c in completions]


def trl_judge_ratio(completions, golden, reasoning, **kwargs):
    return [judge_ratio_reward(estimator_response(completion_text(c)), g, r)
            for c, g, r in zip(completions, golden, reasoning, strict=True)]
