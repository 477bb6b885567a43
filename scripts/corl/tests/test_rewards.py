import math
import unittest

from rewards import (estimator_format_reward, estimator_response, feature_words, format_reward, judge_ratio_reward,
                     judge_score, length_reward, likelihood_reward, make_likelihood_reward, parse_reasoning,
                     thought_reward, trl_estimator_format, trl_judge_ratio, trl_thought_format, trl_thought_length)

R = "The agent's relevant trait: I surf.\nCore features:\n- answers the question\n- mentions surf, waves\n- short reply"


class TestThoughtRewards(unittest.TestCase):
    def test_format(self):
        self.assertEqual(format_reward(R), 1.0)
        self.assertEqual(format_reward("Core features:\n- surf"), 0.5)  # no summary
        self.assertEqual(format_reward("  ...  \n core FEATURES: \n  - surf"), 0.5)  # punctuation is no summary
        self.assertEqual(format_reward("Summary.\nCore features:\n-surf\n- "), 0.0)  # no real item
        self.assertEqual(format_reward("Summary.\nCore features: - surf"), 0.0)  # header not on its own line
        self.assertEqual(format_reward("Summary.\n- surf"), 0.0)
        self.assertEqual(format_reward(""), 0.0)
        self.assertEqual(parse_reasoning("a\nCore features:\n- x\n- y"), ("a", "- x\n- y", ["x", "y"]))

    def test_length(self):
        # "answers the question" 3 + "mentions surf waves" 3 + "short reply" 2 = 8 of 24 words.
        self.assertAlmostEqual(length_reward(R), 8 / 24)
        self.assertAlmostEqual(length_reward(R, cap_words=4), 1.0)
        self.assertEqual(length_reward("no header, many many words"), 0.0)

    def test_likelihood(self):
        self.assertAlmostEqual(likelihood_reward([math.log(0.5), math.log(0.125)]), 0.25)
        self.assertEqual(likelihood_reward([0.0]), 1.0)
        self.assertEqual(likelihood_reward([]), 0.0)
        self.assertEqual(likelihood_reward([-math.inf, 0.0]), 0.0)
        with self.assertRaises(ValueError):
            likelihood_reward([math.nan])

    def test_sum(self):
        self.assertAlmostEqual(thought_reward(R, [math.log(0.5)]), 1.0 + 8 / 24 + 0.5)


class TestEstimatorRewards(unittest.TestCase):
    def test_format(self):
        self.assertEqual(estimator_format_reward("## Agent Response\nhi"), 1.0)
        self.assertEqual(estimator_format_reward("ok\n## Agent Response\nhi"), 1.0)
        self.assertEqual(estimator_format_reward("## Agent response\nhi"), 0.0)
        self.assertEqual(estimator_response("## Agent Response\nhi\nthere"), "hi\nthere")
        self.assertEqual(estimator_response("hi"), "hi")

    def test_judge(self):
        self.assertEqual(feature_words(R), ["surf", "waves"])  # the what-to-do items add no words
        self.assertEqual(feature_words(R + "\n- talks about Lyon food"), ["surf", "waves", "talks", "lyon", "food"])
        self.assertEqual(judge_score("I surf big WAVES.", R), 1.0)
        self.assertEqual(judge_score("I surf.", R), 0.5)
        self.assertEqual(judge_score("Hello.", R), 0.0)
        self.assertEqual(judge_score("I surf.", "no features here"), 0.0)
        self.assertEqual(judge_ratio_reward("I surf.", "I surf waves.", R), math.exp(-0.5))
        self.assertEqual(judge_ratio_reward("I surf waves.", "I surf.", R), 1.0)  # capped at 1
        self.assertEqual(judge_ratio_reward("x", "y", "no features"), 1.0)


class TestTrlAdapters(unittest.TestCase):
    def test_both_completion_shapes(self):
        as_text = [R, "Core features:\n- surf"]
        as_chat = [[{"role": "assistant", "content": c}] for c in as_text]
        for completions in (as_text, as_chat):
            self.assertEqual(trl_thought_format(completions, prompts=["p", "p"], golden=["y", "y"]), [1.0, 0.5])
            self.assertEqual(trl_thought_length(completions), [8 / 24, 1 / 24])
        parts = [[{"role": "assistant", "content": [{"type": "text", "text": "## Agent Response\n"},
                                                      {"type": "text", "text": "I surf."}]}]]
        self.assertEqual(trl_estimator_format(parts), [1.0])
        self.assertEqual(trl_estimator_format(["## Agent Response\nI surf.", [{"role": "assistant", "content": "no"}]]),
                         [1.0, 0.0])
        rewards = trl_judge_ratio(["## Agent Response\nI surf.", parts[0]], golden=["I surf waves.", "I surf."],
                                  reasoning=[R, R], prompts=["p", "p"])
        self.assertEqual(rewards, [math.exp(-0.5), 1.0])

    def test_likelihood_factory(self):
        calls = []

        def score_fn(inputs, reasonings, goldens):
            calls.append((inputs, reasonings, goldens))
            return [[math.log(0.5)], []]

        reward = make_likelihood_reward(score_fn)
        dialogue = [{"role": "user", "text": "Hi?"}]
        out = reward([[{"role": "assistant", "content": "r1"}], "r2"], golden=["y1", "y2"], prompts=["p", "p"],
                     user_persona=["u", ""], agent_character=["c", "d"], dialogue=[dialogue, dialogue])
        self.assertEqual(out, [0.5, 0.0])
        self.assertEqual(calls, [([{"user_persona": "u", "agent_character": "c", "dialogue": dialogue},
                                   {"user_persona": "", "agent_character": "d", "dialogue": dialogue}],
                                  ["r1", "r2"], ["y1", "y2"])])
        with self.assertRaises(ValueError):
            make_likelihood_reward(lambda *a: [[0.0]])(["a", "b"], golden=["y", "y"], user_persona=["", ""],
                                                       agent_character=["", ""], dialogue=[[], []])


if __name__ == "__main__":
    unittest.main()
