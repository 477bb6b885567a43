"""Feasibility of CoRL-style GRPO at the demo models' scale on CPU: TRL GRPOTrainer + LoRA on
rolescope-tiny-multi with the paper's GRPO settings, a trivial reward, and a plain SFT step on the
same LoRA model for comparison. Prints seconds per optimisation step and completions per second.

  .venv/bin/python scripts/corl/grpo_smoke.py [--steps 4] [--prompts-per-step 2] [--threads 2]

Prompts are the role-play fixtures of test/fixtures/demo-models/*.json cut at each agent turn and
rendered up to the assistant turn; nothing is downloaded.
"""
import argparse
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hf_model import DEMO, REPO, load_demo_as_hf  # noqa: E402

import torch  # noqa: E402
from datasets import Dataset  # noqa: E402
from peft import LoraConfig, get_peft_model  # noqa: E402
from transformers import TrainerCallback  # noqa: E402
from trl import GRPOConfig, GRPOTrainer  # noqa: E402

from rl import StepTimer  # noqa: E402

G, MAX_COMPLETION = 8, 64


def role_play_prompts(tok, n, max_prompt_tokens):
    """(prompt text, reference response) pairs: every agent turn of every fixture dialogue."""
    data, out = DEMO["data"], []
    fx_dir = os.path.join(REPO, "test", "fixtures", "demo-models")
    for name in sorted(os.listdir(fx_dir)):
        if not name.endswith(".json") or name.endswith("reference-logits.json"):
            continue
        for ex in json.load(open(os.path.join(fx_dir, name), encoding="utf-8"))["examples"]:
            turns = [(t["role"], t["text"]) for t in ex["dialogue"]] + [("agent", ex["response"])]
            d = {"user_persona": ex["user_persona"], "agent_character": ex["agent_character"], "turns": turns}
            for i in data.agent_turn_indices(d):
                msgs = data.render_messages(data.make_example(d, i))
                text = tok.apply_chat_template(msgs[:2], tokenize=False, add_generation_prompt=True)
                if len(tok(text)["input_ids"]) <= max_prompt_tokens and text not in [p for p, _ in out]:
                    out.append((text, msgs[2]["content"]))
    return out[:n]


def length_reward(completions, **_):
    # Trivial, but varies within a group so advantages are non-zero.
    return [min(len(c), 200) / 200 for c in completions]


class TimedGRPO(GRPOTrainer):
    """Splits each step into sampling (+ reward, advantages) and the policy-gradient update."""
    gen_times = []

    def _generate_and_score_completions(self, inputs):
        t = time.perf_counter()
        out = super()._generate_and_score_completions(inputs)
        self.gen_times.append(time.perf_counter() - t)
        return out


def lora():
    # For GPT-2 "all linear layers" are the Conv1D modules; c_proj matches both attn and mlp.
    return LoraConfig(r=16, lora_alpha=32, lora_dropout=0.05, target_modules=["c_attn", "c_proj", "c_fc"],
                      fan_in_fan_out=True, task_type="CAUSAL_LM")


def grpo(args, prompts, out_dir):
    model, tok = load_demo_as_hf("rolescope-tiny-multi")
    cfg = GRPOConfig(
        output_dir=out_dir, report_to="none", use_cpu=True, save_strategy="no", logging_steps=1,
        disable_tqdm=True, seed=0, max_steps=args.steps, learning_rate=1e-5,
        per_device_train_batch_size=G * args.prompts_per_step, gradient_accumulation_steps=1,
        num_generations=G, max_prompt_length=args.max_prompt, max_completion_length=MAX_COMPLETION,
        temperature=1.0, beta=0.0, epsilon=0.2, loss_type="bnpo", scale_rewards=True, num_iterations=1,
        reward_weights=[1.0])
    ds = Dataset.from_list([{"prompt": p} for p, _ in prompts])
    timer, logs = StepTimer(), []
    trainer = TimedGRPO(model=model, reward_funcs=[length_reward], args=cfg, train_dataset=ds,
                        processing_class=tok, peft_config=lora(), callbacks=[timer])
    trainer.add_callback(type("L", (TrainerCallback,), {"on_log": lambda s, a, st, c, logs_=None, **k:
                                                        logs.append(k.get("logs") or logs_)})())
    trainer.model.print_trainable_parameters()
    trainer.train()
    return timer.steps, trainer.gen_times, [l for l in logs if l and "completions/mean_length" in l]


