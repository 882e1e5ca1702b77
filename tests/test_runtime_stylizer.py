"""The stateful stylizer on a real tiny int8 model: state carry, scene cuts, styles, plain models."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from edgestyle.errors import EdgestyleError
from edgestyle.runtime.interpreter import (
    TFLiteModel,
    frame_to_tensor,
    from_tensor,
    tensor_to_frame,
    to_tensor,
)
from edgestyle.runtime.stylizer import Stylizer, cycle_weights, parse_blend
from edgestyle.synthetic import moving_scene

DEV_MODEL = Path(__file__).parent / "data" / "tiny_stateful_dev.tflite"


@pytest.fixture(scope="module")
def scene() -> list[np.ndarray]:
    return moving_scene(12, 64, 48, seed=0)


def test_contract_is_read_from_the_model():
    s = Stylizer(DEV_MODEL)
    assert s.stateful and s.input_size == (32, 32)
    assert s.style_names == ["a", "b"] and not s.contract.inferred


def test_output_has_the_input_size_and_layout(scene):
    s = Stylizer(DEV_MODEL)
    out = s.process(scene[0])
    assert out.shape == scene[0].shape and out.dtype == np.uint8
    assert s.process(cv2.cvtColor(scene[1], cv2.COLOR_BGR2GRAY)).shape == scene[1].shape


def manual_loop(model_path: Path, frames: list[np.ndarray], style_vector: list[float]) -> list[np.ndarray]:
    """The state loop written out by hand against TFLiteModel, as a reference for the Stylizer."""
    m = TFLiteModel(model_path)
    fi, so, si = m.inputs["frame"], m.outputs["state_out_0"], m.inputs["state_in_0"]
    state = to_tensor(np.zeros(si.shape, np.float32), si)
    style = to_tensor(
        np.asarray(style_vector, np.float32).reshape(m.inputs["style"].shape), m.inputs["style"]
    )
    outs = []
    for f in frames:
        m.set("frame", frame_to_tensor(cv2.cvtColor(f, cv2.COLOR_BGR2RGB), fi)[None])
        m.set("state_in_0", state)
        m.set("style", style)
        m.invoke()
        state = to_tensor(from_tensor(m.get("state_out_0"), so), si)
        outs.append(tensor_to_frame(m.get("stylized")[0], m.outputs["stylized"]).copy())
    return outs


@pytest.mark.parametrize("which", ["dev", "shared"])
def test_state_is_carried_like_a_manual_loop(scene, which, tiny_stateful_tflite):
    """Both fixtures: ours requantizes the state (pair scales differ), the converter's copies it."""
    path = DEV_MODEL if which == "dev" else tiny_stateful_tflite
    # The raw output (the hold and the stabilizer: test_runtime_hold.py, test_runtime_stabilize.py).
    stateful = Stylizer(path, style="a", hold=0, stabilize=0)
    small = [cv2.resize(f, stateful.input_size, interpolation=cv2.INTER_AREA) for f in scene]
    got = [stateful.step(cv2.cvtColor(f, cv2.COLOR_BGR2RGB)) for f in small]
    expected = manual_loop(path, small, stateful.contract.style.vector("a"))
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_array_equal(a, b)
    stateless = Stylizer(path, style="a", hold=0, stabilize=0)
    fresh = []
    for f in small:
        stateless.reset()
        fresh.append(stateless.step(cv2.cvtColor(f, cv2.COLOR_BGR2RGB)))
    np.testing.assert_array_equal(fresh[0], got[0])  # same start, then the carried state shows
    assert max(np.abs(a.astype(int) - b).max() for a, b in zip(fresh[1:], got[1:], strict=True)) > 0


def test_scene_cut_resets_the_state(scene):
    other = moving_scene(3, 64, 48, seed=7)
    cutting = Stylizer(DEV_MODEL)
    blind = Stylizer(DEV_MODEL, scene_cut_threshold=0)
    for f in scene:
        cutting.process(f)
        blind.process(f)
    assert cutting.resets == 1  # a pan is not a cut
    after_cut = cutting.process(other[0])
    assert cutting.resets == 2
    np.testing.assert_array_equal(after_cut, Stylizer(DEV_MODEL).process(other[0]))
    assert np.abs(blind.process(other[0]).astype(int) - after_cut).max() > 0


def test_styles_switch_and_blend_live(scene):
    s = Stylizer(DEV_MODEL)
    outs = {}
    for choice in ("a", "b", "a=1,b=0"):
        s.set_style(parse_blend(choice) if "=" in choice else choice)
        s.reset()
        outs[choice] = s.process(scene[0])
    np.testing.assert_array_equal(outs["a"], outs["a=1,b=0"])
    assert np.abs(outs["a"].astype(int) - outs["b"]).max() > 0
    assert s.style_weights == {"a": 1.0, "b": 0.0}


def test_style_errors_are_one_line():
    with pytest.raises(EdgestyleError, match="unknown style 'zz'"):
        Stylizer(DEV_MODEL, style="zz")
    with pytest.raises(EdgestyleError, match="NAME=WEIGHT"):
        parse_blend("a=lots")
    with pytest.raises(EdgestyleError, match="style vector has 3 values"):
        Stylizer(DEV_MODEL, style=[1.0, 0.0, 0.0])


def test_plain_model_runs_statelessly(tiny_plain_tflite, scene):
    s = Stylizer(tiny_plain_tflite)
    assert s.contract.inferred and not s.stateful
    assert s.process(scene[0]).shape == scene[0].shape
    with pytest.raises(EdgestyleError, match="no style input"):
        Stylizer(tiny_plain_tflite, style="a")


def test_bad_frames_and_models_are_clear_errors(tmp_path):
    s = Stylizer(DEV_MODEL)
    with pytest.raises(EdgestyleError, match="uint8"):
        s.process(np.zeros((8, 8, 3), np.float32))
    with pytest.raises(EdgestyleError, match="model file not found"):
        Stylizer(tmp_path / "missing.tflite")
    corrupt = tmp_path / "corrupt.tflite"
    corrupt.write_bytes(b"not a flatbuffer" * 10)
    with pytest.raises(EdgestyleError, match="cannot load model"):
        Stylizer(corrupt)


def test_style_tour_holds_then_crossfades():
    names = ["a", "b", "c"]
    assert cycle_weights(names, 0.5, period=2.0) == {"a": 1.0}
    assert cycle_weights(names, 1.75, period=2.0) == pytest.approx({"a": 0.5, "b": 0.5})
    assert cycle_weights(names, 5.9, period=2.0) == pytest.approx({"c": 0.2, "a": 0.8})  # wraps around


def test_missing_delegates_say_what_to_install(tmp_path):
    """One line, and no 'Exception ignored' traceback from LiteRT's half-built Delegate at exit."""
    code = (
        "from edgestyle.errors import EdgestyleError\n"
        "from edgestyle.runtime.stylizer import Stylizer\n"
        "for d in ('edgetpu', 'gpu', '/nope/libdelegate.so'):\n"
        "    try:\n"
        f"        Stylizer({str(DEV_MODEL)!r}, delegate=d)\n"
        "    except EdgestyleError as e:\n"
        "        print(e)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    lines = proc.stdout.splitlines()
    assert (
        "apt install libedgetpu1-std" in lines[0] and "GPU delegate" in lines[1] and "--delegate" in lines[2]
    )
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr
