"""Model card (public/models/<id>/README.md) filled in with the measured numbers of a build."""
import data

SOURCES = {
    "xpersona-en": ("Xpersona/dataset/En_persona_valid.json", "English"),
    "xpersona-zh": ("Xpersona/dataset/Zh_persona_split_valid_human_annotated.json", "Chinese"),
    "xpersona-jp": ("Xpersona/dataset/Jp_persona_split_valid_human_annotated.json", "Japanese"),
    "xpersona-ko": ("Xpersona/dataset/Ko_persona_split_valid_human_annotated.json", "Korean"),
    "xpersona-fr": ("Xpersona/dataset/Fr_persona_split_valid_human_annotated.json", "French"),
    "xpersona-it": ("Xpersona/dataset/It_persona_split_valid_human_annotated.json", "Italian"),
    "xpersona-id": ("Xpersona/dataset/Id_persona_split_valid_human_annotated.json", "Indonesian"),
    "spc": ("Synthetic-Persona-Chat/data/Synthetic-Persona-Chat_valid.csv", "English"),
}


def write_card(path, s, table):
    cfg = s["config"]
    langs = sorted({SOURCES[k][1] for k in s["dialogues_by_source"]})
    rows = "\n".join(f"| `{SOURCES[k][0]}` | {SOURCES[k][1]} | {n} | "
                     f"{'CC BY 4.0' if k == 'spc' else 'MIT'} |" for k, n in s["dialogues_by_source"].items())
    a = s["args"]
    text = f"""# {s['model_id']}

A tiny GPT-2-style causal language model bundled with Rolescope as a demo role-playing model.
It was trained from scratch in a few minutes on a CPU so the app has something to score
offline; it writes short persona-chat style replies and is **not** a useful chatbot. Its
purpose is to give log-probabilities that depend on the persona and dialogue context.

## Training data

Languages: {", ".join(langs)}. Only the `valid` files were used for training and for the
tokenizer; the `test` files were used only for the held-out evaluation below.

| file | language | dialogues | license |
|---|---|---|---|
{rows}

- Xpersona (Lin et al., 2021, "XPersona: Evaluating Multilingual Personalized Chatbot"),
  https://github.com/HLTCHKUST/Xpersona, MIT License, Copyright (c) 2020 CAiRE (HKUST). The English part derives from PersonaChat (Zhang et al., 2018). The bot persona is
  the agent character; there is no user persona (rendered as `(unknown)`).
- Synthetic-Persona-Chat (Jandaghi et al., 2023, "Faithful Persona-based Conversational Dataset
  Generation with Large Language Models"), https://github.com/google-research-datasets/Synthetic-Persona-Chat,
  CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/). User 1 is the user (with its persona),
  User 2 the agent; consecutive lines by one speaker were merged and leading agent lines dropped.
  The data was converted to the prompt format below; texts were not otherwise changed.

See `public/models/NOTICE`.

## Prompt format (rp-v1)

One example per agent turn k: the context is every turn before it (ending with the user's
query), the target is the agent's turn k. Messages are rendered with the ChatML template in
`tokenizer_config.json`:

```
<|im_start|>system
{data.SYSTEM}<|im_end|>
<|im_start|>user
<user_persona>
(one persona sentence per line, or "(unknown)")
</user_persona>
<character>
(one agent persona sentence per line)
</character>
<dialogue>
User: ...
Agent: ...
User: ...
</dialogue><|im_end|>
<|im_start|>assistant
(response)<|im_end|>
```

When the text exceeds {cfg['n_positions']} tokens, the oldest dialogue turns are dropped (never the
personas or the response). During training the loss covers every token, and each dialogue
contributes one randomly drawn target turn per epoch.

## Tokenizer

Byte-level BPE (GPT-2 pre-tokenization regex and byte mapping), {cfg['vocab_size']} tokens, trained
on this model's own training texts. Special tokens: `<|endoftext|>` = 0 (padding), `<|im_start|>` = 1,
`<|im_end|>` = 2 (end of turn; generation stops there).

## Architecture

GPT-2 (pre-LayerNorm, `gelu_new`, learned absolute positions, tied input/output embeddings):
{cfg['n_layer']} layers, hidden size {cfg['n_embd']}, {cfg['n_head']} heads, context {cfg['n_positions']} tokens,
**{s['parameters']:,} parameters**. Weights: `onnx/model.onnx`, fp32, single file,
{s['onnx_bytes']:,} bytes ({s['onnx_bytes'] / 2**20:.1f} MiB); inputs `input_ids`, `attention_mask`,
`position_ids`, `past_key_values.*`, `num_logits_to_keep`; outputs `logits`, `present.*`.

## Training

| | |
|---|---|
| optimizer | AdamW (betas 0.9/0.95, weight decay {a['weight_decay']} on matrices), gradient clipping 1.0 |
| schedule | peak lr {a['lr']}, {a['warmup']} warmup steps, cosine decay to {a['min_lr_ratio']} x peak |
| batch | about {a['batch_tokens']} padded tokens, sequences grouped by length |
| steps | {s['steps']} ({s['examples_seen']:,} examples, about {s['examples_seen'] / s['train_dialogues']:.1f} passes over the {s['train_dialogues']:,} dialogues) |
| tokens seen | {s['tokens_seen']:,} |
| final training loss (EMA) | {s['final_train_loss_ema']:.3f} |
| seed | {a['seed']} |
| training time | {s['train_seconds'] / 60:.1f} min on 2 CPU cores (whole build incl. tokenizer, export, evaluation: {s['total_seconds'] / 60:.1f} min) |
| software | torch {s['torch']} (CPU) |

Rebuild (from the repository root, see `scripts/demo_models/README.md`):

```
{s['command']}
```

## Held-out evaluation

{a['eval_samples']} seeded (dialogue, agent turn) samples per test file. "own" scores each golden
response under its own context; "mismatched" scores the same response under the personas and
dialogue of another sample from the same test file (seeded derangement). Values are mean
log-probabilities per response token (assistant content only, `<|im_end|>` excluded); perplexity
is exp(-own). A positive margin means the context (personas and dialogue) raises the
probability of the right response, i.e. the model uses it.

{table}

## Limitations

Trained on a few megabytes of persona chat for minutes: replies are generic, often repetitive,
and not factual. Its use of the context is weak (see the margins above, small next to what a
larger model reaches); it is limited by the few million training tokens, not by the format.
Do not use it for anything but demonstrating and testing Rolescope.
"""
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