def sft_steps(args, prompts, n=3):
    """One SFT optimisation step = the same number of sequences as one GRPO step, prompt + reference
    response, loss on the response tokens only: the cost of the update without sampling."""
    model, tok = load_demo_as_hf("rolescope-tiny-multi")
    model = get_peft_model(model, lora()).train()
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-5)
    rows = [(tok(p)["input_ids"], tok(r + "<|im_end|>")["input_ids"]) for p, r in prompts]
    batch_rows = [rows[i % len(rows)] for i in range(G * args.prompts_per_step)]
    T = max(len(p) + len(r) for p, r in batch_rows)
    ids = torch.full((len(batch_rows), T), tok.pad_token_id)
    labels = torch.full_like(ids, -100)
    for b, (p, r) in enumerate(batch_rows):
        ids[b, :len(p) + len(r)] = torch.tensor(p + r)
        labels[b, len(p):len(p) + len(r)] = torch.tensor(r)
    mask = (labels != -100) | (torch.arange(T)[None] < torch.tensor([len(p) for p, _ in batch_rows])[:, None])
    times = []
    for _ in range(n):
        t = time.perf_counter()
        loss = model(input_ids=ids, attention_mask=mask.long(), labels=labels).loss
        loss.backward()
        opt.step()
        opt.zero_grad()
        times.append(time.perf_counter() - t)
    return times, ids.shape


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=4)
    p.add_argument("--prompts-per-step", type=int, default=2)
    p.add_argument("--max-prompt", type=int, default=512 - MAX_COMPLETION, help="prompt + completion fit 512 positions")
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    _, tok = load_demo_as_hf("rolescope-tiny-multi")
    prompts = role_play_prompts(tok, 16, args.max_prompt)
    lens = [len(tok(x)["input_ids"]) for x, _ in prompts]
    print(f"{len(prompts)} prompts, {min(lens)}-{max(lens)} tokens (mean {sum(lens) / len(lens):.0f}); "
          f"{args.prompts_per_step} prompts x G={G} = {G * args.prompts_per_step} completions per step")
    with tempfile.TemporaryDirectory() as tmp:
        steps, gens, logs = grpo(args, prompts, tmp)
    n = G * args.prompts_per_step
    for i, (s, g) in enumerate(zip(steps, gens)):
        lg = logs[i] if i < len(logs) else {}
        print(f"GRPO step {i + 1}: {s:.2f} s (sampling+reward {g:.2f} s, update {s - g:.2f} s), "
              f"mean completion {lg.get('completions/mean_length', float('nan')):.1f} tokens, "
              f"reward std {lg.get('reward_std', float('nan')):.3f}")
    rest = steps[1:] or steps  # the first step pays one-off warm-up
    spm = sum(rest) / len(rest)
    gen_rest = gens[1:len(steps)] or gens
    toks = sum(l["completions/mean_length"] * n for l in logs[1:len(steps)] or logs)
    print(f"GRPO: {spm:.2f} s/step, {n / spm:.2f} completions/s (steps 2..{len(steps)}; sampling "
          f"{sum(gen_rest) / len(rest) / spm:.0%} of the step, {toks / sum(gen_rest):.0f} generated tokens/s)")
    times, shape = sft_steps(args, prompts)
    sft = sum(times[1:]) / len(times[1:])
    print(f"SFT (LoRA, torch loop, batch {tuple(shape)}): {sft:.2f} s/step (after a {times[0]:.2f} s first step)")


if __name__ == "__main__":
    main()
