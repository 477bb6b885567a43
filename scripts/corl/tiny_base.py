"""A tiny random-weight Qwen3 checkpoint with the demo models' ChatML tokenizer, to run the trainer's
Hugging Face path (train.py --model <checkpoint folder>, the one Qwen3-8B takes) on a CPU:

  .venv/bin/python scripts/corl/tiny_base.py OUT
  .venv/bin/python scripts/corl/train.py all --smoke --model OUT --work-dir .cache/corl-hf-smoke --out DIR
"""
import os
import shutil
import sys

import torch
from transformers import AutoTokenizer, Qwen3Config, Qwen3ForCausalLM

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hf_model import model_dir  # noqa: E402


def main():
    out = sys.argv[1]
    src = model_dir("rolescope-tiny-multi")
    os.makedirs(out, exist_ok=True)
    for f in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copy(os.path.join(src, f), out)
    tok = AutoTokenizer.from_pretrained(out)
    cfg = Qwen3Config(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, head_dim=8, max_position_embeddings=512,
                      tie_word_embeddings=True, bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
                      pad_token_id=tok.pad_token_id)
    torch.manual_seed(0)
    Qwen3ForCausalLM(cfg).save_pretrained(out)
    print(f"wrote {out}: Qwen3, {sum(p.numel() for p in Qwen3ForCausalLM(cfg).parameters())} parameters")


if __name__ == "__main__":
    main()
