"""A plain-torch GPT-2 (pre-LayerNorm, gelu_new, learned positions, tied embeddings).

One module serves training (no cache) and ONNX export (KV cache, padding mask,
explicit position ids, num_logits_to_keep), so the exported graph is exactly the
trained computation. Parameter names follow Hugging Face GPT-2 where it costs nothing.
"""
import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

# Large finite negative: fully masked rows (padding queries) give a uniform softmax, never NaN.
MASK_VALUE = -1e9


@dataclass
class GPTConfig:
    vocab_size: int = 8192
    n_positions: int = 512
    n_embd: int = 192
    n_layer: int = 4
    n_head: int = 6
    layer_norm_epsilon: float = 1e-5

    def to_dict(self):
        return asdict(self)


def gelu_new(x):
    """GPT-2's tanh approximation of GELU (transformers' `gelu_new`)."""
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.n_head = cfg.n_head
        self.head_dim = cfg.n_embd // cfg.n_head
        self.c_attn = nn.Linear(cfg.n_embd, 3 * cfg.n_embd)
        self.c_proj = nn.Linear(cfg.n_embd, cfg.n_embd)

    def forward(self, x, bias, past_k=None, past_v=None):
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        q = q.view(B, T, self.n_head, self.head_dim).transpose(1, 2)
        k = k.view(B, T, self.n_head, self.head_dim).transpose(1, 2)
        v = v.view(B, T, self.n_head, self.head_dim).transpose(1, 2)
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(self.head_dim)) + bias
        att = F.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, C)
        return self.c_proj(y), k, v


class MLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.c_fc = nn.Linear(cfg.n_embd, 4 * cfg.n_embd)
        self.c_proj = nn.Linear(4 * cfg.n_embd, cfg.n_embd)

    def forward(self, x):
        return self.c_proj(gelu_new(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.ln_1 = nn.LayerNorm(cfg.n_embd, eps=cfg.layer_norm_epsilon)
        self.attn = Attention(cfg)
        self.ln_2 = nn.LayerNorm(cfg.n_embd, eps=cfg.layer_norm_epsilon)
        self.mlp = MLP(cfg)

    def forward(self, x, bias, past_k=None, past_v=None):
        a, k, v = self.attn(self.ln_1(x), bias, past_k, past_v)
        x = x + a
        x = x + self.mlp(self.ln_2(x))
        return x, k, v


class GPT(nn.Module):
    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.cfg = cfg
        self.wte = nn.Embedding(cfg.vocab_size, cfg.n_embd)
        self.wpe = nn.Embedding(cfg.n_positions, cfg.n_embd)
        self.h = nn.ModuleList([Block(cfg) for _ in range(cfg.n_layer)])
        self.ln_f = nn.LayerNorm(cfg.n_embd, eps=cfg.layer_norm_epsilon)
        self.apply(self._init)
        # GPT-2: residual projections scaled by 1/sqrt(2 * n_layer) so the residual stream does not grow with depth.
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * cfg.n_layer))

    @staticmethod
    def _init(m):
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, mean=0.0, std=0.02)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, mean=0.0, std=0.02)

    def num_params(self):
        return sum(p.numel() for p in self.parameters())  # tied head counted once

    def forward(self, input_ids):
        """Training/scoring path: right-padded batch, causal mask only (pads are never targets)."""
        B, T = input_ids.shape
        pos = torch.arange(T, device=input_ids.device)
        x = self.wte(input_ids) + self.wpe(pos)[None]
        causal = torch.ones(T, T, dtype=torch.bool, device=input_ids.device).tril()
        bias = torch.zeros(T, T, dtype=x.dtype).masked_fill(~causal, MASK_VALUE)
        for blk in self.h:
            x, _, _ = blk(x, bias)
        return self.ln_f(x) @ self.wte.weight.t()  # tied LM head


class OnnxGPT(nn.Module):
    """Export wrapper with the transformers.js decoder I/O contract (see export.py)."""

    def __init__(self, gpt: GPT):
        super().__init__()
        self.gpt = gpt

    def forward(self, input_ids, attention_mask, position_ids, num_logits_to_keep, *past):
        g = self.gpt
        T = input_ids.shape[1]
        past_len = past[0].shape[2]
        x = g.wte(input_ids) + g.wpe(position_ids)
        # Causality by absolute position (query i sits at past_len + i), built with arange so
        # any past length works, combined with the key padding mask from attention_mask.
        q_pos = torch.arange(T) + past_len
        k_pos = torch.arange(past_len + T)
        causal = k_pos[None, :] <= q_pos[:, None]                  # [T, past+T]
        keep = causal[None, None, :, :] & (attention_mask[:, None, None, :] > 0)  # [B,1,T,past+T]
        bias = torch.where(keep, torch.zeros((), dtype=x.dtype), torch.full((), MASK_VALUE, dtype=x.dtype))
        presents = []
        for i, blk in enumerate(g.h):
            x, k, v = blk(x, bias, past[2 * i], past[2 * i + 1])
            presents += [k, v]
        # Select the last num_logits_to_keep positions (0 = all) before the LM head, so the
        # logits tensor is [B, k, V] rather than [B, T, V] during generation.
        start = torch.where(num_logits_to_keep > 0, T - num_logits_to_keep, torch.zeros_like(num_logits_to_keep))
        idx = torch.nonzero(torch.arange(T) >= start).reshape(-1)
        x = torch.index_select(x, 1, idx)
        # W @ h^T, then transpose the activations: writing h @ W^T would let constant folding
        # store a transposed copy of the tied embedding matrix, doubling the file size.
        logits = torch.matmul(g.wte.weight, g.ln_f(x).transpose(1, 2)).transpose(1, 2)
        return (logits, *presents)
