"""Any picture as the style (issue #16, runtime): ``--style-image`` on stylize/run/eval, ``run
--style-dir``, the style predictor's code fed to a code-conditioned model, and the bad pictures.

The model is tests/data/tiny_code_int8.tflite, a real ``edgestyle convert`` output whose style
input is the code of the shipped predictor (models/style_predict/); both run in real LiteRT.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from edgestyle.cli import app
from edgestyle.contract import ModelContract, embed_contract
from edgestyle.errors import EdgestyleError
from edgestyle.runtime.palette import mean_colour
from edgestyle.runtime.style_code import StylePicture, StylePredictor, describe_style_input
from edgestyle.runtime.style_dir import StyleCycler
from edgestyle.runtime.stylizer import Stylizer
from edgestyle.synthetic import moving_scene

DATA = Path(__file__).parent / "data"
CODE_MODEL = DATA / "tiny_code_int8.tflite"
NAMED_MODEL = DATA / "tiny_stateful_int8.tflite"  # named styles only: no code input


def swirls(path: Path, colormap: int, size: int = 96) -> Path:
    ys, xs = np.mgrid[0:size, 0:size]
    grey = (127 + 120 * np.sin(xs / 5.0 + np.cos(ys / 7.0) * 3)).astype(np.uint8)
    cv2.imwrite(str(path), cv2.applyColorMap(grey, colormap))
    return path


def huge_png(path: Path, width: int = 10_000, height: int = 6_000) -> Path:
    """A PNG whose header says 60 MP (no pixel data): refused before anything is decoded."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b""))
    return path


