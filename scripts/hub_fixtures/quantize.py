"""
The precisions, made as transformers.js's conversion scripts (scripts/quantize.py there) make them,
from the fp32 graph, with onnxruntime's quantizers:

- q8 (`model_quantized.onnx`): dynamic int8, every op IntegerOps covers (MatMul and the embedding
  Gather), per tensor, uint8 activations; uint8 weights where the graph has GroupQueryAttention.
- q4 (`model_q4.onnx`): MatMulNBits, 4-bit blocks of 32, symmetric.
- fp16 (`model_fp16.onnx`): float16 weights and compute, float32 inputs and outputs kept.
- q4f16 (`model_q4f16.onnx`): q4, then fp16.

One difference: transformers.js runs its own copy of onnxconverter-common's float16 converter and
onnxslim afterwards; here the converter onnxruntime ships (the same algorithm) is used as it is.
"""
import onnx
from onnxruntime.quantization import QuantType, QuantizationMode
from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer
from onnxruntime.quantization.onnx_quantizer import ONNXQuantizer
from onnxruntime.quantization.registry import IntegerOpsRegistry
from onnxruntime.transformers.float16 import convert_float_to_float16

FILES = {"fp32": "model.onnx", "fp16": "model_fp16.onnx", "q8": "model_quantized.onnx",
         "q4": "model_q4.onnx", "q4f16": "model_q4f16.onnx"}
UINT8_WEIGHT_OPS = {"Conv", "GroupQueryAttention", "MultiHeadAttention"}


def ops(model):
    return {n.op_type for n in model.graph.node}


def q8(model):
    weight = QuantType.QUInt8 if ops(model) & UINT8_WEIGHT_OPS else QuantType.QInt8
    quantizer = ONNXQuantizer(
        model, False, False, mode=QuantizationMode.IntegerOps, static=False, weight_qType=weight,
        activation_qType=QuantType.QUInt8, tensors_range=None, nodes_to_quantize=[], nodes_to_exclude=[],
        op_types_to_quantize=set(IntegerOpsRegistry.keys()),
        extra_options=dict(EnableSubgraph=True, MatMulConstBOnly=True),
    )
    quantizer.quantize_model()
    return quantizer.model.model


def q4(model):
    quantizer = MatMulNBitsQuantizer(model=model, block_size=32, is_symmetric=True, accuracy_level=None)
    quantizer.process()
    return quantizer.model.model


def fp16(model):
    return convert_float_to_float16(model, keep_io_types=True)


def make(precision, fp32_path, out_path):
    model = onnx.load(fp32_path)
    if precision == "q8":
        model = q8(model)
    elif precision == "q4":
        model = q4(model)
    elif precision == "fp16":
        model = fp16(model)
    elif precision == "q4f16":
        model = fp16(q4(model))
    onnx.save(model, out_path)
