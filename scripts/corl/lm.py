"""Torch pieces of the CoRL trainer (train.py): LoRA models, fitting prompts into the 512-token
window, the supervised (SFT) loop, golden-response log-probs and greedy generation.

Spans follow the app (src/core/prompts/span.ts): the chat template renders context + assistant
turn into one text, tokenized once; a span's tokens are those whose characters overlap it. The
SFT loss covers the assistant content and its `<|im_end|>` (so the model learns to stop); a
golden response is scored on y*'s own tokens only, not the `## Agent Response\\n` prefix.
"""
import math
import os
import random
import time

import torch
from peft import LoraConfig, PeftModel, get_peft_model
from transformers import AutoModelForCausalLM, AutoTokenizer, get_cosine_schedule_with_warmup

from hf_model import load_demo_as_hf
from prompts import ESTIMATOR_RESPONSE_PREFIX, drop_oldest_turns, estimator_messages, js_trim

DEMO_MODELS = ("rolescope-tiny-en", "rolescope-tiny-multi")
WINDOW = 512  # the demo models' positions; set_window for a larger base
END = "<|im_end|>"  # ChatML's end of turn: the demo models' and Qwen's
REPETITION_PENALTY = 1.05  # the app's, for policies and thought models alike


def set_window(tokens):
    global WINDOW
    WINDOW = tokens


def is_demo(base):
    return base in DEMO_MODELS


def device():
    """This process's GPU (one per process under accelerate), else the CPU."""
    return torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0))) if torch.cuda.is_available() else torch.device("cpu")


def lora_config(base):
    # The paper: rank 16, alpha 32, dropout 0.05 on all linear layers. GPT-2's linear layers are
    # Conv1D (c_attn, c_proj of attention and MLP, c_fc), stored [in, out], hence fan_in_fan_out.
    if is_demo(base):
        return LoraConfig(r=16, lora_alpha=32, lora_dropout=0.05, target_modules=["c_attn", "c_proj", "c_fc"],
                          fan_in_fan_out=True, task_type="CAUSAL_LM")
    return LoraConfig(r=16, lora_alpha=32, lora_dropout=0.05, target_modules="all-linear", task_type="CAUSAL_LM")


def load_base(base):
    """A bundled demo model by id (as transformers GPT-2), or a local Hugging Face checkpoint folder
    with a ChatML chat template (e.g. Qwen3-8B), in bf16 on a GPU, fp32 on the CPU."""
    if is_demo(base):
        return load_demo_as_hf(base)
    tok = AutoTokenizer.from_pretrained(base)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    tok.model_input_names = ["input_ids", "attention_mask"]  # generate() refuses token_type_ids
    dtype = torch.bfloat16 if torch.cuda.is_available() else torch.float32
    model = AutoModelForCausalLM.from_pretrained(base, torch_dtype=dtype).to(device())
    model.generation_config.update(do_sample=False, pad_token_id=tok.pad_token_id)
    return model.eval(), tok


def load_model(base, adapter=None, trainable=False, merged=False):
    """The base model with a LoRA adapter: a fresh one (adapter None, trainable), a saved one
    to train further, or a saved one merged for frozen use (scoring, generation)."""
    model, tok = load_base(base)
    if adapter is None:
        return (get_peft_model(model, lora_config(base)) if trainable else model), tok
    model = PeftModel.from_pretrained(model, adapter, is_trainable=trainable)
    if merged:
        model = model.merge_and_unload()
    return (model.train() if trainable else model.eval()), tok


def render(tok, messages, completion=None):
    """The prompt text up to the assistant turn, or the full text with the completion."""
    if completion is None:
        return tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    return tok.apply_chat_template(messages + [{"role": "assistant", "content": completion}], tokenize=False)


def fit(tok, ex, make_messages, completion=None, reserve=0):
    """(x, prompt text) with the oldest dialogue turns dropped (2 at a time, as the app does) until
    prompt + completion (or prompt + `reserve` new tokens) fits the window; (None, None) if even
    the last user query alone does not fit."""
    n, drop = len(ex["dialogue"]), 0
    while True:
        x = drop_oldest_turns(ex, drop)
        messages = make_messages(x)
        need = len(tok(render(tok, messages, completion))["input_ids"]) + reserve
        if need <= WINDOW:
            return x, render(tok, messages)
        if drop >= n - 1:
            return None, None
        drop += 2


def encode_span(tok, prompt_text, content, start, end):
    """Token ids of prompt + assistant `content`, and the mask of tokens overlapping the content's
    characters [start, end) (offsets relative to the content)."""
    full = prompt_text + content + END + "\n"  # == render(tok, messages, content)
    enc = tok(full, return_offsets_mapping=True)
    s, e = len(prompt_text) + start, len(prompt_text) + end
    return enc["input_ids"], [a < e and b > s for a, b in enc["offset_mapping"]]


def sft_item(tok, ex, make_messages, completion):
    """(ids, loss mask) of an SFT example, fitted to the window; None if it cannot fit."""
    x, prompt = fit(tok, ex, make_messages, completion)
    if x is None:
        return None
    return encode_span(tok, prompt, completion, 0, len(completion) + len(END))


