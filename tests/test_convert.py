"""edgestyle convert on a tiny (untrained, seeded) generator: every target, state, styles, errors.

One conversion (all four targets, a test-double edgetpu_compiler on PATH) is shared by the whole
module; two more small conversions cover the baked style and the missing compiler.
"""

from __future__ import annotations

import importlib.util
import json
import os
import stat
import sys
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
tf = pytest.importorskip("tensorflow")

from edgestyle.contract import load_contract, read_embedded_contract, sidecar_path  # noqa: E402
from edgestyle.conversion import report as rep  # noqa: E402
from edgestyle.conversion.calibration import generated_frames  # noqa: E402
from edgestyle.conversion.pipeline import convert_model_dir  # noqa: E402
from edgestyle.errors import EdgestyleError  # noqa: E402
from edgestyle.runtime.interpreter import TFLiteModel  # noqa: E402
from edgestyle.runtime.stylizer import Stylizer  # noqa: E402

SIZE = (32, 32)
B_COLOUR = [200.0, 120.5, 40.0]  # the mean colour of style "b"'s picture, as the metadata stores it
# The onnx extra (installed by `make test`): the shared conversion adds the ONNX target when present.
HAS_ONNX = all(importlib.util.find_spec(m) for m in ("tf2onnx", "onnx", "onnxruntime"))
TARGETS = "cpu,gpu,edgetpu,fp32" + (",onnx" if HAS_ONNX else "")
INT8_MIN_PSNR_DB = 35.0  # the stated tolerance: int8 within 35 dB PSNR of float over a recurrent clip

FAKE_COMPILER = """#!{python}
# Test double of edgetpu_compiler's command line: edgetpu_compiler [-s] -o OUT_DIR MODEL.tflite
# writes OUT_DIR/MODEL_edgetpu.tflite and OUT_DIR/MODEL_edgetpu.log, like the real compiler.
import shutil, sys
from pathlib import Path
args = sys.argv[1:]
out = Path(args[args.index("-o") + 1])
model = Path(args[-1])
out.mkdir(parents=True, exist_ok=True)
shutil.copyfile(model, out / (model.stem + "_edgetpu.tflite"))
(out / (model.stem + "_edgetpu.log")).write_text("Edge TPU Compiler (test double)\\n")
"""


def reject_non_json(constant: str) -> None:
    raise AssertionError(f"invalid JSON constant {constant} in the report")


def clip_u8(count: int = 30, seed: int = 5) -> list[np.ndarray]:
    return [np.round(f * 255).astype(np.uint8) for f in generated_frames(*SIZE, count, seed=seed)]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    """A tiny generator trained for a few steps by the real trainer on two OpenCV teachers ("a", "b")."""
    import cv2

    from edgestyle.synthetic import moving_scene
    from edgestyle.train.config import config_from_dict
    from edgestyle.train.generator import tiny_config
    from edgestyle.train.run import train_model
    from edgestyle.train.styles import StyleSource

    root = tmp_path_factory.mktemp("convert_train")
    (root / "stills").mkdir()
    for seed in range(3):
        cv2.imwrite(str(root / "stills" / f"p{seed}.png"), moving_scene(1, 96, 72, seed=seed)[0])
    # The legacy concat head: after 6 steps its features (not yet the split head's) move the picture
    # enough for the state test below to see the memory in uint8; the split head is converted in
    # the ConvLSTM test and in every runtime test.
    config = config_from_dict({
        "model": tiny_config(head="concat"), "data": {"clip_len": 2, "crop": 32, "batch": 1, "max_side": 96},
        "schedule": {"max_steps": 6, "checkpoint_every": 1000, "log_every": 1000, "image_every": 1000},
        "runtime": {"workers": 1},
    })  # fmt: skip
    styles = [StyleSource("a", teacher="cartoon"), StyleSource("b", teacher="stylization")]
    train_model([str(root / "stills")], root / "tiny", styles, config, root / "cache", progress=False)
    # Filter teachers have no picture, so no colour (test_train checks what the trainer writes for a
    # painting); give "b" one here so the converter's handling of colours is exercised.
    meta_file = root / "tiny" / "edgestyle.json"
    meta = json.loads(meta_file.read_text())
    assert meta["style"]["colours"] == [None, None]
    meta["style"]["colours"] = [None, B_COLOUR]
    meta_file.write_text(json.dumps(meta))
    return root / "tiny"


