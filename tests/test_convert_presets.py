"""Conversion presets, target and size parsing, EdgeTPU op coverage: no TensorFlow needed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edgestyle.conversion import parse_size
from edgestyle.conversion.edgetpu import command_line, unsupported_ops
from edgestyle.conversion.presets import PRESETS_DIR, load_presets, resolve_targets
from edgestyle.conversion.quantize import describe_converter_error
from edgestyle.errors import EdgestyleError


def test_the_shipped_presets_come_from_the_package_data():
    """convert/*.json is the only copy: what load_presets returns is what the files say."""
    presets = load_presets()
    assert sorted(presets) == sorted(json.loads(p.read_text())["name"] for p in PRESETS_DIR.glob("*.json"))
    assert {"cpu-int8", "gpu-fp16", "edgetpu", "fp32"} <= set(presets)
    assert presets["cpu-int8"].precision == "int8" and presets["edgetpu"].edgetpu


def test_targets_by_alias_or_name_in_order_without_repeats():
    chosen = resolve_targets("gpu, cpu-int8,cpu,edgetpu")
    assert [p.name for p in chosen] == ["gpu-fp16", "cpu-int8", "edgetpu"]
    assert chosen[2].edgetpu and not chosen[0].edgetpu


@pytest.mark.parametrize("targets", ["", "cpu,npu"])
def test_bad_targets_are_one_line_errors(targets):
    with pytest.raises(EdgestyleError, match="choose from: .*cpu"):
        resolve_targets(targets)


def test_a_preset_folder_can_add_targets(tmp_path: Path):
    (tmp_path / "pi-int8.json").write_text(
        json.dumps(
            {"name": "pi-int8", "alias": "pi", "description": "x", "precision": "int8", "suffix": "_pi"}
        )
    )
    assert load_presets(tmp_path)["pi-int8"].suffix == "_pi"
    (tmp_path / "bad.json").write_text(
        json.dumps({**load_presets()["fp32"].__dict__, "name": "bad", "precision": "int4"})
    )
    with pytest.raises(EdgestyleError, match="precision must be one of"):
        load_presets(tmp_path)


def test_parse_size():
    assert parse_size("384x288") == (384, 288)
    with pytest.raises(EdgestyleError, match="WIDTHxHEIGHT"):
        parse_size("384")


def test_edgetpu_ops_and_command():
    assert unsupported_ops(["CONV_2D", "SHAPE", "ADD", "SHAPE", "SIN"]) == ["SHAPE", "SIN"]
    assert command_line(Path("m_int8.tflite"), Path(".")) == "edgetpu_compiler -s -o . m_int8.tflite"


def test_converter_errors_become_one_line_naming_op_and_layer():
    message = (
        '<unknown>:0: error: loc(fused["Sin:", callsite("functional_1/wobble_1/Sin@__inference_serve_12"))]): '
        "'tf.Sin' op is neither a custom op nor a flex op\n<unknown>:0: note: see current operation"
    )
    line = describe_converter_error(message, "int8")
    assert (
        "\n" not in line and "op tf.Sin in layer wobble" in line and "cannot be fully int8-quantized" in line
    )
