"""End-to-end smoke of the CoRL trainer: every stage of train.py on 8 examples with 2 steps each,
then check_export.py on what it exported (HF greedy output = the exported ONNX graph's). About a
minute on 2 cores. It needs the torch/TRL virtual environment, which the test machines do not
install, so it is a command rather than part of `npm test`:

  .venv/bin/python scripts/corl/smoke.py

Exits non-zero, naming the failing step, if anything fails.
"""
import os
import subprocess
import sys
import tempfile

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def main():
    with tempfile.TemporaryDirectory() as tmp:
        work, out = os.path.join(tmp, "work"), os.path.join(tmp, "out")
        run = lambda *args: subprocess.run([sys.executable, *args], cwd=REPO, check=True)  # noqa: E731
        run("scripts/corl/train.py", "all", "--smoke", "--work-dir", work, "--out", out)
        for kind in ("thought", "estimator"):
            for name in (os.path.join("onnx", "model.onnx"), "training.json"):
                if not os.path.exists(os.path.join(out, kind, name)):
                    sys.exit(f"smoke: {kind}/{name} was not exported")
        run("scripts/corl/check_export.py", out, "--work-dir", work)
    print("smoke: every stage ran and both exports match their HF models")


if __name__ == "__main__":
    main()
