"""
The weights a graph file really computes with, read back out of it (after quantization), named
as the transformers model names its parameters, so that the float64 reference runs on exactly the
values the graph holds: 4-bit blocks (MatMulNBits, GatherBlockQuantized), dynamic int8
(MatMulInteger, DequantizeLinear), float16 initializers. Each is checked against the fp32 weights
it came from, within what its quantization allows, so a misread format fails here.
"""
import re

import numpy as np
import onnx
from onnx import numpy_helper


class Graph:
    def __init__(self, path):
        self.model = onnx.load(path)
        g = self.model.graph
        self.inits = {i.name: i for i in g.initializer}
        self.producer = {o: n for n in g.node for o in n.output}
        for n in g.node:
            if n.op_type == "Constant":
                self.inits[n.output[0]] = next(a.t for a in n.attribute if a.name == "value")

    def const(self, name):
        """A constant value: an initializer, or one computed from initializers (folded ops)."""
        if name in self.inits:
            return numpy_helper.to_array(self.inits[name]).astype(np.float64) \
                if numpy_helper.to_array(self.inits[name]).dtype.kind == "f" else numpy_helper.to_array(self.inits[name])
        node = self.producer[name]
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        if node.op_type == "Transpose":
            return np.transpose(self.const(node.input[0]), attrs.get("perm"))
        if node.op_type == "Reshape":
            return self.const(node.input[0]).reshape(self.const(node.input[1]))
        if node.op_type in ("Cast", "Identity"):
            return self.const(node.input[0]).astype(np.float64)
        if node.op_type == "DequantizeLinear":
            x = self.const(node.input[0]).astype(np.float64)
            zp = self.const(node.input[2]).astype(np.float64) if len(node.input) > 2 and node.input[2] else 0.0
            return (x - zp) * self.const(node.input[1])
        raise KeyError(f"{name}: {node.op_type} is not a constant this reader folds")

    def is_const(self, name):
        try:
            self.const(name)
            return True
        except KeyError:
            return False

    def matmul_weights(self):
        """
        {node name without its quantization suffix: ([K, N] float64, how its input is quantized)}
        for every MatMul with constant weights. The second is None (float input), ("dynamic-uint8",
        weight scale, signed weights) for DynamicQuantizeLinear + MatMulInteger, or ("block-int8",
        block size) for MatMulNBits computing at accuracy level 4 (int8 activations per block).
        """
        out = {}
        for n in self.model.graph.node:
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
            base = re.sub(r"(_Q4|_quant)$", "", n.name)
            if n.op_type == "MatMul" and self.is_const(n.input[1]):
                out[base] = (self.const(n.input[1]), None)
            elif n.op_type == "MatMulInteger":
                quantized = n.input[1]
                scale = self.const(re.sub(r"_quantized$", "_scale", quantized))
                zp = self.const(n.input[3]).astype(np.float64) if len(n.input) > 3 else 0.0
                signed = self.const(quantized).dtype == np.int8
                out[base] = ((self.const(quantized).astype(np.float64) - zp) * scale,
                             ("dynamic-uint8", float(scale), bool(signed)))
            elif n.op_type == "MatMulNBits":
                out[base] = (dequantize_blocks(
                    self.const(n.input[1]), self.const(n.input[2]),
                    self.const(n.input[3]) if len(n.input) > 3 and n.input[3] else None,
                    attrs["N"], attrs["K"], attrs["block_size"], attrs["bits"]).T,
                    ("block-int8", attrs["block_size"]) if attrs.get("accuracy_level", 0) == 4 else None)
        return out

    def embedding(self, hidden):
        """The embedding matrix [V, hidden] the graph gathers rows of (after dequantization)."""
        for n in self.model.graph.node:
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
            if n.op_type == "Gather" and n.input[1] == "input_ids":
                data = self.const(n.input[0])
                consumer = [m for m in self.model.graph.node if n.output[0] in m.input]
                # Int8 rows dequantized after the gather (dynamic quantization of the embedding).
                if consumer and consumer[0].op_type == "DequantizeLinear":
                    d = consumer[0]
                    zp = self.const(d.input[2]).astype(np.float64) if len(d.input) > 2 else 0.0
                    return (data.astype(np.float64) - zp) * self.const(d.input[1])
                return data.astype(np.float64)
            if n.op_type == "GatherBlockQuantized" and n.input[1] == "input_ids":
                data = self.const(n.input[0])
                rows = data.shape[0]
                scales = self.const(n.input[2])
                zp = self.const(n.input[3]) if len(n.input) > 3 and n.input[3] else None
                return dequantize_blocks(data.reshape(rows, scales.shape[-1], -1), scales, zp, rows, hidden,
                                         attrs["block_size"], attrs.get("bits", 4))
        raise KeyError("no embedding Gather on input_ids")


