"""Builds one bundled demo model end to end: tokenizer, training, ONNX export, fixtures,
held-out evaluation and model card.

  /usr/bin/python3 scripts/demo_models/train.py --model rolescope-tiny-en
  /usr/bin/python3 scripts/demo_models/train.py --model rolescope-tiny-multi

Only `valid` files are trained on (see data.py); evaluate.py reads the `test` files.
"""
import argparse
import json
import math
import os
import random
import shlex
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpe  # noqa: E402
import card  # noqa: E402
import data  # noqa: E402
import evaluate  # noqa: E402
import export  # noqa: E402
import fixtures  # noqa: E402
from model import GPT, GPTConfig  # noqa: E402
from tokenize_examples import encode_example  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

# Defaults chosen from a throughput measurement on 2 CPU cores (see scripts/demo_models/README.md).
DEFAULT_STEPS = {"rolescope-tiny-en": 1800, "rolescope-tiny-multi": 2100}


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True, choices=["rolescope-tiny-en", "rolescope-tiny-multi"])
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--batch-tokens", type=int, default=4096, help="padded tokens per batch (rows x longest row)")
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--min-lr-ratio", type=float, default=0.1)
    p.add_argument("--warmup", type=int, default=40)
    p.add_argument("--weight-decay", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--vocab-size", type=int, default=8192)
    p.add_argument("--n-layer", type=int, default=4)
    p.add_argument("--n-embd", type=int, default=192)
    p.add_argument("--n-head", type=int, default=4)
    p.add_argument("--n-positions", type=int, default=512)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--work-dir", default="/tmp/rolescope-demo-models", help="checkpoints (not shipped)")
    p.add_argument("--from-checkpoint", action="store_true",
                   help="skip training; reload the checkpoint in --work-dir and redo export, fixtures, evaluation")
    p.add_argument("--eval-samples", type=int, default=200)
    p.add_argument("--out", default=os.path.join(REPO, "public", "models"))
    p.add_argument("--fixtures", default=os.path.join(REPO, "test", "fixtures", "demo-models"))
    return p.parse_args()


def tokenizer_texts(dialogues):
    """One rendered text per dialogue (its last agent turn, so every utterance appears once)."""
    return [data.render_chat(data.render_messages(data.make_example(d, data.agent_turn_indices(d)[-1])))
            for d in dialogues]


def epoch_batches(dialogues, tok, rng, max_len, batch_tokens):
    """One example per dialogue with a randomly drawn target agent turn, batched by length."""
    seqs = []
    for d in dialogues:
        enc = encode_example(tok, data.make_example(d, rng.choice(data.agent_turn_indices(d))), max_len)
        if enc:
            seqs.append(enc[0])
    seqs.sort(key=len)
    batches, cur = [], []
    for s in seqs:
        # Similar lengths share a batch, so padding is small; rows x longest <= batch_tokens.
        if cur and (len(cur) + 1) * len(s) > batch_tokens:
            batches.append(cur)
            cur = []
        cur.append(s)
    if cur:
        batches.append(cur)
    rng.shuffle(batches)
    return batches


def collate(batch, pad_id):
    T = max(len(s) for s in batch)
    x = torch.full((len(batch), T), pad_id, dtype=torch.long)
    y = torch.full((len(batch), T), -100, dtype=torch.long)
    for i, s in enumerate(batch):
        x[i, :len(s)] = torch.tensor(s)
        y[i, :len(s) - 1] = torch.tensor(s[1:])  # loss on every real token (pads ignored)
    return x, y


def lr_at(step, args, total):
    if step < args.warmup:
        return args.lr * (step + 1) / args.warmup
    t = (step - args.warmup) / max(1, total - args.warmup)
    return args.lr * (args.min_lr_ratio + (1 - args.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * t)))


