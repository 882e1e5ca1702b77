"""``edgestyle eval`` end to end on generated footage and tiny real models, and its one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from edgestyle.synthetic import moving_scene

STATEFUL = Path(__file__).parent / "data" / "tiny_stateful_dev.tflite"


def _cli(*args: str) -> subprocess.CompletedProcess:
    """The real command line in a fresh process: exit code, stdout and stderr as a user sees them."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    command = [sys.executable, "-c", "from edgestyle.cli import main; main()", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture(scope="module")
def clip_dir(tmp_path_factory) -> Path:
    import cv2

    folder = tmp_path_factory.mktemp("clip")
    for i, frame in enumerate(moving_scene(frames=8, width=64, height=48)):
        cv2.imwrite(str(folder / f"frame_{i:03d}.png"), frame)
    return folder


@pytest.fixture(scope="module")
def style_png(tmp_path_factory) -> Path:
    import cv2

    path = tmp_path_factory.mktemp("style") / "swirls.png"
    ys, xs = np.mgrid[0:80, 0:80]
    swirl = (127 + 120 * np.sin(xs / 5.0 + np.cos(ys / 7.0) * 3)).astype(np.uint8)
    cv2.imwrite(str(path), cv2.applyColorMap(swirl, cv2.COLORMAP_OCEAN))
    return path


@pytest.fixture(scope="module")
def evaluated(
    clip_dir, style_png, tiny_plain_tflite, tmp_path_factory
) -> tuple[subprocess.CompletedProcess, Path]:
    out = tmp_path_factory.mktemp("eval") / "report"
    result = _cli(
        "eval", str(clip_dir), "--model", str(STATEFUL), "--model", str(tiny_plain_tflite),
        "--float-model", str(STATEFUL), "--teacher", "cartoon", "--style-image", str(style_png),
        "--out", str(out),
    )  # fmt: skip
    return result, out


def test_eval_writes_every_report_file(evaluated):
    result, out = evaluated
    assert result.returncode == 0, result.stderr
    assert {p.name for p in out.iterdir()} == {
        "report.json",
        "report.md",
        "contact_sheet.png",
        "stability.png",
        "flicker_map.png",
    }
    assert "| input | input |" in result.stdout  # the table (Markdown when stdout is not a terminal)
    import cv2

    sheet = cv2.imread(str(out / "contact_sheet.png"))
    assert sheet is not None and sheet.shape[1] > 5 * 256  # input + 2 models + float + teacher columns
    assert cv2.imread(str(out / "stability.png")) is not None
    flicker_map = cv2.imread(str(out / "flicker_map.png"))
    assert flicker_map is not None and flicker_map.shape[1] > 5 * 256  # the input and every run


def test_eval_report_has_the_metrics_of_every_row(evaluated):
    _, out = evaluated
    report = json.loads((out / "report.json").read_text())
    rows = {r["label"]: r for r in report["rows"]}
    assert [r["role"] for r in report["rows"]] == ["input", "model", "model", "float", "teacher"]
    assert report["clip"]["size"] == [32, 32] and report["clip"]["frames"] == 8  # the first model's size
    assert rows["input"]["warping_error_vs_input"] == pytest.approx(1.0)
    for row in report["rows"]:
        assert row["warping_error"] >= 0 and len(row["warping_error_per_pair"]) == 7
        assert row["style_distance"] > 0
    model = rows["tiny_stateful_dev.tflite"]
    assert 0 < model["psnr_vs_teacher"] < 60 and -1 <= model["ssim_vs_teacher"] <= 1
    # The same file as model and float reference: identical outputs (infinite PSNR -> null in JSON).
    assert model["psnr_vs_float"] is None and model["ssim_vs_float"] == pytest.approx(1.0)
    # int8-vs-float is only for our converted models: not for a plain peer, nor for the teacher.
    assert "psnr_vs_teacher" in rows["tiny_plain.tflite"] and "psnr_vs_float" not in rows["tiny_plain.tflite"]
    assert "psnr_vs_teacher" in rows["tiny_stateful_dev.tflite#2"] and "psnr_vs_float" not in rows["cartoon"]
    md = (out / "report.md").read_text()
    assert "| tiny_plain.tflite | model | - |" in md  # a plain peer: no style of ours to name
    assert "| tiny_stateful_dev.tflite | model | a |" in md and model["style"] == "a"  # the style that ran


def test_eval_bad_input_is_one_clear_line(clip_dir, tiny_plain_tflite, tmp_path):
    import cv2

    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"this is not a video")
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    cv2.imwrite(str(mixed / "a.png"), np.zeros((40, 40, 3), np.uint8))
    cv2.imwrite(str(mixed / "b.png"), np.zeros((40, 48, 3), np.uint8))
    model = ["--model", str(tiny_plain_tflite)]
    cases = [
        ([str(broken), *model], "cannot open video"),
        ([str(tmp_path / "nothing.mp4"), *model], "video not found"),
        ([str(mixed), *model], "frames of one clip must share a size"),
        ([str(clip_dir), "--model", str(tmp_path / "missing.tflite")], "model not found"),
        ([str(clip_dir), *model, "--size", "big"], "bad --size"),
        ([str(clip_dir), *model, "--frames", "1"], "--frames must be at least 2"),
        ([str(clip_dir), *model, "--style-image", str(tmp_path / "none.jpg")], "style image not found"),
    ]
    for args, message in cases:
        out = tmp_path / "out"
        result = _cli("eval", *args, "--out", str(out))
        errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        assert result.returncode == 1, (args, result.stderr)
        assert "Traceback" not in result.stderr and len(errors) == 1 and message in errors[0], result.stderr
        assert not out.exists()  # nothing half-written


def test_style_image_comes_from_the_training_record(clip_dir, style_png, tmp_path):
    from edgestyle.contract import embed_contract, read_embedded_contract
    from edgestyle.evaluation.evaluate import evaluate_video

    data = STATEFUL.read_bytes()
    contract = read_embedded_contract(data)
    contract.provenance["training"] = {
        "styles": [{"name": "b", "teacher": "cartoon", "style_image": str(style_png)}]
    }
    model = tmp_path / "recorded.tflite"
    model.write_bytes(embed_contract(data, contract))
    report = evaluate_video(clip_dir, [str(model)], tmp_path / "out", frames=3, style="b")
    assert report["style_image"] == str(style_png)
    assert report["style_image_from"] == "the model's training record"
    assert all(row["style_distance"] > 0 for row in report["rows"])
    # The default style "a" has no recorded style image: no style distance, and no error either.
    other = evaluate_video(clip_dir, [str(model)], tmp_path / "out2", frames=3)
    assert other["style_image"] is None and "style_distance" not in other["rows"][0]