def dequantize_blocks(packed, scales, zero_points, n, k, block, bits):
    """[N, K] from 4-bit values packed two to a byte (low nibble first), blocks of `block` along K."""
    if bits != 4:
        raise ValueError(f"{bits}-bit blocks are not read here")
    packed = np.asarray(packed, dtype=np.uint8).reshape(n, -1)
    q = np.stack([packed & 0x0F, packed >> 4], axis=-1).reshape(n, -1).astype(np.float64)
    blocks = q.shape[1] // block
    scales = np.asarray(scales, dtype=np.float64).reshape(n, blocks)
    if zero_points is None:
        zp = np.full((n, blocks), 8.0)
    else:
        zpk = np.asarray(zero_points, dtype=np.uint8).reshape(n, -1)
        zp = np.stack([zpk & 0x0F, zpk >> 4], axis=-1).reshape(n, -1)[:, :blocks].astype(np.float64)
    w = (q.reshape(n, blocks, block) - zp[:, :, None]) * scales[:, :, None]
    return w.reshape(n, blocks * block)[:, :k]


def _torch_name(node_name, config):
    """The transformers parameter(s) a MatMul node computes with: [(name, rows of the fused [out, in])]."""
    m = re.match(r"^/model/layers\.(\d+)/(self_attn|attn|mlp)/(\w+)/MatMul$", node_name)
    if m:
        layer, block, proj = m.groups()
        block = "mlp" if block == "mlp" else "self_attn"
        prefix = f"model.layers.{layer}.{block}"
        if proj == "qkv_proj":
            hd = config.head_dim
            q, kv = config.num_attention_heads * hd, config.num_key_value_heads * hd
            return [(f"{prefix}.q_proj.weight", slice(0, q)), (f"{prefix}.k_proj.weight", slice(q, q + kv)),
                    (f"{prefix}.v_proj.weight", slice(q + kv, q + 2 * kv))]
        if proj == "gate_up_proj":
            i = config.intermediate_size
            return [(f"{prefix}.gate_proj.weight", slice(0, i)), (f"{prefix}.up_proj.weight", slice(i, 2 * i))]
        return [(f"{prefix}.{proj}.weight", slice(None))]
    if node_name == "/lm_head/MatMul":
        return [("lm_head.weight", slice(None))]
    raise KeyError(f"no transformers parameter for MatMul node {node_name}")


def effective_state(path, base_state, config, precision):
    """
    The checkpoint's state dict with every matrix the graph holds replaced by the graph's own
    values (float64), and {linear layer: how the graph quantizes its input} (see matmul_weights). Other parameters (norms, biases) are the checkpoint's, rounded to float16 for
    the float16 precisions. lm_head and the embedding are separate entries: a graph may quantize
    one and not the other.
    """
    graph = Graph(path)
    half = precision in ("fp16", "q4f16")
    state = {}
    for name, value in base_state.items():
        v = value.astype(np.float16).astype(np.float64) if half else value.astype(np.float64)
        state[name] = v
    replaced = set()

    def put(name, value, tolerance):
        expected = base_state[name].astype(np.float64)
        if value.shape != expected.shape:
            raise ValueError(f"{path}: {name} is {value.shape} in the graph, {expected.shape} in the checkpoint")
        err = np.abs(value - expected).max()
        if err > tolerance * np.abs(expected).max() + 1e-12:
            raise ValueError(f"{path}: {name} differs from the checkpoint by {err:.3g} (format misread?)")
        state[name] = value
        replaced.add(name)

    # What each precision's rounding allows, relative to the largest weight of the matrix.
    tol = {"fp32": 1e-7, "fp16": 1e-3, "q8": 1 / 127, "q4": 1 / 7, "q4f16": 1 / 7}[precision] * 1.01
    quantized_inputs = {}
    for node, (w, arithmetic) in graph.matmul_weights().items():
        for name, rows in _torch_name(node, config):
            put(name, w.T[rows], tol)
            if arithmetic:
                quantized_inputs[name.removesuffix(".weight")] = arithmetic
    embed = graph.embedding(config.hidden_size)
    put("model.embed_tokens.weight", embed, tol)
    if "lm_head.weight" not in replaced:
        # Tied and read through a Transpose of the embedding: the same values.
        put("lm_head.weight", embed, tol)
    missing = [n for n, v in base_state.items() if v.ndim == 2 and n not in replaced]
    if missing:
        raise ValueError(f"{path}: no graph values found for {missing}")
    return state, quantized_inputs
