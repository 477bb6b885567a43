"""
Builds the faithful Hub-format fixtures in test/fixtures/hub-models/ (see the README there):

  .venv/bin/python scripts/hub_fixtures/build.py [--family NAME ...] [--stage STAGE ...]

Stages, each resumable (a stage redoes only its own work): checkpoint (tokenizer and random
weights), export (Optimum, or onnxruntime-genai's model builder in .venv-genai), quantize (as
transformers.js's conversion scripts do), reference (torch float64 log-probs of the test cases).

  .venv/bin/python scripts/hub_fixtures/build.py --real-size [--family NAME ...] [--stage STAGE ...]

builds the real-size stand-ins of real_size.py instead (exact Hub configurations, random weights)
in .cache/real-size/work/<name>, and writes loadable model folders in the transformers.js layout
to .cache/real-size/models/<name>: its last stage, folder, replaces reference (no float64 pass).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from families import BY_NAME, FAMILIES  # noqa: E402
import tokenizers_src  # noqa: E402

REPO = tokenizers_src.REPO
WORK = os.path.join(REPO, "scripts", ".work", "hub-fixtures")
OUT = os.path.join(REPO, "test", "fixtures", "hub-models")
STAGES = ["checkpoint", "export", "quantize", "reference"]
REAL_SIZE_ROOT = os.path.join(REPO, ".cache", "real-size")
REAL_SIZE_STAGES = ["checkpoint", "export", "quantize", "folder"]


def paths(family, real_size=False):
    work_root = os.path.join(REAL_SIZE_ROOT, "work") if real_size else WORK
    work = os.path.join(work_root, family.name)
    return {
        "work": work,
        "hf": os.path.join(work, "hf"),
        "standin": os.path.join(work_root, "standin-tokenizer"),
        "onnx": os.path.join(work, "onnx"),
        "out": os.path.join(REAL_SIZE_ROOT, "models", family.name) if real_size else os.path.join(OUT, family.name),
        "real_size": real_size,
    }


def stage_checkpoint(family, p):
    from checkpoint import build_checkpoint

    if "train" in family.tokenizer and not os.path.exists(os.path.join(p["standin"], "tokenizer.json")):
        os.makedirs(p["standin"], exist_ok=True)
        committed = os.path.join(OUT, "smollm2")
        if p["real_size"] and os.path.exists(os.path.join(committed, "tokenizer.json")):
            # The tiny fixture's stand-in, as committed (training it again needs the data sets).
            import shutil

            for name in ("tokenizer.json", "tokenizer_config.json"):
                shutil.copyfile(os.path.join(committed, name), os.path.join(p["standin"], name))
        else:
            tokenizers_src.train_standin(family.tokenizer["train"], p["standin"])
    build_checkpoint(family, p["hf"])
    tokenizers_src.assemble(family, p["hf"], p["standin"])


def stage_export(family, p):
    import shutil
    import subprocess

    shutil.rmtree(p["onnx"], ignore_errors=True)
    if family.exporter == "optimum":
        from optimum.exporters.onnx import main_export

        main_export(p["hf"], output=p["onnx"], task="text-generation-with-past", device="cpu",
                    do_validation=False)
    else:
        for precision, args in GENAI_PRECISIONS.items():
            if precision not in family.precisions:
                continue
            out = os.path.join(p["work"], f"genai-{precision}")
            shutil.rmtree(out, ignore_errors=True)
            subprocess.run([sys.executable, "-m", "onnxruntime_genai.models.builder", "-i", p["hf"], "-o", out,
                            "-c", os.path.join(p["work"], "genai-cache"), *args], check=True)
        os.makedirs(p["onnx"], exist_ok=True)


# The model builder's own precisions. Its WebGPU builds (fp32, fp16, and int4 with fp16
# activations: q4f16) take position_ids and rotate with RotaryEmbedding nodes; its CPU int4 build
# (q4: fp32 inputs and outputs, int8 activations inside MatMulNBits) rotates inside
# GroupQueryAttention and takes no position_ids. q8 is made from the fp32 graph, as
# transformers.js's conversion scripts make it.
GENAI_PRECISIONS = {
    "fp32": ["-p", "fp32", "-e", "webgpu"],
    "fp16": ["-p", "fp16", "-e", "webgpu"],
    "q4": ["-p", "int4", "-e", "cpu"],
    "q4f16": ["-p", "int4", "-e", "webgpu"],
}


def stage_quantize(family, p):
    import shutil

    from quantize import FILES, make

    out_onnx = os.path.join(p["out"], "onnx")
    os.makedirs(out_onnx, exist_ok=True)
    for precision in family.precisions:
        target = os.path.join(out_onnx, FILES[precision])
        if family.exporter == "genai" and precision in GENAI_PRECISIONS:
            # The builder writes its weights beside the graph (model.onnx.data); these are small
            # enough for one file, as transformers.js loads by default.
            import onnx

            onnx.save(onnx.load(os.path.join(p["work"], f"genai-{precision}", "model.onnx")), target)
            print(f"   {FILES[precision]}: {os.path.getsize(target) / 2**20:.1f} MiB", flush=True)
            continue
        fp32 = (os.path.join(p["onnx"], "model.onnx") if family.exporter == "optimum"
                else os.path.join(p["work"], "genai-fp32", "model.onnx"))
        if precision == "fp32":
            shutil.copyfile(fp32, target)
        else:
            make(precision, fp32, target)
        print(f"   {FILES[precision]}: {os.path.getsize(target) / 2**20:.1f} MiB", flush=True)


def stage_reference(family, p):
    import json
    import shutil

    from reference import write_reference

    for name in ("config.json", "generation_config.json"):
        shutil.copyfile(os.path.join(p["hf"], name), os.path.join(p["out"], name))
    write_reference(family, p["hf"], p["out"])
    from reference import ort_check

    ort_check(family, p["out"])
    fixture = {
        "family": family.name,
        "standsFor": family.stands_for,
        "exporter": family.exporter,
        "tokenizer": family.tokenizer,
        "precisions": list(family.precisions),
    }
    if "train" in family.tokenizer:
        for name in ("tokenizer.json", "tokenizer_config.json"):
            shutil.copyfile(os.path.join(p["hf"], name), os.path.join(p["out"], name))
    elif family.chat_template:
        fixture["chatTemplate"] = tokenizers_src.chat_template(family)
    with open(os.path.join(p["out"], "fixture.json"), "w", encoding="utf-8") as f:
        json.dump(fixture, f, ensure_ascii=False, indent=2)
        f.write("\n")


def stage_folder(family, p):
    """A real-size build's model folder: config, generation config, tokenizer (with the family's
    chat template, from the checkpoint stage) beside the onnx/ the quantize stage wrote."""
    import json
    import shutil

    for name in ("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json"):
        shutil.copyfile(os.path.join(p["hf"], name), os.path.join(p["out"], name))
    with open(os.path.join(p["out"], "real-size.json"), "w", encoding="utf-8") as f:
        json.dump({"name": family.name, "standsFor": family.stands_for, "exporter": family.exporter,
                   "seed": family.seed, "precisions": list(family.precisions)}, f, indent=2)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(d, n)) for d, _, files in os.walk(p["out"]) for n in files)
    print(f"   {p['out']}: {total / 2**20:.1f} MiB", flush=True)


def main():
    from real_size import REAL_BY_NAME, REAL_SIZE

    parser = argparse.ArgumentParser()
    parser.add_argument("--real-size", action="store_true",
                        help="build real_size.py's families into .cache/real-size/ instead of the tiny fixtures")
    parser.add_argument("--family", nargs="*", choices=[*BY_NAME, *REAL_BY_NAME])
    parser.add_argument("--stage", nargs="*", choices=sorted({*STAGES, *REAL_SIZE_STAGES}))
    parser.add_argument("--precision", nargs="*", choices=["fp32", "fp16", "q8", "q4", "q4f16"],
                        help="these precisions instead of the family's own list")
    args = parser.parse_args()
    table = REAL_BY_NAME if args.real_size else BY_NAME
    stages = REAL_SIZE_STAGES if args.real_size else STAGES
    names = args.family or [f.name for f in (REAL_SIZE if args.real_size else FAMILIES)]
    for name in names:
        if name not in table:
            parser.error(f"--family {name} is not a real-size family" if args.real_size
                         else f"--family {name} is a real-size family (add --real-size)")
    for stage in args.stage or []:
        if stage not in stages:
            parser.error(f"--stage {stage} is not one of {', '.join(stages)}")
    for name in names:
        family = table[name]
        if args.precision:
            import dataclasses

            family = dataclasses.replace(family, precisions=tuple(args.precision))
        p = paths(family, args.real_size)
        for stage in stages:
            if args.stage and stage not in args.stage:
                continue
            print(f"== {name}: {stage}", flush=True)
            globals()[f"stage_{stage}"](family, p)


if __name__ == "__main__":
    main()
