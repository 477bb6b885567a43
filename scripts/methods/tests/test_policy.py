import unittest

from scripts.methods.policy import reply_of, role_play_messages, thinking_completion, trl_reply_f1, word_f1


class TestPolicy(unittest.TestCase):
    def test_reply_of(self):
        self.assertEqual(reply_of("  i like fish . "), "i like fish .")
        self.assertEqual(reply_of("<think>\nthe user fishes\n</think>\ni like fish ."), "i like fish .")
        self.assertEqual(reply_of("<think>a</think>b</think> c"), "c")  # after the last close
        self.assertEqual(reply_of("<think>\nthe user fishes and"), "")  # ran out of tokens thinking
        self.assertEqual(reply_of("i say <think> here"), "i say <think> here")  # not a thought block

    def test_thinking_completion_round_trips(self):
        text = thinking_completion(" the user fishes \n", " i like fish . ")
        self.assertEqual(text, "<think>\nthe user fishes\n</think>\ni like fish .")
        self.assertEqual(reply_of(text), "i like fish .")

    def test_word_f1(self):
        # candidate: i like fish fish (4), reference: i like red fish (4); common i, like, fish = 3
        self.assertAlmostEqual(word_f1("I like fish, fish!", "i like red fish"), 0.75)
        self.assertEqual(word_f1("", "i like fish"), 0.0)
        self.assertEqual(word_f1("dogs", "cats"), 0.0)
        self.assertAlmostEqual(word_f1("我喜欢鱼", "我喜欢"), 2 * (2 / 3) * 1 / (2 / 3 + 1))  # bigrams 我喜 喜欢 欢鱼

    def test_trl_reward_scores_the_reply_only(self):
        out = trl_reply_f1(["<think>\nfish fish fish\n</think>\ni like cats", "<think>\nfish"],
                           golden=["i like cats", "fish"])
        self.assertEqual(out, [1.0, 0.0])

    def test_role_play_messages_match_the_demo_rendering(self):
        ex = {"user_persona": " I fish. ", "agent_character": "I cook.",
              "dialogue": [{"role": "user", "text": "hi "}], "response": "hello"}
        msgs = role_play_messages(ex)
        self.assertEqual([m["role"] for m in msgs], ["system", "user"])
        self.assertEqual(msgs[1]["content"], "<user_persona>\nI fish.\n</user_persona>\n<character>\nI cook.\n"
                                             "</character>\n<dialogue>\nUser: hi\n</dialogue>")


if __name__ == "__main__":
    unittest.main()
