"""Bundles an exported CoRL pair with the app:

  .venv/bin/python scripts/corl/bundle.py OUT [--work-dir .cache/corl]

OUT is the folder `train.py export --out OUT` wrote. Checks that the ONNX graphs decode as the
trained models do (check_export.py), writes the fixture CI checks the bundled models against
(write_model_fixture.py), copies OUT/thought and OUT/estimator to public/models/rolescope-corl-*
and rebuilds public/models/manifest.json.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import card  # noqa: E402
from hf_model import REPO  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--work-dir", default=os.path.join(REPO, ".cache", "corl"))
    a = p.parse_args()
    py = sys.executable
    subprocess.run([py, os.path.join(HERE, "check_export.py"), a.out, "--work-dir", a.work_dir], check=True)
    subprocess.run([py, os.path.join(HERE, "write_model_fixture.py"), a.out, "--work-dir", a.work_dir], check=True)
    for kind in ("thought", "estimator"):
        dst = os.path.join(REPO, "public", "models", f"rolescope-corl-{kind}")
        shutil.rmtree(dst, ignore_errors=True)
        shutil.copytree(os.path.join(a.out, kind), dst)
        with open(os.path.join(dst, "training.json"), encoding="utf-8") as f:  # the card as card.py writes it now
            doc = json.load(f)
        with open(os.path.join(dst, "README.md"), "w", encoding="utf-8") as f:
            f.write(card.model_card(doc, f"rolescope-corl-{kind}"))
        print(f"copied {a.out}/{kind} -> {dst}")
    subprocess.run(["npx", "tsx", "scripts/build-model-manifest.ts"], cwd=REPO, check=True)


if __name__ == "__main__":
    main()