@pytest.fixture(scope="module")
def pictures(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pictures")
    bad = {
        "unreadable": folder / "broken.png",
        "tiny": folder / "tiny.png",
        "huge": huge_png(folder / "huge.png"),
    }
    bad["unreadable"].write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    cv2.imwrite(str(bad["tiny"]), np.zeros((20, 40, 3), np.uint8))
    return {
        "a": swirls(folder / "a.png", cv2.COLORMAP_OCEAN),
        "b": swirls(folder / "b.jpg", cv2.COLORMAP_HOT),
        "c": swirls(folder / "c.png", cv2.COLORMAP_JET),
        "missing": folder / "missing.png",
        **bad,
    }


@pytest.fixture(scope="module")
def frame() -> np.ndarray:
    return moving_scene(1, 64, 48)[0][:, :, ::-1].copy()  # RGB at the model's size


def outputs(stylizer: Stylizer, frame: np.ndarray, n: int = 3) -> np.ndarray:
    return np.stack([stylizer.step(frame) for _ in range(n)]).astype(np.int16)


def test_a_picture_is_the_style_through_the_predictors_code(pictures, frame):
    by_picture = Stylizer(CODE_MODEL, style=StylePicture(pictures["a"]), match_palette=False)
    assert by_picture.style_label == "a.png" and by_picture.takes_pictures
    code = StylePredictor().code_of_file(pictures["a"])
    by_code = Stylizer(CODE_MODEL, style=code)
    other = Stylizer(CODE_MODEL, style=StylePicture(pictures["b"]), match_palette=False)
    ours = outputs(by_picture, frame)
    np.testing.assert_array_equal(ours, outputs(by_code, frame))  # exactly the predictor's code goes in
    assert (
        np.abs(ours - outputs(other, frame)).mean() > 0.3
    )  # another picture paints differently (untrained: a little)


def test_blending_named_styles_interpolates_their_codes(frame):
    blended = Stylizer(CODE_MODEL, style={"warm": 0.3, "cold": 0.7})
    spec = blended.contract.style
    mix = 0.3 * np.asarray(spec.vector("warm")) + 0.7 * np.asarray(spec.vector("cold"))
    np.testing.assert_array_equal(outputs(blended, frame), outputs(Stylizer(CODE_MODEL, style=mix), frame))


def test_a_model_without_a_code_input_refuses_a_picture(pictures):
    with pytest.raises(EdgestyleError, match="cannot take a picture as its style.*named styles only .a, b."):
        Stylizer(NAMED_MODEL, style=StylePicture(pictures["a"]))


def cli(*args: str):
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result, result.output


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("clip")
    for i, bgr in enumerate(moving_scene(frames=4, width=64, height=48)):
        cv2.imwrite(str(folder / f"frame_{i:03d}.png"), bgr)
    return folder


def command(name: str, picture: Path, tmp_path: Path, clip: Path, model: Path = CODE_MODEL) -> list:
    """The same --style-image on each of the three commands."""
    return {
        "stylize": ["stylize", clip / "frame_000.png", "-o", tmp_path / "out.png"],
        "run": ["run", "test://", "-o", tmp_path / "out.mp4", "--frames", "3"],
        "eval": ["eval", clip, "--out", tmp_path / "report"],
    }[name] + ["-m", model, "--style-image", picture]


@pytest.mark.parametrize("name", ["stylize", "run", "eval"])
@pytest.mark.parametrize(
    "kind, message",
    [
        ("missing", "style image not found"),
        ("unreadable", "cannot decode style image"),
        ("tiny", "40x20 is too small (at least 32 px a side)"),
        ("huge", "60 MP is too large (at most 50 MP)"),
    ],
)
def test_a_bad_style_image_is_one_error_line_on_every_command(name, kind, message, pictures, clip, tmp_path):
    result, output = cli(*command(name, pictures[kind], tmp_path, clip))
    assert result.exit_code == 1, output
    assert output.startswith("error: ") and message in output and output.count("\n") == 1, output
    assert list(tmp_path.iterdir()) == []  # nothing written, not even a half file


@pytest.mark.parametrize("name", ["stylize", "run"])
def test_a_picture_for_a_model_without_a_code_input_is_one_error_line(name, pictures, clip, tmp_path):
    result, output = cli(*command(name, pictures["a"], tmp_path, clip, model=NAMED_MODEL))
    assert result.exit_code == 1 and output.count("\n") == 1, output
    assert "cannot take a picture as its style" in output and "use --style NAME" in output


def test_stylize_and_eval_paint_with_the_picture(pictures, clip, tmp_path):
    result, output = cli(*command("stylize", pictures["b"], tmp_path, clip))
    assert result.exit_code == 0, output
    assert "style b.jpg" in output and cv2.imread(str(tmp_path / "out.png")).shape == (48, 64, 3)
    anchored = cv2.imread(str(tmp_path / "out.png")).reshape(-1, 3).mean(0)
    result, output = cli(*command("stylize", pictures["b"], tmp_path, clip), "--no-match-palette")
    assert result.exit_code == 0, output
    picture = cv2.imread(str(pictures["b"])).reshape(-1, 3).mean(0)
    own = cv2.imread(str(tmp_path / "out.png")).reshape(-1, 3).mean(0)
    assert np.abs(anchored - picture).max() < 0.5 * np.abs(own - picture).max()  # --match-palette by default
    result, output = cli(*command("eval", pictures["b"], tmp_path, clip))
    assert result.exit_code == 0, output
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert report["rows"][1]["style"] == "b.jpg" and report["style_image"] == str(pictures["b"])
    assert report["match_palette"] is True
    result, output = cli(*command("eval", pictures["b"], tmp_path, clip), "--no-match-palette")
    assert result.exit_code == 0, output
    own = json.loads((tmp_path / "report" / "report.json").read_text())
    assert own["match_palette"] is False
    colour = [r["rows"][1]["style_distance_levels"]["colour"] for r in (report, own)]
    assert colour[0] < colour[1]  # the anchor brings the palette closer to the picture
    result, output = cli("stylize", clip / "frame_000.png", "-o", tmp_path / "x.png", "-m", CODE_MODEL,
                         "--style", "warm", "--style-image", pictures["b"])  # fmt: skip
    assert result.exit_code == 1 and "not both --style and --style-image" in output


def test_style_dir_errors_are_one_line(pictures, tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes.txt").write_text("no pictures here")
    shutil.copy(pictures["a"], tmp_path / "a.png")
    for args, message in [
        (["--style-dir", tmp_path / "empty"], "has no pictures"),
        (["--style-dir", tmp_path / "nowhere"], "style folder not found"),
        (["--style-dir", tmp_path, "-m", NAMED_MODEL], "cannot take a picture as its style"),
        (["--style-dir", tmp_path, "--style", "warm"], "--style-dir picks the styles itself"),
        (["--style-every", "5s"], "--style-every goes with --style-dir"),
        (["--style-dir", tmp_path, "--style-every", "soon"], "bad --style-every 'soon'"),
    ]:
        result, output = cli("run", "test://", "-o", "null", "--frames", "2", "-m", CODE_MODEL, *args)
        assert result.exit_code == 1 and output.startswith("error: ") and message in output, (args, output)


def test_a_folder_of_only_unusable_pictures_is_an_error(pictures, tmp_path):
    for kind in ("unreadable", "tiny"):
        shutil.copy(pictures[kind], tmp_path)
    with pytest.raises(EdgestyleError, match="none of its 2 pictures is usable"):
        StyleCycler(Stylizer(CODE_MODEL), tmp_path)


def wait_for(condition, hook, stylizer, frame, seconds: float = 10.0) -> None:
    """Run frames (the hook before each, as the pipeline does) until ``condition()`` holds."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        hook()
        stylizer.step(frame)
        time.sleep(0.005)


def test_style_dir_switches_on_a_key_and_a_new_file_and_skips_bad_files(pictures, frame, tmp_path):
    shutil.copy(pictures["unreadable"], tmp_path / "0_broken.png")  # first by name: tried first
    os.utime(tmp_path / "0_broken.png", (time.time() - 60, time.time() - 60))  # broken for a minute: no copy
    shutil.copy(pictures["a"], tmp_path / "a.png")
    shutil.copy(pictures["b"], tmp_path / "b.jpg")
    lines: list[str] = []
    stylizer = Stylizer(CODE_MODEL)
    cycler = StyleCycler(stylizer, tmp_path, fade=0, log=lines.append, poll=0.02)
    assert cycler.current == "a.png" and stylizer.style_label == "a.png"
    assert lines[0].startswith("warning: skipped style image") and "0_broken.png" in lines[0]
    assert lines[1] == f"style: a.png (first of 3 in {tmp_path})"
    cycler.start()
    try:
        cycler.on_key("x")  # not a key of ours
        cycler.on_key("n")
        wait_for(lambda: cycler.current == "b.jpg", cycler, stylizer, frame)
        assert lines[-1] == "style: b.jpg (key)"
        cycler.next()  # wraps round, past the broken one (warned about once only)
        wait_for(lambda: cycler.current == "a.png", cycler, stylizer, frame)
        (tmp_path / "z_dropped.jpg").write_bytes(b"\xff\xd8 not really a jpeg")  # dropped in live
        wait_for(lambda: "z_dropped.jpg" in lines[-1], cycler, stylizer, frame)
        assert lines[-1].startswith("warning: skipped style image") and cycler.current == "a.png"
        shutil.copy(pictures["c"], tmp_path / "c.png")
        wait_for(lambda: cycler.current == "c.png", cycler, stylizer, frame)
        assert lines[-1] == "style: c.png (new file)" and stylizer.style_label == "c.png"
    finally:
        cycler.close()
    assert sum("0_broken.png" in line for line in lines) == 1
    assert stylizer.resets == 1  # the recurrent state was never dropped at a switch


def test_style_dir_crossfades_codes(pictures, frame, tmp_path):
    shutil.copy(pictures["a"], tmp_path / "a.png")
    shutil.copy(pictures["b"], tmp_path / "b.jpg")
    now = [100.0]
    stylizer = Stylizer(CODE_MODEL)
    cycler = StyleCycler(stylizer, tmp_path, fade=2.0, poll=0.02, clock=lambda: now[0]).start()
    predictor = StylePredictor()
    a, b = (predictor.code_of_file(tmp_path / name) for name in ("a.png", "b.jpg"))
    try:
        cycler.next()
        wait_for(lambda: cycler.switches == 1, cycler, stylizer, frame)  # the fade starts at now[0]
        np.testing.assert_allclose(cycler.code, a, atol=1e-6)
        now[0] += 0.5
        cycler()
        np.testing.assert_allclose(cycler.code, 0.75 * a + 0.25 * b, atol=1e-5)
        colour_a, colour_b = (mean_colour(cv2.imread(str(pictures[k]))[:, :, ::-1].copy()) for k in "ab")
        np.testing.assert_allclose(stylizer.palette.target, 0.75 * colour_a + 0.25 * colour_b, atol=1e-3)
        now[0] += 2.0
        cycler()
        np.testing.assert_array_equal(cycler.code, b)
        np.testing.assert_allclose(stylizer.palette.target, colour_b, atol=1e-3)  # the palette follows
    finally:
        cycler.close()


def test_run_style_dir_without_tensorflow(pictures, tmp_path, no_tensorflow_env):
    """The board path: the predictor and the code model in LiteRT, TensorFlow impossible to import."""
    folder = tmp_path / "styles"
    folder.mkdir()
    shutil.copy(pictures["tiny"], folder / "0_tiny.png")
    shutil.copy(pictures["a"], folder / "a.png")
    args = [
        "run",
        "test://",
        "-o",
        "null",
        "--frames",
        "5",
        "-m",
        str(CODE_MODEL),
        "--style-dir",
        str(folder),
    ]
    proc = subprocess.run(
        [sys.executable, "-c", "from edgestyle.cli import main; main()", *args],
        env=no_tensorflow_env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "TF_IMPORTED" not in proc.stderr
    assert "warning: skipped style image" in proc.stderr and "0_tiny.png: 40x20 is too small" in proc.stderr
    assert f"style: a.png (first of 2 in {folder})" in proc.stderr
    assert "5 frames" in proc.stderr and "style a.png" in proc.stderr.splitlines()[-1]


def test_doctor_says_which_models_take_pictures():
    result, output = cli("doctor", "--json", "-m", CODE_MODEL, "-m", NAMED_MODEL)
    assert result.exit_code == 0, output
    checks = {c["name"]: c for c in json.loads(output)["checks"] if c["section"] == "styles"}
    assert checks["style predictor"]["ok"] is True
    assert checks[str(CODE_MODEL)]["value"] == "styles warm, cold or any picture (--style-image, --style-dir)"
    assert "no --style-image (not trained on style codes)" in checks[str(NAMED_MODEL)]["value"]
    assert "models/default" in checks  # the shipped models are listed too


def test_a_predictor_other_than_the_trained_one_is_flagged(pictures, tmp_path, capsys):
    contract = ModelContract.from_json(CODE_MODEL.with_suffix(".json").read_text())
    contract.style.code["sha256"] = "0" * 64  # trained with another file of the same name
    model = tmp_path / "m.tflite"
    model.write_bytes(embed_contract(CODE_MODEL.read_bytes(), contract))
    text, ok = describe_style_input(model)
    assert ok is False and "is not the style_predict_quantized_256.tflite it was trained with" in text
    Stylizer(model, style=StylePicture(pictures["a"]))  # still runs, with one warning
    assert "(sha256 differs); its codes may paint differently" in capsys.readouterr().err
