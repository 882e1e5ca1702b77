"""The model contract survives embedding in a real .tflite and reading back without TensorFlow."""

from __future__ import annotations

import numpy as np
import pytest

from edgestyle.contract import (
    ModelContract,
    StatePair,
    StyleSpec,
    TensorSpec,
    embed_contract,
    infer_contract,
    load_contract,
    read_embedded_contract,
    sidecar_path,
)
from edgestyle.errors import EdgestyleError
from edgestyle.tflite_file import read_metadata


def _contract() -> ModelContract:
    return ModelContract(
        frame_input=TensorSpec("frame", [1, 32, 32, 3], "uint8", 1 / 255, 0),
        frame_output=TensorSpec("stylized", [1, 32, 32, 3], "uint8", 1 / 256, 0),
        states=[StatePair("state_in_0", "state_out_0", [1, 8, 8, 4], "int8")],
        style=StyleSpec("style", 2, ["a", "b"], [[1.0, 0.0], [0.0, 1.0]], "a"),
        provenance={"macs_per_frame": 1234},
        stride=4,
    )


def test_json_round_trip() -> None:
    contract = _contract()
    again = ModelContract.from_json(contract.to_json())
    assert again == contract
    assert again.input_size == (32, 32)
    assert again.style is not None and again.style.vector("b") == [0.0, 1.0]
    with pytest.raises(EdgestyleError, match="unknown style 'c'"):
        again.style.vector("c")
    assert again.warp_state is False  # files from before the field pass their state on as it is
    contract.warp_state = True
    assert ModelContract.from_json(contract.to_json()).warp_state is True


def test_embedded_in_real_tflite(tmp_path, tiny_plain_tflite) -> None:
    original = tiny_plain_tflite.read_bytes()
    assert read_embedded_contract(original) is None
    embedded = embed_contract(original, _contract())
    assert read_embedded_contract(embedded) == _contract()
    # The converter's own metadata entries survive and the model still runs.
    assert set(read_metadata(original)) <= set(read_metadata(embedded))
    from ai_edge_litert.interpreter import Interpreter

    path = tmp_path / "m.tflite"
    path.write_bytes(embedded)
    interpreter = Interpreter(model_path=str(path))
    interpreter.allocate_tensors()
    detail = interpreter.get_input_details()[0]
    interpreter.set_tensor(detail["index"], np.zeros(detail["shape"], detail["dtype"]))
    interpreter.invoke()
    assert load_contract(path) == _contract()


def test_embedding_again_replaces_the_entry_instead_of_keeping_the_old_payload(tiny_plain_tflite) -> None:
    """Re-embedding a changed contract (say, one field added) must not grow the file by the old one."""
    first = embed_contract(tiny_plain_tflite.read_bytes(), _contract())
    changed = _contract()
    changed.baked_colour = [10.0, 20.0, 30.0]
    second = embed_contract(first, changed)
    assert read_embedded_contract(second) == changed
    assert len(second) - len(first) < 100, (len(first), len(second))  # only the new field's bytes
    assert embed_contract(second, changed) == second


def test_sidecar_used_when_nothing_embedded(tmp_path, tiny_plain_tflite) -> None:
    path = tmp_path / "plain.tflite"
    path.write_bytes(tiny_plain_tflite.read_bytes())
    assert load_contract(path) is None
    sidecar_path(path).write_text(_contract().to_json())
    assert load_contract(path) == _contract()


def test_corrupt_and_missing_models(tmp_path) -> None:
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"not a model at all")
    with pytest.raises(EdgestyleError, match="not a TFLite model"):
        load_contract(bad)
    truncated = tmp_path / "trunc.tflite"
    truncated.write_bytes(b"\xff\xff\xff\x00TFL3" + b"\x00" * 8)
    with pytest.raises(EdgestyleError, match="corrupt TFLite model"):
        load_contract(truncated)
    with pytest.raises(EdgestyleError, match="model file not found"):
        load_contract(tmp_path / "missing.tflite")


def test_infer_plain_image_model() -> None:
    inputs = [
        {"name": "style_bottleneck", "shape": [1, 1, 1, 100], "dtype": np.float32, "quantization": (0.0, 0)},
        {"name": "content_image", "shape": [1, 384, 384, 3], "dtype": np.float32, "quantization": (0.0, 0)},
    ]
    outputs = [{"name": "out", "shape": [1, 384, 384, 3], "dtype": np.float32, "quantization": (0.0, 0)}]
    contract = infer_contract(inputs, outputs, name="magenta")
    assert contract.inferred and contract.frame_input.name == "content_image"
    assert contract.style is not None and contract.style.dim == 100
    with pytest.raises(EdgestyleError, match="not an image-to-image model"):
        infer_contract(inputs[:1], outputs, name="x")
