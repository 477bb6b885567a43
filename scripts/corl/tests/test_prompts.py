import json
import unittest

import write_prompt_fixture
from prompts import drop_oldest_turns, estimator_messages, js_stringify, js_trim, render_character, thought_messages

EX = {"user_persona": "", "agent_character": "A nurse.",
      "dialogue": [{"role": "user", "text": "Hi"}, {"role": "agent", "text": "Hello"}, {"role": "user", "text": "Job?"}]}


class TestPrompts(unittest.TestCase):
    def test_js_trim_is_javascript_trim(self):
        self.assertEqual(js_trim("\ufeff\u3000 a \u00a0\n"), "a")
        self.assertEqual(js_trim("\x1fa\x85"), "\x1fa\x85")  # str.strip would remove these

    def test_structured_character_in_javascript_key_order(self):
        character = {"b": " x ", "10": 1, "2": [True, None], "a": {"k": 2.0}, "01": 0.5}
        self.assertEqual(render_character(character), '2: [true,null]\n10: 1\nb: x\na: {"k":2}\n01: 0.5')
        self.assertEqual(js_stringify({"s": 'q"\n'}), '{"s":"q\\"\\n"}')

    def test_estimator_reasoning_absent_empty_given(self):
        base = estimator_messages(EX)[1]["content"]
        self.assertTrue(base.endswith("User Query 2: Job?\nAgent Response 2: "))
        self.assertEqual(estimator_messages(EX, "")[1]["content"], base + "\n\n## Core Features\n")
        self.assertEqual(estimator_messages(EX, " r \n")[1]["content"], base + "\n\n## Core Features\nr")

    def test_thought_prompt_has_no_open_response(self):
        content = thought_messages(EX)[1]["content"]
        self.assertIn("User Query 2: Job?\n\n## Task\nIn one or two sentences", content)
        self.assertNotIn("Agent Response 2", content)

    def test_drop_oldest_turns_keeps_the_last_query(self):
        self.assertEqual(drop_oldest_turns(EX, 2)["dialogue"], EX["dialogue"][2:])
        self.assertEqual(drop_oldest_turns(EX, 10)["dialogue"], EX["dialogue"][2:])
        self.assertEqual(len(EX["dialogue"]), 3)  # not modified

    def test_committed_fixture_is_current(self):
        """The TypeScript test compares against this file: it must be what prompts.py renders now."""
        with open(write_prompt_fixture.OUT, encoding="utf-8") as f:
            fixture = json.load(f)
        self.assertEqual(len(fixture["cases"]), len(write_prompt_fixture.CASES))
        for case, source in zip(fixture["cases"], write_prompt_fixture.CASES):
            self.assertEqual((case["input"], case.get("reasoning")), (source["input"], source.get("reasoning")))
            self.assertEqual(case["thought"], thought_messages(case["input"]))
            self.assertEqual(case["estimator"], estimator_messages(case["input"], case.get("reasoning")))


if __name__ == "__main__":
    unittest.main()
