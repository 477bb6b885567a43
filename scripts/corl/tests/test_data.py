import unittest

import data


def dialogue(source, n_pairs):
    turns = []
    for i in range(n_pairs):
        turns += [("user", f"question {i}?"), ("agent", f"answer {i}")]
    return {"source": source, "user_persona": "I fish.", "agent_character": "I cook.", "turns": turns}


DIALOGUES = [dialogue("a", 2), dialogue("b", 3)]


class TestData(unittest.TestCase):
    def test_refuses_any_split_but_valid(self):
        for split in ("test", "train", "TEST"):
            with self.assertRaises(ValueError):
                data.load_training_dialogues("rolescope-tiny-en", split)

    def test_one_example_per_agent_turn(self):
        examples = data.training_examples(DIALOGUES)
        self.assertEqual([e["id"] for e in examples], ["a/0/1", "a/0/3", "b/1/1", "b/1/3", "b/1/5"])
        self.assertEqual(examples[1]["dialogue"][-1], {"role": "user", "text": "question 1?"})
        self.assertEqual(examples[1]["response"], "answer 1")

    def test_seeded_subsample_in_data_order(self):
        one = data.training_examples(DIALOGUES, max_examples=3, seed=5)
        self.assertEqual(one, data.training_examples(DIALOGUES, max_examples=3, seed=5))
        ids = [e["id"] for e in one]
        self.assertEqual(len(ids), 3)
        all_ids = [e["id"] for e in data.training_examples(DIALOGUES)]
        self.assertEqual(ids, [i for i in all_ids if i in ids])
        self.assertEqual(len(data.training_examples(DIALOGUES, max_examples=99)), 5)

    def test_pairs_and_rows_share_the_selection(self):
        examples = data.training_examples(DIALOGUES, max_examples=4, seed=1)
        thought, estimator = data.rows(examples)
        self.assertEqual([r["id"] for r in thought], [r["id"] for r in estimator])
        ex = examples[0]
        messages, target = data.thought_pair(ex)
        self.assertEqual(thought[0]["prompt"], messages)
        self.assertEqual(thought[0]["completion"], [{"role": "assistant", "content": target}])
        self.assertTrue(target.startswith("The agent's relevant trait: I cook."))
        self.assertEqual(estimator[0]["reasoning"], target)
        self.assertTrue(estimator[0]["prompt"][1]["content"].endswith("## Core Features\n" + target))
        self.assertEqual(estimator[0]["completion"][0]["content"], "## Agent Response\n" + ex["response"])
        self.assertEqual(data.estimator_pair({**ex, "response": " hi \n"}, "r")[1], "## Agent Response\nhi")
        for column in ("golden", "user_persona", "agent_character", "dialogue"):
            self.assertEqual(estimator[0][column], thought[0][column])


if __name__ == "__main__":
    unittest.main()
