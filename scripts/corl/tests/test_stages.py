import json
import os
import tempfile
import unittest

from stages import finish_args, fixture_parser, run_recorded, training_parser


class RunRecordedTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.out = os.path.join(self.tmp.name, "sft")
        self.calls = 0

    def tearDown(self):
        self.tmp.cleanup()

    def stage(self):
        self.calls += 1
        return {"loss": 1.5, "call": self.calls}

    def done(self):
        with open(os.path.join(self.out, "done.json"), encoding="utf-8") as f:
            return json.load(f)

    def test_records_the_stage_with_its_wall_time_and_extra_fields(self):
        rec = run_recorded(self.out, "sft", self.stage, False, {"threads": 2})
        self.assertEqual(self.done(), rec)
        self.assertEqual((rec["stage"], rec["loss"], rec["threads"]), ("sft", 1.5, 2))
        self.assertGreaterEqual(rec["wall_s"], 0)

    def test_a_done_stage_is_skipped_unless_forced_or_always_run(self):
        run_recorded(self.out, "sft", self.stage, False, {})
        self.assertIsNone(run_recorded(self.out, "sft", self.stage, False, {}))
        self.assertEqual((self.calls, self.done()["call"]), (1, 1))
        run_recorded(self.out, "sft", self.stage, True, {})
        run_recorded(self.out, "sft", self.stage, False, {}, always=True)
        self.assertEqual((self.calls, self.done()["call"]), (3, 3))

    def test_write_false_runs_the_stage_but_leaves_no_record(self):
        rec = run_recorded(self.out, "sft", self.stage, False, {}, write=False)
        self.assertEqual((rec["call"], os.path.exists(os.path.join(self.out, "done.json"))), (1, False))


class ParsersTest(unittest.TestCase):
    def test_defaults_are_the_corl_data_stage_sizes_and_the_work_folder_is_named(self):
        a = finish_args(training_parser("t", ["data"], "lr").parse_args(["data"]), "/repo", "methods")
        self.assertEqual((a.max_examples, a.heldout, a.seed, a.rl_steps, a.prompts_per_step), (2000, 200, 1234, 100, 2))
        self.assertEqual(a.work_dir, os.path.abspath("/repo/.cache/methods"))

    def test_smoke_shrinks_every_budget_and_uses_its_own_folder(self):
        a = finish_args(training_parser("t", ["data"], "lr").parse_args(["data", "--smoke"]), "/repo", "corl")
        self.assertEqual((a.max_examples, a.heldout, a.sft_max_steps, a.rl_steps, a.prompts_per_step, a.sft_batch),
                         (8, 4, 2, 2, 1, 4))
        self.assertEqual(a.work_dir, os.path.abspath("/repo/.cache/corl-smoke"))

    def test_fixture_parser(self):
        a = fixture_parser("doc\nmore", "/w", "/f.json").parse_args(["OUT", "--n", "5"])
        self.assertEqual((a.out, a.work_dir, a.n, a.fixture), ("OUT", "/w", 5, "/f.json"))


if __name__ == "__main__":
    unittest.main()
