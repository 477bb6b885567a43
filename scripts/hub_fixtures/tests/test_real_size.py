import unittest

from families import BY_NAME
from real_size import PUBLISHED_NON_EMBEDDING, PUBLISHED_PARAMETERS, REAL_SIZE, parameter_count


class TestRealSize(unittest.TestCase):
    def test_parameter_counts_match_the_published_ones(self):
        # Exact counts of the two architectures (tied embeddings once), and the model cards' figures.
        counts = {f.name: parameter_count(f.config) for f in REAL_SIZE}
        self.assertEqual(counts, {"smollm2-135m": 134_515_008, "qwen3-0.6b": 596_049_920})
        for name, published in PUBLISHED_PARAMETERS.items():
            self.assertAlmostEqual(counts[name] / published, 1.0, delta=0.01, msg=name)
        qwen = next(f for f in REAL_SIZE if f.name == "qwen3-0.6b").config
        non_embedding = counts["qwen3-0.6b"] - qwen["vocab_size"] * qwen["hidden_size"]
        self.assertAlmostEqual(non_embedding / PUBLISHED_NON_EMBEDDING["qwen3-0.6b"], 1.0, delta=0.01)

    def test_untied_heads_count_twice(self):
        config = dict(REAL_SIZE[0].config, tie_word_embeddings=False)
        self.assertEqual(parameter_count(config) - parameter_count(REAL_SIZE[0].config),
                         config["vocab_size"] * config["hidden_size"])

    def test_same_vocabulary_tokens_and_exporter_as_the_tiny_fixtures(self):
        for family, tiny in ((REAL_SIZE[0], "smollm2"), (REAL_SIZE[1], "qwen3")):
            small = BY_NAME[tiny]
            self.assertEqual(family.exporter, small.exporter)
            self.assertEqual(family.tokenizer, small.tokenizer)
            self.assertEqual(family.chat_template, small.chat_template)
            for key in ("model_type", "architectures", "vocab_size", "rope_theta", "rms_norm_eps",
                        "tie_word_embeddings", "bos_token_id", "eos_token_id"):
                self.assertEqual(family.config[key], small.config[key], f"{family.name} {key}")

    def test_head_dim_times_heads_is_the_attention_width(self):
        smol, qwen = (f.config for f in REAL_SIZE)
        self.assertEqual(smol["head_dim"] * smol["num_attention_heads"], smol["hidden_size"])
        # Qwen3-0.6B's attention is wider (2048) than its residual stream (1024).
        self.assertEqual(qwen["head_dim"] * qwen["num_attention_heads"], 2 * qwen["hidden_size"])


if __name__ == "__main__":
    unittest.main()
