"""
Writes test/fixtures/untested-exports/restarting-positions/onnx/model.onnx: the SmolLM2 fixture's
fp32 graph (an Optimum export) with one defect of a kind hand-made exports have, for the load-time
check that compares context sharing with whole sequences:

  .venv/bin/python scripts/hub_fixtures/restarting_positions.py

The graph counts positions from the first token it is given, not from the start of the sequence:
position_ids minus their smallest value per row. A whole sequence starts at position 0, so it
scores exactly as the original graph; a response continued from a cached context is placed at
positions 0, 1, … again, so its scores are wrong. Nothing in the graph's inputs or operators
tells the two graphs apart: only running it both ways does.
"""
import os

import onnx
from onnx import helper

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SOURCE = os.path.join(REPO, "test", "fixtures", "hub-models", "smollm2", "onnx", "model.onnx")
OUT = os.path.join(REPO, "test", "fixtures", "untested-exports", "restarting-positions", "onnx", "model.onnx")


def main():
    model = onnx.load(SOURCE)
    graph = model.graph
    opset = next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    shifted = "restarting/position_ids"
    for node in graph.node:
        node.input[:] = [shifted if name == "position_ids" else name for name in node.input]
    axes = helper.make_tensor("restarting/axes", onnx.TensorProto.INT64, [1], [1])
    graph.initializer.append(axes)
    # ReduceMin takes its axes as an input from opset 18, as an attribute before.
    reduce_min = (
        helper.make_node("ReduceMin", ["position_ids", "restarting/axes"], ["restarting/first"], keepdims=1)
        if opset >= 18
        else helper.make_node("ReduceMin", ["position_ids"], ["restarting/first"], axes=[1], keepdims=1)
    )
    subtract = helper.make_node("Sub", ["position_ids", "restarting/first"], [shifted])
    nodes = [reduce_min, subtract, *graph.node]
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.checker.check_model(model)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    onnx.save(model, OUT)
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
