"""
Real-size random-weight stand-ins: two Hub models' exact configurations (every width, layer count,
vocabulary, RoPE base and special token as published), exported by the same tool the Hub's ONNX
repositories were made with, with seeded random weights. They are built on demand into .cache/
(git-ignored, hundreds of MiB each), never committed, so that `npm run bench` can time the engine
on models of the real shapes:

  .venv/bin/python scripts/hub_fixtures/build.py --real-size [--family smollm2-135m qwen3-0.6b]

Only the pure configuration lives here (no torch), so that the parameter counts can be checked
under the system python3 (tests/test_real_size.py).
"""
from families import BY_NAME, Family

# From the Hub models' config.json. initializer_range 0.02 (theirs) keeps the random activations
# of 30 layers finite and the log-probs away from the uniform ones.
SMOLLM2_135M = dict(
    model_type="llama", architectures=["LlamaForCausalLM"], hidden_size=576, intermediate_size=1536,
    num_hidden_layers=30, num_attention_heads=9, num_key_value_heads=3, head_dim=64, vocab_size=49152,
    max_position_embeddings=8192, rope_theta=100000.0, rms_norm_eps=1e-5, tie_word_embeddings=True,
    bos_token_id=1, eos_token_id=2, pad_token_id=2, hidden_act="silu", attention_bias=False,
    mlp_bias=False, initializer_range=0.02,
)

QWEN3_06B = dict(
    model_type="qwen3", architectures=["Qwen3ForCausalLM"], hidden_size=1024, intermediate_size=3072,
    num_hidden_layers=28, num_attention_heads=16, num_key_value_heads=8, head_dim=128, vocab_size=151936,
    max_position_embeddings=40960, rope_theta=1000000.0, rms_norm_eps=1e-6, tie_word_embeddings=True,
    bos_token_id=151643, eos_token_id=151645, hidden_act="silu", attention_bias=False,
    use_sliding_window=False, max_window_layers=28, initializer_range=0.02,
)

REAL_SIZE = [
    Family(
        name="smollm2-135m",
        stands_for="HuggingFaceTB/SmolLM2-135M-Instruct (onnx-community, Optimum), random weights",
        exporter="optimum",
        config=SMOLLM2_135M,
        # The tiny fixture's stand-in tokenizer (SmolLM2's vocabulary size and special tokens).
        tokenizer=BY_NAME["smollm2"].tokenizer,
        chat_template=BY_NAME["smollm2"].chat_template,
        precisions=("fp32", "q4", "q8"),
        seed=21,
    ),
    Family(
        name="qwen3-0.6b",
        stands_for="Qwen/Qwen3-0.6B (onnx-community, onnxruntime-genai model builder), random weights",
        exporter="genai",
        config=QWEN3_06B,
        tokenizer=BY_NAME["qwen3"].tokenizer,
        chat_template=BY_NAME["qwen3"].chat_template,
        # fp32 is 2.4 GB (one file over protobuf's 2 GiB), so not by default.
        precisions=("q4", "q4f16"),
        seed=22,
    ),
]

REAL_BY_NAME = {f.name: f for f in REAL_SIZE}

# The model cards' rounded parameter counts (tied embeddings counted once): SmolLM2 "135M"
# (134.5M on the Hub page), Qwen3-0.6B "0.6B" with "0.44B" outside the embedding.
PUBLISHED_PARAMETERS = {"smollm2-135m": 134.5e6, "qwen3-0.6b": 0.6e9}
PUBLISHED_NON_EMBEDDING = {"qwen3-0.6b": 0.44e9}


def parameter_count(config):
    """Parameters of a Llama/Qwen3 decoder from its config (tied embeddings counted once)."""
    h, i, layers = config["hidden_size"], config["intermediate_size"], config["num_hidden_layers"]
    hd = config.get("head_dim", h // config["num_attention_heads"])
    q, kv = config["num_attention_heads"] * hd, config["num_key_value_heads"] * hd
    attention = h * q + 2 * h * kv + q * h
    if config.get("attention_bias"):
        attention += q + 2 * kv + h
    if config["model_type"] == "qwen3":
        attention += 2 * hd  # q_norm and k_norm, per head dimension
    mlp = 3 * h * i
    norms = 2 * h
    embed = config["vocab_size"] * h
    head = 0 if config.get("tie_word_embeddings") else embed
    return embed + layers * (attention + mlp + norms) + h + head