def main():
    args = parse_args()
    steps = args.steps or DEFAULT_STEPS[args.model]
    torch.set_num_threads(args.threads)  # the default here is 1 thread
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    out_dir = os.path.join(args.out, args.model)
    os.makedirs(os.path.join(out_dir, "onnx"), exist_ok=True)
    t_start = time.time()

    dialogues = [d for d in data.load_model_dialogues(args.model, "valid") if data.agent_turn_indices(d)]
    t0 = time.time()
    vocab, merges = bpe.train_bpe(tokenizer_texts(dialogues), args.vocab_size, data.SPECIAL_TOKENS)
    tok = bpe.ByteLevelBPE(vocab, merges, data.SPECIAL_TOKENS)
    tok_time = time.time() - t0
    print(f"tokenizer: {len(vocab)} tokens in {tok_time:.1f}s", flush=True)

    cfg = GPTConfig(vocab_size=len(vocab), n_positions=args.n_positions, n_embd=args.n_embd,
                    n_layer=args.n_layer, n_head=args.n_head)
    model = GPT(cfg)
    print(f"model: {model.num_params():,} parameters", flush=True)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=args.lr, betas=(0.9, 0.95))
    pad_id = tok.token_id("<|endoftext|>")

    ckpt_path = os.path.join(args.work_dir, args.model, "checkpoint.pt")
    step, epoch, tokens_seen, examples_seen = 0, 0, 0, 0
    t_train = time.time()
    loss_ema = None
    model.train()
    if args.from_checkpoint:
        ck = torch.load(ckpt_path)
        model.load_state_dict(ck["model"])
        step, epoch, tokens_seen, examples_seen, loss_ema, saved_time = ck["stats"]
        t_train -= saved_time
    while step < steps:
        batches = epoch_batches(dialogues, tok, rng, cfg.n_positions, args.batch_tokens)
        epoch += 1
        for batch in batches:
            if step >= steps:
                break
            x, y = collate(batch, pad_id)
            for g in opt.param_groups:
                g["lr"] = lr_at(step, args, steps)
            logits = model(x)
            loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1), ignore_index=-100)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            step += 1
            tokens_seen += int((y != -100).sum()) + len(batch)
            examples_seen += len(batch)
            loss_ema = loss.item() if loss_ema is None else 0.95 * loss_ema + 0.05 * loss.item()
            if step % 10 == 0 or step == steps:
                el = time.time() - t_train
                print(f"step {step}/{steps} epoch {epoch} loss {loss.item():.3f} ema {loss_ema:.3f} "
                      f"lr {opt.param_groups[0]['lr']:.2e} tokens {tokens_seen} {tokens_seen / el:.0f} tok/s "
                      f"{el / 60:.1f} min", flush=True)
    train_time = time.time() - t_train
    model.eval()
    if not args.from_checkpoint:
        os.makedirs(os.path.dirname(ckpt_path), exist_ok=True)
        torch.save({"model": model.state_dict(),
                    "stats": (step, epoch, tokens_seen, examples_seen, loss_ema, train_time)}, ckpt_path)

    onnx_path = os.path.join(out_dir, "onnx", "model.onnx")
    export.write_configs(out_dir, cfg, tok)
    onnx_size = export.export_onnx(model, onnx_path)
    print(f"onnx: {onnx_size / 1e6:.2f} MB", flush=True)
    fixtures.write_fixtures(model, tok, args.model, args.fixtures, cfg.n_positions)

    t0 = time.time()
    results = evaluate.evaluate_model(model, tok, args.model, n=args.eval_samples, seed=args.seed,
                                      max_len=cfg.n_positions)
    print(evaluate.format_table(results), flush=True)
    print(f"eval took {time.time() - t0:.0f}s", flush=True)

    argv = [a for a in sys.argv[1:] if a != "--from-checkpoint"]
    summary = {
        "model_id": args.model,
        "command": "/usr/bin/python3 scripts/demo_models/train.py " + " ".join(shlex.quote(a) for a in argv),
        "args": vars(args) | {"steps": steps, "out": None, "fixtures": None, "work_dir": None},
        "config": cfg.to_dict(),
        "parameters": model.num_params(),
        "onnx_bytes": onnx_size,
        "train_dialogues": len(dialogues),
        "train_sources": sorted({d["source"] for d in dialogues}),
        "dialogues_by_source": {s: sum(d["source"] == s for d in dialogues) for s in sorted({d["source"] for d in dialogues})},
        "tokenizer_seconds": round(tok_time, 1),
        "train_seconds": round(train_time, 1),
        "total_seconds": round(time.time() - t_start, 1),
        "steps": steps,
        "epochs_started": epoch,
        "examples_seen": examples_seen,
        "tokens_seen": tokens_seen,
        "final_train_loss_ema": loss_ema,
        "eval": results,
        "torch": torch.__version__,
    }
    card.write_card(os.path.join(out_dir, "README.md"), summary, evaluate.format_table(results))
    print(json.dumps({k: v for k, v in summary.items() if k != "eval"}, indent=1), flush=True)


if __name__ == "__main__":
    main()