@pytest.fixture(scope="module")
def converted(model_dir, tmp_path_factory):
    """All targets, with a test-double edgetpu_compiler first on PATH."""
    bin_dir = tmp_path_factory.mktemp("bin")
    compiler = bin_dir / "edgetpu_compiler"
    compiler.write_text(FAKE_COMPILER.format(python=sys.executable))
    compiler.chmod(compiler.stat().st_mode | stat.S_IEXEC)
    old_path = os.environ["PATH"]
    os.environ["PATH"] = f"{bin_dir}{os.pathsep}{old_path}"
    try:
        return convert_model_dir(model_dir, targets=TARGETS, input_size=SIZE, latency_runs=3)
    finally:
        os.environ["PATH"] = old_path


def test_every_target_is_written_with_its_contract_embedded_and_beside_it(converted, model_dir):
    assert set(converted.paths) == {"cpu-int8", "gpu-fp16", "edgetpu", "fp32"} | (
        {"onnx"} if HAS_ONNX else set()
    )
    for target, path in converted.paths.items():
        assert path.parent == model_dir / "export"
        if path.suffix == ".onnx":
            continue  # its contract lives in metadata_props: test_onnx_target_...
        embedded = read_embedded_contract(path.read_bytes())
        assert embedded is not None and embedded.target == target
        assert json.loads(sidecar_path(path).read_text()) == embedded.to_dict()
    assert converted.paths["edgetpu"].name.endswith("_int8_edgetpu.tflite")
    assert not [p for p in (model_dir / "export").iterdir() if p.name.startswith(".")], (
        "work folder left behind"
    )


def test_each_target_runs_in_litert_at_its_fixed_size(converted):
    for target in ("cpu-int8", "gpu-fp16", "fp32"):
        path = converted.paths[target]
        assert TFLiteModel(path).backend == "ai-edge-litert"
        outputs = rep.run_clip(path, clip_u8(2), "a")
        assert outputs[0].shape == (SIZE[1], SIZE[0], 3) and outputs[0].dtype == np.uint8


def test_int8_takes_camera_bytes_and_keeps_states_int8_with_equal_quantization(converted):
    model = TFLiteModel(converted.paths["cpu-int8"])
    frame, out = model.inputs["frame"], model.outputs["stylized"]
    for info in (frame, out):
        assert info.dtype == np.uint8 and info.zero_point == 0 and info.scale == pytest.approx(1 / 255)
    assert model.inputs["style"].dtype == np.int8
    contract = load_contract(converted.paths["cpu-int8"])
    assert [s.input for s in contract.states] == ["state_in_0"]
    for pair in contract.states:
        state_in, state_out = model.inputs[pair.input], model.outputs[pair.output]
        assert state_in.dtype == state_out.dtype == np.int8
        assert (state_in.scale, state_in.zero_point) == (state_out.scale, state_out.zero_point)
        assert pair.dtype == "int8"


def test_state_round_trips_across_frames(converted):
    """Fed back byte for byte, the int8 state carries the float model's memory (not zeros, not noise)."""
    path = converted.paths["cpu-int8"]
    frames = clip_u8(12)
    recurrent = rep.run_clip(path, frames, "a")
    reference = rep.run_clip(converted.paths["fp32"], frames, "a")
    fresh = rep.run_clip(path, frames[-1:], "a")  # the last frame from a zero state
    state_effect = np.abs(recurrent[-1].astype(int) - fresh[0].astype(int)).max()
    assert state_effect > 0, "the state fed back changes nothing: it is not carried"
    from edgestyle.evaluation.metrics import psnr

    assert psnr(reference[-1], recurrent[-1]) >= INT8_MIN_PSNR_DB


def test_int8_output_stays_within_tolerance_of_float_on_a_generated_clip(converted):
    blend = {"a": 0.3, "b": 0.7}  # not the style the report measures with
    frames = clip_u8(30, seed=7)
    reference = rep.run_clip(converted.paths["fp32"], frames, blend)
    int8 = rep.run_clip(converted.paths["cpu-int8"], frames, blend)
    clip_psnr, worst, mean_ssim = rep.fidelity(reference, int8)
    assert clip_psnr >= INT8_MIN_PSNR_DB and worst >= INT8_MIN_PSNR_DB - 3
    assert mean_ssim > 0.95


