import os
import random
import unittest
import warnings

import data
from rewards import format_reward
from targets import TEMPLATE_WORDS, best_sentence, cold_start_target, context_text, sentences
from words import content_words


def ex(persona, character, *texts):
    return {"user_persona": persona, "agent_character": character,
            "dialogue": [{"role": "user" if i % 2 == 0 else "agent", "text": t} for i, t in enumerate(texts)]}


def leaked(x, r):
    """Words of r that are neither in x nor frame words: must always be empty."""
    return set(content_words(r)) - set(content_words(context_text(x))) - TEMPLATE_WORDS


class TestTargets(unittest.TestCase):
    def test_exact_target(self):
        x = ex("I love to bake cookies.\nI have a dog.", "I am a boy.\nI can move objects with my mind.",
               "Hi!", "Hello!", "What is your favorite thing to do?")
        y = "I like to move objects with my mind. You?"  # 9 words
        self.assertEqual(cold_start_target(x, y), "\n".join([
            "The agent's relevant trait: I can move objects with my mind.",
            "The user's relevant trait: I love to bake cookies.",
            "Core features:",
            "- answers the question",
            "- mentions move, objects, mind",
            "- asks a question back",
            "- short reply",
        ]))

    def test_fallbacks_no_persona_no_overlap_no_question(self):
        # No overlap: the first sentence; no persona: one summary line; no "?": no answer item.
        x = ex("", "i'm a nurse. i surf often", "__SILENCE__")
        self.assertEqual(cold_start_target(x, "hey there, what a long day it was at the hospital for everyone"),
                         "The agent's relevant trait: i'm a nurse.\nCore features:\n- a few sentences")
        self.assertEqual(cold_start_target(ex("", "", "Hi"), "Hi"),
                         "Nothing in the persona or character stands out.\nCore features:\n- short reply")

    def test_ties_go_to_the_earliest_sentence(self):
        golden = set(content_words("dogs and cats"))
        self.assertEqual(best_sentence(["I have cats.", "I have dogs.", "Dogs and cats!"], golden), "Dogs and cats!")
        self.assertEqual(best_sentence(["I have cats.", "I have dogs."], golden), "I have cats.")
        self.assertIsNone(best_sentence([], golden))

    def test_sentences(self):
        self.assertEqual(sentences("A b. C d!\n\n我有狗。我很好"), ["A b.", "C d!", "我有狗。", "我很好"])

    def test_mentions_at_most_three_words_of_x_and_cjk(self):
        x = ex("", "我有两只狗。", "你好吗？")
        self.assertEqual(cold_start_target(x, "我很好。和我的两只狗一起。"),
                         "The agent's relevant trait: 我有两只狗。\nCore features:\n- answers the question\n"
                         "- mentions 两只, 只狗\n- short reply")  # 9 bigrams
        x = ex("", "alpha beta gamma delta.", "alpha beta gamma delta epsilon?")
        self.assertIn("- mentions delta, gamma, beta\n", cold_start_target(x, "delta gamma beta alpha zeta"))

    def test_no_word_of_y_absent_from_x_is_leaked(self):
        rng = random.Random(7)
        vocab = "cat dog surf bake nurse paris music red blue car sing run book tea 狗 猫 음악".split()
        for _ in range(300):
            def text():
                return " ".join(rng.choice(vocab) for _ in range(rng.randint(1, 8))) + rng.choice([".", "?", "!"])
            x = ex(text(), text() + "\n" + text(), *[text() for _ in range(rng.choice([1, 3, 5]))])
            r = cold_start_target(x, text() + " " + text())
            self.assertEqual(leaked(x, r), set(), r)
            self.assertEqual(format_reward(r), 1.0)

    @unittest.skipUnless(os.path.isdir(data.demo_data.DATA_ROOT), "the public data is not at ROLESCOPE_DATA")
    def test_no_leak_on_real_valid_samples(self):
        with warnings.catch_warnings():  # the demo loaders leave their JSON files to the collector
            warnings.simplefilter("ignore", ResourceWarning)
            dialogues = data.load_training_dialogues("rolescope-tiny-multi")
        examples = data.training_examples(dialogues, 2000, seed=3)
        for x in examples:
            r = cold_start_target(x, x["response"])
            self.assertEqual(leaked(x, r), set(), (x["id"], r))
            self.assertEqual(r, cold_start_target(x, x["response"]))  # deterministic


if __name__ == "__main__":
    unittest.main()
