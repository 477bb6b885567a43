"""Writes test/fixtures/corl/prompts.json: hand-made role-play inputs and their th-v1 / est-v1
renderings by prompts.py. test/unit/core/prompts/corl-prompts.test.ts renders the same inputs
with the TypeScript templates and requires identical text, so the Python mirror cannot drift.
The inputs are written here, not read from the data, so the fixture can be rebuilt anywhere:

    /usr/bin/python3 scripts/corl/write_prompt_fixture.py

Rerun it after changing either template (and check that both sides still agree).
"""
import json
import os

from prompts import (ESTIMATOR_RESPONSE_PREFIX, ESTIMATOR_TEMPLATE_VERSION, THOUGHT_TEMPLATE_VERSION,
                     estimator_messages, thought_messages)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "fixtures", "corl", "prompts.json")


def turns(*texts):
    """Alternating user/agent turns starting with the user."""
    return [{"role": "user" if i % 2 == 0 else "agent", "text": t} for i, t in enumerate(texts)]


# Each case: a name, the input x, and the reasoning (absent: no core-features block).
CASES = [
    {"name": "empty persona, one query, no reasoning",
     "input": {"user_persona": "", "agent_character": "i'm a nurse.\ni surf often.", "dialogue": turns("__SILENCE__")}},
    {"name": "persona lines, agent turns, cold-start reasoning",
     "input": {"user_persona": "I love to bake cookies.\nI have a dog.",
               "agent_character": "I am a boy.\nI can move objects with my mind.",
               "dialogue": turns("Hi!", "Hello!", "What is your favorite thing to do? ")},
     "reasoning": "The agent's relevant trait: I can move objects with my mind.\nCore features:\n"
                  "- answers the question\n- mentions move, objects, mind\n- short reply"},
    {"name": "structured character (index-like key, numbers, list, nested), empty reasoning",
     "input": {"user_persona": "  A retired sailor.  ",
               "agent_character": {"name": " Sherlock Holmes ", "age": 60, "height": 1.85, "retired": False,
                                   "tags": ["detective", "violinist"], "address": {"street": "Baker St", "no": 221},
                                   "2": "index-like keys come first in JavaScript", "quote": 'He said "elementary"\n'},
               "dialogue": turns("Hello there.", "Good evening.", "Which knot holds best?")},
     "reasoning": ""},
    {"name": "non-ASCII: Chinese, Japanese, Korean, accents, emoji",
     "input": {"user_persona": "J'adore le café ☕.",
               "agent_character": "我有两只狗。\n私は2匹の犬を飼っています。\n나는 개를 좋아해.",
               "dialogue": turns("嗨！你今晚过得怎么样？", "我很好。", "\u3000Et toi, ça va ? 😀\u3000")},
     "reasoning": "The agent's relevant trait: 我有两只狗。\nCore features:\n- mentions 两只, 只狗\n- a few sentences"},
    {"name": "whitespace: blank persona, JavaScript-only and Python-only spaces, agent first",
     "input": {"user_persona": " \n\t ",
               "agent_character": "\ufeffA knight.\u00a0",
               "dialogue": [{"role": "agent", "text": "  Halt!  "}, {"role": "user", "text": "\x1fWho goes there?\x1f"},
                            {"role": "agent", "text": "\u2028Sir Tom.\u2029"}, {"role": "user", "text": "Why?\r\n"}]},
     "reasoning": "  \n  "},
    {"name": "long multi-turn dialogue, reasoning with outer whitespace",
     "input": {"user_persona": "I have two kids.\nI work nights.",
               "agent_character": "I am a chef. I love spicy food!\nI live in Lyon.",
               "dialogue": turns("Hi", "Hey, how are you?", "Tired, long shift.", "Sorry to hear. Hungry?",
                                 "Always. What do you cook?")},
     "reasoning": "\nThe agent's relevant trait: I am a chef.\nThe user's relevant trait: I work nights.\n"
                  "Core features:\n- answers the question\n- mentions cook\n- short reply\n\n"},
]


def main():
    cases = []
    for case in CASES:
        reasoning = case.get("reasoning")
        cases.append({**case, "thought": thought_messages(case["input"]),
                      "estimator": estimator_messages(case["input"], reasoning)})
    fixture = {"thoughtTemplate": THOUGHT_TEMPLATE_VERSION, "estimatorTemplate": ESTIMATOR_TEMPLATE_VERSION,
               "responsePrefix": ESTIMATOR_RESPONSE_PREFIX, "cases": cases}
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(json.dumps(fixture, ensure_ascii=False, indent=2) + "\n")
    print(f"{len(cases)} cases -> {os.path.relpath(OUT)}")


if __name__ == "__main__":
    main()
