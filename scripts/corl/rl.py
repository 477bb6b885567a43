"""The GRPO stages of CoRL (train.py rl-thought / rl-estimator) on TRL 0.18's GRPOTrainer.

The paper's GRPO settings: G=8 completions per prompt, beta 0 (no KL term, so no reference
model), clip epsilon 0.2, the `bnpo` loss, advantages scaled by the group's std, one pass per
batch (on-policy), temperature 1. Two changes for a 3.4M-parameter model on a CPU: the paper's
64 completions per step and 1000 prompts do not fit this CPU's budget, so the prompts per step and
the steps are arguments; and the learning rate is an argument whose default (train.py, 5e-5) is 5x
the paper's 1e-5 for an 8B model, because at 1e-5 a LoRA adapter moves by at most about 1e-3 per
weight over the hundred steps that fit here.

Prompts reach the trainer as rendered text already fitted to the window (oldest turns dropped,
room left for the completion), because TRL would otherwise cut them from the left, taking the
system prompt and persona first. The role-play columns ride along for the reward functions.
"""
import os
import time

import torch

from datasets import Dataset
from transformers import TrainerCallback
from transformers.trainer_utils import get_last_checkpoint
from trl import GRPOConfig, GRPOTrainer

import lm
import rewards
from prompts import estimator_messages, thought_messages

G = 8


class StepTimer(TrainerCallback):
    """Wall time per optimisation step (sampling + rewards + update)."""

    def __init__(self):
        self.t0, self.steps = None, []

    def on_step_begin(self, *a, **k):
        self.t0 = time.perf_counter()

    def on_step_end(self, *a, **k):
        self.steps.append(time.perf_counter() - self.t0)


def prompt_rows(tok, rows, kind, max_completion):
    """Dataset rows with a text `prompt` fitted to leave `max_completion` tokens, plus the columns
    the rewards read. kind: 'thought' (th-v1) or 'estimator' (est-v1 with the row's reasoning)."""
    out, skipped = [], 0
    for row in rows:
        ex = {k: row[k] for k in ("user_persona", "agent_character", "dialogue")}
        make = thought_messages if kind == "thought" else (lambda e, r=row["reasoning"]: estimator_messages(e, r))
        x, prompt = lm.fit(tok, ex, make, reserve=max_completion)
        if x is None:
            skipped += 1
            continue
        out.append({"prompt": prompt, "golden": row["golden"], "reasoning": row.get("reasoning", ""), **ex})
    return out, skipped


def grpo(model, tok, rows, reward_funcs, out_dir, steps, prompts_per_step, max_completion, lr, seed=0, save_every=None):
    """Runs GRPO for `steps` optimisation steps; returns (trainer, per-step seconds, log).
    save_every: keep a checkpoint (adapter, optimiser, sampler and log) every that many steps in
    out_dir and resume from the latest one found there, so that a long run can be stopped and
    continued in pieces; the per-step seconds then cover the steps of this piece only."""
    last = get_last_checkpoint(out_dir) if save_every and os.path.isdir(out_dir) else None
    if last and int(last.rsplit("-", 1)[1]) >= steps:
        last = None  # stopped after its last step: resuming there would train one step more, so start over
    if last:
        print(f"  resuming from {last}", flush=True)
    cfg = GRPOConfig(
        output_dir=out_dir, report_to="none", use_cpu=not torch.cuda.is_available(),
        bf16=torch.cuda.is_available(), logging_steps=1,
        **({"save_strategy": "steps", "save_steps": save_every, "save_total_limit": 2} if save_every
           else {"save_strategy": "no"}),
        disable_tqdm=True, seed=seed, max_steps=steps, learning_rate=lr,
        per_device_train_batch_size=G * prompts_per_step, gradient_accumulation_steps=1,
        num_generations=G, max_prompt_length=lm.WINDOW - max_completion, max_completion_length=max_completion,
        temperature=1.0, beta=0.0, epsilon=0.2, loss_type="bnpo", scale_rewards=True, num_iterations=1,
        reward_weights=[1.0] * len(reward_funcs))
    timer = StepTimer()
    tok.padding_side = "left"  # TRL pads prompts on the left for generation
    trainer = GRPOTrainer(model=model, reward_funcs=reward_funcs, args=cfg, train_dataset=Dataset.from_list(rows),
                          processing_class=tok, callbacks=[timer])
    trainer.train(resume_from_checkpoint=last)
    log = [{k: v for k, v in h.items() if k == "step" or k.startswith(("reward", "completions/mean_length", "loss"))}
           for h in trainer.state.log_history if "reward" in h]
    return trainer, timer.steps, log


def summarize(log, secs):
    """First and last quarter means of the summed reward, and seconds per step (after the first)."""
    q = max(1, len(log) // 4)
    mean = lambda xs: sum(xs) / len(xs) if xs else float("nan")  # noqa: E731
    rest = secs[1:] or secs
    return {"reward_first_quarter": mean([h["reward"] for h in log[:q]]),
            "reward_last_quarter": mean([h["reward"] for h in log[-q:]]), "s_per_step": mean(rest)}


def thought_rewards(estimator, tok):
    """format + length + likelihood under the frozen previous estimator, each at weight 1."""
    likelihood = rewards.make_likelihood_reward(lm.make_score_fn(estimator, tok))
    return [rewards.trl_thought_format, rewards.trl_thought_length, likelihood]


def estimator_rewards():
    """estimator format + judge ratio (rewards.py's lexical stand-in for the paper's judge)."""
    return [rewards.trl_estimator_format, rewards.trl_judge_ratio]