def test_report_measures_every_runnable_target_and_is_saved(converted, model_dir):
    report = converted.report
    by_target = {t.target: t for t in report.targets}
    int8 = by_target["cpu-int8"]
    assert int8.frames >= 30 and int8.psnr_db >= INT8_MIN_PSNR_DB and not int8.flags
    assert int8.state_quantization_equal is True
    assert int8.latency_ms > 0 and "CONV_2D" in int8.ops and int8.gpu_compatible is not None
    assert int8.edgetpu_unsupported == [], "shape ops or float ops left for the EdgeTPU to reject"
    assert by_target["fp32"].psnr_db == float("inf")
    assert by_target["edgetpu"].latency_ms is None  # needs the device
    saved = json.loads(
        (model_dir / "export" / "tiny_32x32_report.json").read_text(), parse_constant=reject_non_json
    )
    assert {t["target"] for t in saved["targets"]} == set(by_target)
    assert [t["psnr_db"] for t in saved["targets"] if t["target"] == "fp32"] == [
        None
    ]  # strict JSON, no Infinity
    markdown = (model_dir / "export" / "tiny_32x32_report.md").read_text()
    assert "| cpu-int8 |" in markdown and "PSNR" in markdown


@pytest.mark.skipif(not HAS_ONNX, reason="needs the onnx extra: pip install -e '.[onnx]'")
def test_onnx_target_has_explicit_state_io_the_contract_and_matches_float(converted, model_dir):
    import onnx

    path = converted.paths["onnx"]
    model = onnx.load(str(path))
    assert {i.name for i in model.graph.input} == {"frame", "style", "state_in_0"}
    assert {o.name for o in model.graph.output} == {"stylized", "state_out_0"}
    embedded = json.loads({p.key: p.value for p in model.metadata_props}["edgestyle_contract"])
    assert embedded == json.loads(sidecar_path(path).read_text()) and embedded["target"] == "onnx"
    assert sidecar_path(path).name.endswith(".onnx.json")  # never the fp32 .tflite's sidecar
    onnx_row = {t.target: t for t in converted.report.targets}["onnx"]
    assert onnx_row.frames == 30 and onnx_row.psnr_db >= 40.0 and not onnx_row.flags
    assert onnx_row.latency_ms > 0 and "Conv" in onnx_row.ops