def _batch(items, pad_id):
    """Right-padded ids, attention mask and labels (-100 outside the loss mask)."""
    T = max(len(ids) for ids, _ in items)
    ids = torch.full((len(items), T), pad_id)
    att = torch.zeros((len(items), T), dtype=torch.long)
    labels = torch.full((len(items), T), -100)
    for b, (x, m) in enumerate(items):
        ids[b, :len(x)], att[b, :len(x)] = torch.tensor(x), 1
        labels[b, :len(x)] = torch.where(torch.tensor(m), torch.tensor(x), torch.tensor(-100))
    return ids, att, labels


def sft(model, tok, items, epochs, batch_size, lr=2e-4, max_steps=None, seed=0, log_every=10):
    """The cold-start recipe (AdamW, cosine with 3% warm-up, grad clip 0.3) as a plain torch loop:
    TRL's SFTTrainer would truncate prompts from the right, while here every prompt has already
    lost its oldest turns to fit. Loss = mean over the masked (completion) tokens of a batch.
    Returns the loss log: [(step, mean loss since the previous entry)]."""
    steps_per_epoch = math.ceil(len(items) / batch_size)
    total = steps_per_epoch * epochs if max_steps is None else min(max_steps, steps_per_epoch * epochs)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr, weight_decay=0.0)
    sched = get_cosine_schedule_with_warmup(opt, math.ceil(0.03 * total), total)
    rng, model, step, log, acc = random.Random(seed), model.train(), 0, [], []
    t0 = time.perf_counter()
    while step < total:
        order = list(range(len(items)))
        rng.shuffle(order)
        for i in range(0, len(order), batch_size):
            if step >= total:
                break
            ids, att, labels = (t.to(model.device) for t in _batch([items[j] for j in order[i:i + batch_size]],
                                                                    tok.pad_token_id))
            loss = model(input_ids=ids, attention_mask=att, labels=labels).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 0.3)
            opt.step(), sched.step(), opt.zero_grad()
            step, acc = step + 1, acc + [loss.item()]
            if step % log_every == 0 or step == total:
                log.append((step, sum(acc) / len(acc)))
                print(f"  step {step}/{total} loss {log[-1][1]:.4f} ({time.perf_counter() - t0:.0f} s)", flush=True)
                acc = []
    return log, {"steps": total, "steps_per_epoch": steps_per_epoch, "batch_size": batch_size, "lr": lr}


@torch.no_grad()
def span_logprobs(model, tok, items, batch_size=16):
    """Per-token natural-log probabilities of each item's masked tokens; items are (ids, mask)."""
    out = []
    for i in range(0, len(items), batch_size):
        chunk = items[i:i + batch_size]
        ids, att, labels = (t.to(model.device) for t in _batch(chunk, tok.pad_token_id))
        logp = torch.log_softmax(model(input_ids=ids, attention_mask=att).logits[:, :-1].float(), -1)
        tgt = ids[:, 1:]
        lp = logp.gather(-1, tgt.unsqueeze(-1)).squeeze(-1)
        for b in range(len(chunk)):
            keep = labels[b, 1:] != -100
            out.append(lp[b][keep].tolist())
    return out


def golden_items(tok, xs, reasonings, goldens):
    """(ids, mask of y*'s tokens) for est-v1 with r; None where it cannot fit the window."""
    items = []
    for x, r, g in zip(xs, reasonings, goldens):
        y = js_trim(g)
        content = ESTIMATOR_RESPONSE_PREFIX + y
        fx, prompt = fit(tok, x, lambda e: estimator_messages(e, r), content)
        items.append(None if fx is None else
                     encode_span(tok, prompt, content, len(ESTIMATOR_RESPONSE_PREFIX), len(content)))
    return items


def make_score_fn(model, tok):
    """score_fn for rewards.make_likelihood_reward: y*'s per-token log-probs under a frozen
    estimator; an empty list (reward 0) where the context cannot fit."""
    def score(xs, reasonings, goldens):
        items = golden_items(tok, xs, reasonings, goldens)
        scored = iter(span_logprobs(model, tok, [it for it in items if it is not None]))
        return [[] if it is None else next(scored) for it in items]
    return score


@torch.no_grad()
def greedy(model, tok, prompts, max_new_tokens, batch_size=16):
    """Greedy completions as the app decodes r (THOUGHT_GENERATION in src/core/pipeline/types.ts:
    greedy with repetition penalty 1.05 over prompt and output), left-padded batches (the penalty
    also touches the pad token, which is not the end token), cut at <|im_end|>."""
    tok.padding_side, out = "left", []
    for i in range(0, len(prompts), batch_size):
        enc = tok(prompts[i:i + batch_size], return_tensors="pt", padding=True).to(model.device)
        gen = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False,
                             repetition_penalty=REPETITION_PENALTY, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
        out += tok.batch_decode(gen[:, enc["input_ids"].shape[1]:], skip_special_tokens=True)
    return out


def perplexity(logprobs):
    """Token-level perplexity over all scored tokens, and the number of tokens."""
    flat = [v for lp in logprobs for v in lp]
    return (math.exp(-sum(flat) / len(flat)) if flat else float("nan")), len(flat)
