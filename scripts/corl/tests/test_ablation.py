import unittest

import json
import math
import os
import tempfile
from types import SimpleNamespace

from ablation import benchmark_variant, example_of, figures, fmt_ci, folder_of, groups_of, link_folders, paired_ratio
from targets import cold_start_target


def sample(sid, tag, query, golden):
    return {"sample_ID": sid, "user_persona": "I fish.", "agent_character": "I cook pasta.",
            "dialogue_context": [{"user_query": "hi"}, {"agent_response": "hello"}, {"user_query": query}],
            "agent_golden_response": golden, "subset_tag": tag}


BENCH = {"meta": {"name": "t"}, "categories": {"A": {"family": "in-distribution"}, "B": {"family": "user",
                                                                                         "reference": "A"}},
         "A": [sample("a1", "A", "do you cook?", "i cook pasta ."), sample("a2", "A", "fish?", "yes i fish"),
               sample("a3", "A", "why?", "because")],
         "B": [sample("b1", "B", "q?", "x")]}


class TestAblation(unittest.TestCase):
    def test_example_of_maps_the_dialogue(self):
        self.assertEqual(example_of(BENCH["A"][0])["dialogue"], [
            {"role": "user", "text": "hi"}, {"role": "agent", "text": "hello"}, {"role": "user", "text": "do you cook?"}])

    def test_empty_r(self):
        out = benchmark_variant(BENCH, "empty", None, None)
        self.assertEqual([s["r"] for s in out["A"] + out["B"]], ["", "", "", ""])
        self.assertNotIn("r", BENCH["A"][0])  # the input is not changed

    def test_other_r_is_the_next_sample_of_the_category_cyclically(self):
        full = {"a1": "r1", "a2": "r2", "a3": "r3", "b1": "rb"}
        out = benchmark_variant(BENCH, "other", full, None)
        self.assertEqual([s["r"] for s in out["A"]], ["r2", "r3", "r1"])
        self.assertEqual(out["B"][0]["r"], "rb")  # a category of one can only get its own
        # With --limit 2 only the first two run: they swap, the third is never used.
        out = benchmark_variant(BENCH, "other", {"a1": "r1", "a2": "r2", "b1": "rb"}, 2)
        self.assertEqual([s["r"] for s in out["A"]], ["r2", "r1", ""])

    def test_r_star_is_the_cold_start_target_of_the_golden_response(self):
        out = benchmark_variant(BENCH, "r_star", None, None)
        s = BENCH["A"][0]
        self.assertEqual(out["A"][0]["r"], cold_start_target(example_of(s), s["agent_golden_response"]))
        self.assertIn("mentions cook, pasta", out["A"][0]["r"])

    def test_figures(self):
        results = {"rows": [
            {"policy": "p", "category": "A", "shift": "none", "n": 3, "goldPerplexity": 5.0, "goldPerplexityCi": [4, 6]},
            {"policy": "p", "category": "B", "shift": "user", "n": 1, "goldPerplexity": 7.0, "goldPerplexityCi": None},
            {"policy": "q", "category": "A", "shift": "none", "n": 3, "goldPerplexity": 5.0, "goldPerplexityCi": [4, 6]}],
            "families": [{"policy": "p", "family": "user", "n": 1, "remid": 0.5, "remidCi": [0.1, 0.9],
                          "goldPerplexity": 7.0, "goldPerplexityCi": [6, 8]},
                         {"policy": "q", "family": "user", "n": 1, "remid": -0.2, "remidCi": [-0.3, 0.0]}]}
        f = figures(results, BENCH)
        self.assertEqual(f["gold_perplexity"]["categories"]["A"], {"family": "in-distribution", "ppl": 5.0,
                                                                   "ci": [4, 6], "n": 3})
        self.assertEqual(f["gold_perplexity"]["families"], {"user": {"ppl": 7.0, "ci": [6, 8], "n": 1}})
        self.assertEqual(f["remid"]["q"]["user"], {"remid": -0.2, "ci": [-0.3, 0.0]})

    def test_groups_of(self):
        bench = {"categories": {"A": {"family": "in-distribution"}, "B": {"family": "user"},
                                "Literature": {"reference": "R"}, "R": {"family": "in-distribution"}}}
        self.assertEqual(groups_of(bench), {"ID: A": {"A"}, "ID: R": {"R"}, "user": {"B"},
                                            "character": {"Literature"}, "dialogue": set()})

    def test_paired_ratio(self):
        def run(scores):
            pairs = [{"policy": "gold", "category": c, "i": j, "j": j, "meanLogProb": v} for (c, j), v in scores.items()]
            # Policy pairs and mismatched gold pairs must be ignored.
            pairs += [{"policy": "p", "category": "A", "i": 0, "j": 0, "meanLogProb": -99.0},
                      {"policy": "gold", "category": "A", "i": 1, "j": 0, "meanLogProb": -99.0}]
            return {"pairs": pairs}
        base = run({("A", 0): -2.0, ("A", 1): -3.0, ("B", 0): -1.0})
        other = run({("A", 0): -2.5, ("A", 1): -3.5, ("B", 0): -1.0})  # 0.5 nats worse on each A sample
        out = paired_ratio(base, other, {"A": {"A"}, "B": {"B"}, "none": {"C"}})
        self.assertAlmostEqual(out["A"]["ratio"], math.exp(0.5))
        self.assertAlmostEqual(out["A"]["ci"][0], math.exp(0.5))  # no spread in the differences
        self.assertEqual(out["A"]["n"], 2)
        self.assertAlmostEqual(out["B"]["ratio"], 1.0)
        self.assertNotIn("none", out)
        # A sample only one run could score is left out of the pairing.
        partial = run({("A", 0): -2.0})
        self.assertEqual(paired_ratio(base, partial, {"A": {"A"}})["A"], {"ratio": 1.0, "ci": [1.0, 1.0], "n": 1})

    def test_link_folders_links_what_the_configurations_load(self):
        with tempfile.TemporaryDirectory() as root:
            work, cold = os.path.join(root, "work"), os.path.join(root, "cold")
            for rel in ("sft-estimator/model", "sft-thought/model"):
                os.makedirs(os.path.join(cold, rel))
            a = SimpleNamespace(work_dir=work, cold_dir=cold)
            models = link_folders(a, ["wo_corl", "base"])
            self.assertEqual(sorted(os.listdir(models)), ["sft-estimator", "sft-thought"])
            self.assertEqual(os.path.realpath(os.path.join(models, "sft-thought")),
                             os.path.realpath(os.path.join(cold, "sft-thought", "model")))
            # A configuration whose model was never trained stops with the stage to run.
            with self.assertRaises(SystemExit) as stop:
                link_folders(a, ["wo_reasoning"])
            self.assertIn("sft-estimator-noreason/model is missing", str(stop.exception))

    def test_folder_of(self):
        with tempfile.TemporaryDirectory() as work:
            a = SimpleNamespace(work_dir=work, cold_dir="/cold")
            self.assertEqual(folder_of(a, "cold", "sft-thought/model"), "/cold/sft-thought/model")
            # An export without a record is looked for in the work folder; with one, where it wrote.
            self.assertEqual(folder_of(a, "export-2", "thought"), os.path.join(work, "export-2", "thought"))
            os.makedirs(os.path.join(work, "export-2"))
            with open(os.path.join(work, "export-2", "done.json"), "w", encoding="utf-8") as f:
                json.dump({"out": "/exports/two"}, f)
            self.assertEqual(folder_of(a, "export-2", "thought"), "/exports/two/thought")

    def test_fmt_ci(self):
        self.assertEqual(fmt_ci(4.851, [4.5, 5.25]), "4.85 [4.50, 5.25]")
        self.assertEqual(fmt_ci(0.0456, [0.01, 0.08], 3), "0.046 [0.010, 0.080]")
        self.assertEqual(fmt_ci(3.0, [None, None]), "3.00")
        self.assertEqual(fmt_ci(None, None), "–")


if __name__ == "__main__":
    unittest.main()
