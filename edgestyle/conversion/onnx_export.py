"""fp32 .tflite -> ONNX with the generator's tensors named by their signature keys.

tf2onnx's TFLite front end is used (``tf2onnx.convert.from_tflite``) because it reads the same
flatbuffer every other target is validated against, and needs no SavedModel support for the
TensorFlow of the day. Its graph inputs and outputs carry the flatbuffer's tensor names
(``serving_default_frame:0``, ``StatefulPartitionedCall:1``); they are renamed to the signature
keys (``frame``, ``state_in_0``, ``style``, ``stylized``, ``state_out_0``) so the ONNX model has
the same explicit state inputs and outputs, and the same contract, as the .tflite files.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from edgestyle.errors import EdgestyleError

OPSET = 17  # onnxruntime >= 1.14, TensorRT 8.6+ (JetPack 6) parse it
CONTRACT_KEY = "edgestyle_contract"  # metadata_props key; the runtime's OnnxModel reads it
NEEDS = "--targets onnx needs tf2onnx, onnx and onnxruntime: pip install 'edgestyle[onnx]'"


def _modules() -> tuple[Any, Any]:
    try:
        import onnx
        import tf2onnx
    except ImportError:
        raise EdgestyleError(NEEDS) from None
    return onnx, tf2onnx


def signature_names(tflite_path: Path) -> dict[str, str]:
    """Flatbuffer tensor name -> signature key, for every input and output of the model."""
    from edgestyle.runtime.backends.tflite import TFLiteModel

    model = TFLiteModel(tflite_path, delegate="cpu", threads=1)
    details = model.interpreter.get_input_details() + model.interpreter.get_output_details()
    name_of = {d["index"]: d["name"] for d in details}
    infos = list(model.inputs.values()) + list(model.outputs.values())
    return {name_of[info.index]: info.key for info in infos}


def rename_io(graph: Any, names: dict[str, str]) -> None:
    """Rename graph inputs/outputs (and every node edge using them) from tensor names to keys."""
    for value in list(graph.input) + list(graph.output) + list(graph.value_info):
        value.name = names.get(value.name, value.name)
    for node in graph.node:
        node.input[:] = [names.get(n, n) for n in node.input]
        node.output[:] = [names.get(n, n) for n in node.output]


def tflite_to_onnx(tflite_path: Path) -> Any:
    """The ONNX ModelProto of a float .tflite, I/O named by signature keys, checked by onnx."""
    onnx, tf2onnx = _modules()
    names = signature_names(tflite_path)
    logging.getLogger("tf2onnx").setLevel(
        logging.CRITICAL
    )  # optional rewriters log and skip; PSNR checks the result
    try:
        model, _ = tf2onnx.convert.from_tflite(str(tflite_path), opset=OPSET)
    except Exception as exc:  # tf2onnx raises whatever its handlers raise
        raise EdgestyleError(
            f"tf2onnx could not convert {tflite_path.name}: {str(exc).splitlines()[0]}"
        ) from None
    rename_io(model.graph, names)
    missing = set(names.values()) - {v.name for v in list(model.graph.input) + list(model.graph.output)}
    if missing:
        raise EdgestyleError(f"ONNX export lost the tensors {sorted(missing)}")
    onnx.checker.check_model(model)
    return model


def with_contract(model: Any, contract_json: str) -> bytes:
    """The serialized model with the contract in ``metadata_props`` (read back by onnxruntime)."""
    entries = [p for p in model.metadata_props if p.key != CONTRACT_KEY]
    del model.metadata_props[:]
    model.metadata_props.extend(entries)
    model.metadata_props.add(key=CONTRACT_KEY, value=contract_json)
    return model.SerializeToString()


def op_counts(model_bytes: bytes) -> dict[str, int]:
    """ONNX operator types and how often each occurs (the report's ops line)."""
    from collections import Counter

    onnx, _ = _modules()
    return dict(Counter(node.op_type for node in onnx.load_from_string(model_bytes).graph.node))


def convert_tflite_file(tflite_path: Path, out_path: Path) -> Path:
    """An existing float .tflite with our contract -> ``out_path`` (.onnx) plus its sidecar.

    For models converted before the ONNX target existed (the shipped default): the contract is
    the .tflite's own with ``target`` set to ``onnx``, and the runtime checks its tensor names
    against the ONNX graph when it loads the file.
    """
    from dataclasses import replace

    from edgestyle.atomic import atomic_path
    from edgestyle.contract import load_contract, sidecar_path

    contract = load_contract(tflite_path)
    if contract is None:
        raise EdgestyleError(f"{tflite_path} has no edgestyle contract to carry over")
    model = tflite_to_onnx(Path(tflite_path))
    contract = replace(contract, target="onnx")
    with atomic_path(out_path) as tmp:
        Path(tmp).write_bytes(with_contract(model, contract.to_json()))
    sidecar_path(out_path).write_text(contract.to_json())
    return out_path