@pytest.fixture(scope="module")
def baked(model_dir, tmp_path_factory):
    """Style "b" baked in, targets=edgetpu alone, no edgetpu_compiler on PATH, calibrated on a frame folder."""
    import cv2

    frames = tmp_path_factory.mktemp("frames")
    for i, frame in enumerate(clip_u8(8, seed=3)):
        cv2.imwrite(str(frames / f"frame_{i:03d}.png"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    old_path = os.environ["PATH"]
    os.environ["PATH"] = str(tmp_path_factory.mktemp("empty_bin"))
    try:
        out = tmp_path_factory.mktemp("baked") / "export"
        return convert_model_dir(
            model_dir,
            out_dir=out,
            targets="edgetpu",
            input_size=SIZE,
            style="b",
            calibration=frames,
            report=False,
        )
    finally:
        os.environ["PATH"] = old_path


def test_a_baked_style_gives_the_frames_of_the_style_input_set_to_it(converted, baked):
    contract = load_contract(baked.paths["fp32"])
    assert contract.style is None and contract.baked_style == "b"
    assert contract.baked_colour == B_COLOUR  # its picture's colour, for the palette anchor
    assert load_contract(converted.paths["fp32"]).style.colours == [None, B_COLOUR]
    np.testing.assert_allclose(Stylizer(baked.paths["cpu-int8"]).palette.target, B_COLOUR)
    assert not Stylizer(baked.paths["cpu-int8"], match_palette=False).palette.active
    assert contract.provenance["calibration"].startswith("8 frames from ")
    assert "style" not in TFLiteModel(baked.paths["cpu-int8"]).inputs
    vector = np.asarray(load_contract(converted.paths["fp32"]).style.vector("b"))
    frames = clip_u8(6)
    with_input = rep.run_clip(converted.paths["fp32"], frames, vector)
    folded = rep.run_clip(baked.paths["fp32"], frames, None)
    for a, b in zip(with_input, folded, strict=True):
        assert np.abs(a.astype(int) - b.astype(int)).max() <= 1
    int8_input = rep.run_clip(converted.paths["cpu-int8"], frames, vector)
    int8_baked = rep.run_clip(baked.paths["cpu-int8"], frames, None)
    assert rep.fidelity(int8_input, int8_baked)[0] >= INT8_MIN_PSNR_DB


def test_without_the_compiler_the_int8_model_is_written_and_the_command_given(baked):
    assert set(baked.paths) == {"cpu-int8", "fp32"}
    assert baked.paths["cpu-int8"].name == "tiny_32x32_b_int8.tflite"
    assert baked.edgetpu_command == "edgetpu_compiler -s -o . tiny_32x32_b_int8.tflite"


def test_a_directory_with_only_the_saved_model_converts_to_the_same_model(converted, model_dir, tmp_path):
    import shutil

    only = tmp_path / "only_saved_model"
    only.mkdir()
    shutil.copy(model_dir / "edgestyle.json", only)
    shutil.copytree(model_dir / "saved_model", only / "saved_model")
    result = convert_model_dir(only, targets="fp32", input_size=SIZE, report=False)
    frames = clip_u8(4)
    assert np.array_equal(
        np.stack(rep.run_clip(result.paths["fp32"], frames, "b")),
        np.stack(rep.run_clip(converted.paths["fp32"], frames, "b")),
    )


def test_a_convlstm_keeps_both_state_pairs_equal_and_close_to_float(tmp_path):
    """Two state pairs, each fed back with equal quantization and the int8 model close to float."""
    from edgestyle.conversion.io_types import _Graph
    from edgestyle.train.generator import tiny_config
    from edgestyle.train.model_dir import make_untrained_model_dir

    lstm = make_untrained_model_dir(tmp_path / "lstm", tiny_config(cell="lstm"), styles=("x", "y"))
    result = convert_model_dir(lstm, targets="cpu", input_size=SIZE, report=False)
    path = result.paths["cpu-int8"]
    model = TFLiteModel(path)
    for k in (0, 1):
        a, b = model.inputs[f"state_in_{k}"], model.outputs[f"state_out_{k}"]
        assert a.dtype == b.dtype == np.int8 and (a.scale, a.zero_point) == (b.scale, b.zero_point)
    graph = _Graph(path.read_bytes())
    first_ops = {
        graph.op_name(op)
        for k in (0, 1)
        for op in graph.consumers(graph.sig_input(f"state_in_{k}").tensorIndex)
    }
    # each pair is fed back byte for byte: requantized inside (QUANTIZE) where the network was
    # calibrated with other parameters, directly otherwise (the deployment form's split convs
    # now give both LSTM states their own consumers, so both are requantized here)
    assert first_ops and first_ops <= {"QUANTIZE", "DEPTHWISE_CONV_2D", "SUB", "MUL", "ADD", "CONV_2D"}
    frames = clip_u8(30)
    reference = rep.run_clip(result.paths["fp32"], frames, "y")
    assert rep.fidelity(reference, rep.run_clip(path, frames, "y"))[0] >= INT8_MIN_PSNR_DB


def test_luminance_bands_convert_to_int8_builtins_and_keep_the_bands(tmp_path):
    """The cartoon specialist's last layer: int8 builtins only, and int8 output luma on the bands."""
    from edgestyle.conversion.io_types import op_names
    from edgestyle.train.generator import tiny_config
    from edgestyle.train.layers import LUMA, luminance_staircase
    from edgestyle.train.model_dir import make_untrained_model_dir

    banded = make_untrained_model_dir(tmp_path / "bands", tiny_config(bands=6), styles=("x",))
    result = convert_model_dir(banded, targets="cpu", input_size=SIZE, report=False)
    path = result.paths["cpu-int8"]
    names = set(op_names(path.read_bytes()))
    assert "TANH" in names and not any(n.lower().startswith("flex") for n in names)
    frames = clip_u8(12)
    reference = rep.run_clip(result.paths["fp32"], frames, "x")
    int8 = rep.run_clip(path, frames, "x")
    assert rep.fidelity(reference, int8)[0] >= INT8_MIN_PSNR_DB
    # an untrained model is close to a copy of its frame, whose luma is spread over [0, 1]; after the
    # layer most of it sits on the six plateaus, away from the risers
    rise, *_ = luminance_staircase(6, 0.5)
    luma = np.concatenate([f.reshape(-1, 3) @ LUMA for f in int8]) / 255.0
    near_riser = np.abs(luma[:, None] - rise[None, 1:-1]).min(axis=1) < 0.02
    assert near_riser.mean() < 0.05


# -- bad input: one clear error, nothing written ------------------------------------------------


def assert_fails(match: str, out: Path, **kwargs) -> None:
    with pytest.raises(EdgestyleError, match=match):
        convert_model_dir(out_dir=out, input_size=kwargs.pop("input_size", SIZE), report=False, **kwargs)
    assert not out.exists(), "a failed conversion left its output folder behind"


def test_missing_directory(tmp_path):
    assert_fails("model directory not found", tmp_path / "out", model_dir=tmp_path / "nope")


def test_directory_without_a_model(tmp_path):
    (tmp_path / "empty").mkdir()
    assert_fails("not an edgestyle model directory", tmp_path / "out", model_dir=tmp_path / "empty")


def test_corrupt_generator_file(model_dir, tmp_path):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(
        model_dir, broken, ignore=shutil.ignore_patterns("export", "saved_model", "checkpoints", "logs")
    )
    (broken / "generator.keras").write_bytes(b"not a keras file")
    assert_fails("cannot load", tmp_path / "out", model_dir=broken)


def test_input_size_not_a_multiple_of_the_stride(model_dir, tmp_path):
    assert_fails(
        "not a multiple of the model's stride 4", tmp_path / "out", model_dir=model_dir, input_size=(30, 32)
    )


def test_calibration_folder_without_readable_frames(model_dir, tmp_path):
    junk = tmp_path / "frames"
    junk.mkdir()
    (junk / "broken.png").write_bytes(b"no image here")
    (junk / "notes.txt").write_text("hello")
    assert_fails("has no readable frames", tmp_path / "out", model_dir=model_dir, calibration=junk)


def test_unknown_style_and_unknown_target(model_dir, tmp_path):
    assert_fails("unknown style 'zzz'", tmp_path / "out", model_dir=model_dir, style="zzz")
    assert_fails("unknown conversion target 'tpu'", tmp_path / "out", model_dir=model_dir, targets="tpu")


def test_an_op_without_int8_kernel_is_named_with_its_layer(tmp_path):
    import keras

    from edgestyle.conversion.export import export_saved_model
    from edgestyle.conversion.quantize import convert_saved_model

    frame = keras.Input((8, 8, 3), batch_size=1, name="frame")
    x = keras.layers.Conv2D(3, 3, padding="same", name="conv")(frame)
    x = keras.layers.Lambda(keras.ops.sin, name="wobble")(x)
    x = keras.layers.Conv2D(3, 1, name="after")(x)
    saved = export_saved_model(keras.Model({"frame": frame}, {"stylized": x}), tmp_path / "sm")
    samples = [{"frame": np.random.default_rng(i).random((1, 8, 8, 3), np.float32)} for i in range(3)]
    with pytest.raises(EdgestyleError, match=r"cannot be fully int8-quantized: op SIN in layer 'wobble'"):
        convert_saved_model(saved, "int8", samples)


def test_cli_prints_one_line_and_exits_non_zero(tmp_path):
    from typer.testing import CliRunner

    from edgestyle.cli import app

    result = CliRunner().invoke(app, ["convert", str(tmp_path / "nope")])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == [f"error: model directory not found: {tmp_path / 'nope'}"]


def test_cli_converts_with_its_options(model_dir, tmp_path):
    from typer.testing import CliRunner

    from edgestyle.cli import app

    out = tmp_path / "cli"
    args = [
        "convert",
        str(model_dir),
        "--out",
        str(out),
        "--input-size",
        "32x32",
        "-t",
        "fp32",
        "--style",
        "a",
    ]
    result = CliRunner().invoke(app, [*args, "--no-report"])
    assert result.exit_code == 0, result.output
    assert (out / "tiny_32x32_a_fp32.tflite").is_file() and (out / "tiny_32x32_a_fp32.json").is_file()
    assert load_contract(out / "tiny_32x32_a_fp32.tflite").baked_style == "a"


def test_a_model_trained_with_a_carried_state_says_so_in_its_contract(tmp_path):
    """``model.warp_state`` reaches the file, so the runtime carries the state along the motion."""
    from edgestyle.runtime.stylizer import Stylizer
    from edgestyle.train.generator import tiny_config
    from edgestyle.train.model_dir import make_untrained_model_dir

    carried = make_untrained_model_dir(tmp_path / "carried", tiny_config(warp_state=True), styles=("x",))
    path = convert_model_dir(carried, targets="fp32", input_size=SIZE, report=False).paths["fp32"]
    assert read_embedded_contract(path.read_bytes()).warp_state is True
    assert Stylizer(path, style="x").contract.warp_state
