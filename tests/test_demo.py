"""``make demo`` end to end: the shipped footage through every style (and a picture), a playable
side-by-side video and a contact sheet."""

from __future__ import annotations

from pathlib import Path

import cv2

from edgestyle.demo import DEMO_CLIP, main
from edgestyle.package_data import data_dir

CODE_MODEL = Path(__file__).parent / "data" / "tiny_code_int8.tflite"  # takes any picture as its style


def _frames(path: Path) -> tuple[int, int, int]:
    capture = cv2.VideoCapture(str(path))
    count = 0
    while capture.read()[0]:
        count += 1
    return count, int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))


def test_the_demo_footage_ships_with_its_attribution() -> None:
    clip = data_dir("models") / DEMO_CLIP
    assert _frames(clip) == (75, 384, 216)  # 3 s at 25 fps, 384 px wide
    attribution = (clip.parent / "ATTRIBUTION.md").read_text()
    assert "Blender Foundation" in attribution and "CC BY 3.0" in attribution


def test_demo_writes_a_playable_video_and_a_sheet(tmp_path, tiny_stateful_tflite, capsys) -> None:
    assert main(["--out", str(tmp_path), "--model", str(tiny_stateful_tflite), "--frames", "12"]) == 0
    assert _frames(tmp_path / "demo.mp4") == (12, 2 * 384, 216)  # input | stylized, the real footage
    sheet = cv2.imread(str(tmp_path / "demo_sheet.png"))
    assert sheet is not None and sheet.shape[0] > 3 * 100
    assert "demo.mp4" in capsys.readouterr().out


def test_demo_shows_a_picture_as_a_style_for_a_code_model(tmp_path, capsys) -> None:
    assert main(["--out", str(tmp_path), "--model", str(CODE_MODEL), "--frames", "6"]) == 0
    err = capsys.readouterr().err
    assert "[picture demo_style.png]" in err
    assert cv2.imread(str(tmp_path / "demo_style.png")).shape == (384, 384, 3)


def test_demo_can_still_generate_its_footage(tmp_path, tiny_stateful_tflite) -> None:
    args = ["--out", str(tmp_path), "--model", str(tiny_stateful_tflite), "--frames", "8", "--synthetic"]
    assert main(args) == 0
    assert _frames(tmp_path / "demo.mp4") == (8, 2 * 384, 288)


def test_demo_with_a_missing_model_is_one_line(tmp_path, capsys) -> None:
    assert main(["--out", str(tmp_path), "--model", str(tmp_path / "nope.tflite")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: model file not found")
    assert not (tmp_path / "demo.mp4").exists()
