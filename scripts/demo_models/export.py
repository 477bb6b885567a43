"""Writes a transformers.js-loadable model folder: config files, tokenizer, single-file fp32 ONNX.

ONNX I/O follows what transformers.js passes to a decoder-only model:
  inputs  input_ids [batch, seq], attention_mask [batch, past+seq], position_ids [batch, seq],
          past_key_values.{i}.key/.value [batch, n_head, past, head_dim], num_logits_to_keep (scalar)
  outputs logits [batch, logits_length, vocab], present.{i}.key/.value [batch, n_head, past+seq, head_dim]
transformers.js builds empty past tensors from the input metadata (symbolic dims other
than batch_size become 0), so the past dims must be named and the head dims static.
"""
import json
import os

import onnx
import torch

import data
from model import OnnxGPT


def write_configs(out_dir, cfg, tok):
    eos = tok.token_id("<|im_end|>")
    pad = tok.token_id("<|endoftext|>")
    bos = tok.token_id("<|im_start|>")
    config = {
        "model_type": "gpt2",
        "architectures": ["GPT2LMHeadModel"],
        "vocab_size": cfg.vocab_size,
        "n_positions": cfg.n_positions,
        "n_ctx": cfg.n_positions,
        "n_embd": cfg.n_embd,
        "n_layer": cfg.n_layer,
        "n_head": cfg.n_head,
        "n_inner": 4 * cfg.n_embd,
        "activation_function": "gelu_new",
        "layer_norm_epsilon": cfg.layer_norm_epsilon,
        "initializer_range": 0.02,
        "tie_word_embeddings": True,
        "bos_token_id": bos,
        "eos_token_id": eos,
        "pad_token_id": pad,
        "use_cache": True,
        "transformers.js_config": {"dtype": "fp32", "use_external_data_format": False},
    }
    generation = {"bos_token_id": bos, "eos_token_id": eos, "pad_token_id": pad,
                  "max_length": cfg.n_positions, "do_sample": False}
    tok_config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": "<|im_start|>",
        "eos_token": "<|im_end|>",
        "unk_token": "<|endoftext|>",
        "pad_token": "<|endoftext|>",
        "add_bos_token": False,
        "add_eos_token": False,
        "clean_up_tokenization_spaces": False,
        "model_max_length": cfg.n_positions,
        "chat_template": data.CHAT_TEMPLATE,
        "added_tokens_decoder": {str(tok.token_id(s)): {"content": s, "lstrip": False, "normalized": False,
                                                         "rstrip": False, "single_word": False, "special": True}
                                 for s in data.SPECIAL_TOKENS},
    }
    special_map = {"bos_token": "<|im_start|>", "eos_token": "<|im_end|>", "unk_token": "<|endoftext|>",
                   "pad_token": "<|endoftext|>"}
    for name, obj in [("config.json", config), ("generation_config.json", generation),
                      ("tokenizer_config.json", tok_config), ("special_tokens_map.json", special_map)]:
        with open(os.path.join(out_dir, name), "w", encoding="utf-8") as f:
            json.dump(obj, f, indent=2, ensure_ascii=False)
            f.write("\n")
    tok.save(os.path.join(out_dir, "tokenizer.json"))


def export_onnx(gpt, path):
    cfg = gpt.cfg
    gpt.eval()
    wrapper = OnnxGPT(gpt).eval()
    B, T, P = 2, 3, 4  # non-trivial dummy sizes so no dimension gets specialised
    hd = cfg.n_embd // cfg.n_head
    past = []
    names_in = ["input_ids", "attention_mask", "position_ids", "num_logits_to_keep"]
    names_out = ["logits"]
    axes = {"input_ids": {0: "batch_size", 1: "sequence_length"},
            "attention_mask": {0: "batch_size", 1: "past_sequence_length + sequence_length"},
            "position_ids": {0: "batch_size", 1: "sequence_length"},
            "logits": {0: "batch_size", 1: "logits_length"}}
    for i in range(cfg.n_layer):
        for kind in ["key", "value"]:
            past.append(torch.zeros(B, cfg.n_head, P, hd))
            names_in.append(f"past_key_values.{i}.{kind}")
            axes[f"past_key_values.{i}.{kind}"] = {0: "batch_size", 2: "past_sequence_length"}
            names_out.append(f"present.{i}.{kind}")
            axes[f"present.{i}.{kind}"] = {0: "batch_size", 2: "past_sequence_length + sequence_length"}
    args = (torch.randint(0, cfg.vocab_size, (B, T)), torch.ones(B, P + T, dtype=torch.long),
            torch.arange(P, P + T).repeat(B, 1), torch.tensor(0, dtype=torch.long), *past)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(wrapper, args, path, input_names=names_in, output_names=names_out,
                          dynamic_axes=axes, opset_version=14, do_constant_folding=True)
    m = onnx.load(path)
    onnx.checker.check_model(m)
    # Tied embeddings must be stored once: the LM head reuses the embedding initializer.
    return os.path.getsize(path)
