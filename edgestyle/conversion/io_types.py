"""Per-tensor I/O surgery on a full-integer .tflite: uint8 frames, int8 states with equal quantization.

The TF converter applies one ``inference_input_type`` to every input, so we convert with float
I/O (every input enters through a QUANTIZE op, every output leaves through a DEQUANTIZE op) and
then edit the flatbuffer boundary by boundary:

* ``frame`` becomes a uint8 input with scale 1/255, zero point 0 (camera bytes pass straight in);
  its QUANTIZE op stays and requantizes uint8 -> the int8 the network was calibrated for.
* ``stylized``'s DEQUANTIZE becomes a QUANTIZE to uint8 (1/255, 0).
* ``state_out_k`` loses its DEQUANTIZE: the int8 tensor itself is the output.
* ``state_in_k`` takes ``state_out_k``'s exact scale and zero point, so the runtime feeds the
  state back byte for byte; when the network wants other parameters inside, the QUANTIZE op
  stays as an int8 -> int8 requantization (cheap: one small tensor), otherwise it is removed.
* ``style`` (if present) loses its QUANTIZE: an int8 input like the rest, so the whole graph is
  integer (the EdgeTPU compiler maps nothing that starts from float).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from edgestyle.errors import EdgestyleError

FRAME_SCALE = 1.0 / 255.0


@dataclass
class Quant:
    """Affine int8/uint8 parameters of one tensor (real = scale * (q - zero_point))."""

    scale: float
    zero_point: int


def _schema() -> Any:
    from ai_edge_litert import schema_py_generated as schema

    return schema


def _decode(name: Any) -> str:
    return name.decode("utf-8") if isinstance(name, bytes) else str(name)


class _Graph:
    """The main subgraph of a ModelT with the lookups the surgery needs."""

    def __init__(self, model_bytes: bytes):
        self.schema = _schema()
        s = self.schema
        self.model = s.ModelT.InitFromObj(s.Model.GetRootAsModel(model_bytes, 0))
        self.sg = self.model.subgraphs[0]
        if not self.model.signatureDefs:
            raise EdgestyleError("converted model has no serving signature; cannot map tensors by name")
        self.sig = self.model.signatureDefs[0]

    def op_name(self, op: Any) -> str:
        code = self.model.operatorCodes[op.opcodeIndex]
        value = max(int(code.builtinCode or 0), int(code.deprecatedBuiltinCode or 0))
        names = {v: k for k, v in vars(self.schema.BuiltinOperator).items() if not k.startswith("_")}
        return names.get(value, str(value))

    def opcode_index(self, name: str) -> int:
        value = getattr(self.schema.BuiltinOperator, name)
        for i, code in enumerate(self.model.operatorCodes):
            if max(int(code.builtinCode or 0), int(code.deprecatedBuiltinCode or 0)) == value:
                return i
        code = self.schema.OperatorCodeT()
        code.builtinCode, code.deprecatedBuiltinCode, code.version = value, min(value, 127), 1
        self.model.operatorCodes.append(code)
        return len(self.model.operatorCodes) - 1

    def sig_input(self, key: str) -> Any:
        return self._sig_entry(self.sig.inputs, key)

    def sig_output(self, key: str) -> Any:
        return self._sig_entry(self.sig.outputs, key)

    @staticmethod
    def _sig_entry(entries: list[Any], key: str) -> Any:
        for entry in entries or []:
            if _decode(entry.name) == key:
                return entry
        raise EdgestyleError(f"converted model has no signature tensor {key!r}")

    def consumers(self, tensor: int) -> list[Any]:
        return [op for op in self.sg.operators if tensor in list(op.inputs)]

    def producer(self, tensor: int) -> Any | None:
        return next((op for op in self.sg.operators if tensor in list(op.outputs)), None)

    def quant(self, tensor: int) -> Quant:
        q = self.sg.tensors[tensor].quantization
        if q is None or q.scale is None or len(q.scale) != 1:
            raise EdgestyleError(
                f"tensor {_decode(self.sg.tensors[tensor].name)} is not per-tensor quantized"
            )
        return Quant(float(q.scale[0]), int(q.zeroPoint[0]))

    def set_type(self, tensor: int, dtype: str, quant: Quant) -> None:
        t = self.sg.tensors[tensor]
        t.type = getattr(self.schema.TensorType, dtype.upper())
        q = self.schema.QuantizationParametersT()
        q.scale = np.array([quant.scale], dtype=np.float32)
        q.zeroPoint = np.array([quant.zero_point], dtype=np.int64)
        t.quantization = q

    def boundary_op(self, tensor: int, op_name: str, as_input: bool) -> Any:
        """The single QUANTIZE after an input / DEQUANTIZE before an output, or a clear error."""
        ops = self.consumers(tensor) if as_input else [self.producer(tensor)]
        ops = [op for op in ops if op is not None]
        if len(ops) != 1 or self.op_name(ops[0]) != op_name:
            found = ", ".join(self.op_name(op) for op in ops) or "nothing"
            raise EdgestyleError(
                f"unexpected converter output at {_decode(self.sg.tensors[tensor].name)}: "
                f"expected one {op_name}, found {found}"
            )
        return ops[0]

    def rewire_input(self, old: int, new: int, key: str) -> None:
        self.sg.inputs = [new if int(i) == old else int(i) for i in self.sg.inputs]
        self.sig_input(key).tensorIndex = new

    def rewire_output(self, old: int, new: int, key: str) -> None:
        self.sg.outputs = [new if int(i) == old else int(i) for i in self.sg.outputs]
        self.sig_output(key).tensorIndex = new

    def drop_dequantize(self, op: Any, float_tensor: int, int_tensor: int) -> None:
        """Remove a DEQUANTIZE unless the graph still reads its float output (SHAPE ops are moved over)."""
        for consumer in self.consumers(float_tensor):
            if self.op_name(consumer) == "SHAPE":
                consumer.inputs = [int_tensor if int(i) == float_tensor else int(i) for i in consumer.inputs]
        if not self.consumers(float_tensor):
            self.remove(op)

    def remove(self, op: Any) -> None:
        self.sg.operators = [o for o in self.sg.operators if o is not op]

    def to_bytes(self) -> bytes:
        from edgestyle.tflite_file import pack_model

        return pack_model(self.model)


def set_integer_io(
    model_bytes: bytes,
    frame_in: str,
    frame_out: str,
    state_pairs: list[tuple[str, str]],
    other_inputs: list[str] = (),  # type: ignore[assignment]
) -> bytes:
    """Rewrite a float-I/O full-int8 model to uint8 frames, int8 states (equal pairs) and int8 extras."""
    g = _Graph(model_bytes)
    frame_quant = Quant(FRAME_SCALE, 0)

    src = g.sig_input(frame_in).tensorIndex
    g.boundary_op(src, "QUANTIZE", as_input=True)
    g.set_type(src, "uint8", frame_quant)

    dst = g.sig_output(frame_out).tensorIndex
    op = g.boundary_op(dst, "DEQUANTIZE", as_input=False)
    op.opcodeIndex = g.opcode_index("QUANTIZE")
    op.builtinOptionsType, op.builtinOptions = 0, None
    g.set_type(dst, "uint8", frame_quant)

    for state_in, state_out in state_pairs:
        out_float = g.sig_output(state_out).tensorIndex
        dequant = g.boundary_op(out_float, "DEQUANTIZE", as_input=False)
        out_int8 = int(dequant.inputs[0])
        g.drop_dequantize(dequant, out_float, out_int8)
        g.rewire_output(out_float, out_int8, state_out)
        pair_quant = g.quant(out_int8)

        in_float = g.sig_input(state_in).tensorIndex
        quantize = g.boundary_op(in_float, "QUANTIZE", as_input=True)
        inner = int(quantize.outputs[0])
        if g.quant(inner) == pair_quant:
            g.remove(quantize)
            g.rewire_input(in_float, inner, state_in)
        else:  # keep the op as an int8 -> int8 requantization into what the network was calibrated for
            g.set_type(in_float, "int8", pair_quant)

    for key in other_inputs:
        in_float = g.sig_input(key).tensorIndex
        quantize = g.boundary_op(in_float, "QUANTIZE", as_input=True)
        g.remove(quantize)
        g.rewire_input(in_float, int(quantize.outputs[0]), key)
    return g.to_bytes()


def op_names(model_bytes: bytes) -> list[str]:
    """Builtin op names in execution order (custom ops by their custom code)."""
    g = _Graph(model_bytes)
    names = []
    for op in g.sg.operators:
        code = g.model.operatorCodes[op.opcodeIndex]
        name = g.op_name(op)
        names.append(_decode(code.customCode) if name == "CUSTOM" and code.customCode else name)
    return names


def float_ops(model_bytes: bytes) -> list[tuple[str, str]]:
    """(op, layer) of every op left computing in float inside a full-int8 conversion.

    The converter silently keeps ops without an int8 kernel in float between a DEQUANTIZE and a
    QUANTIZE; the boundary QUANTIZE/DEQUANTIZE ops at the model's own inputs and outputs are fine.
    """
    g = _Graph(model_bytes)
    float32 = g.schema.TensorType.FLOAT32
    found = []
    for op in g.sg.operators:
        name = g.op_name(op)
        if name in ("QUANTIZE", "DEQUANTIZE"):
            continue
        tensors = [int(i) for i in list(op.inputs) + list(op.outputs) if int(i) >= 0]
        if any(g.sg.tensors[i].type == float32 for i in tensors):
            found.append((name, layer_name(_decode(g.sg.tensors[int(op.outputs[0])].name))))
    return found


def layer_name(location: str) -> str:
    """``functional_1/res0_a_dw_1/depthwise;...`` -> ``res0_a_dw``: the Keras layer behind a tensor."""
    parts = location.split(";")[0].split("@")[0].split("/")
    name = parts[1] if len(parts) > 2 else parts[0]
    return re.sub(r"_\d+$", "", name)
