"""``make demo`` end to end on the shared tiny model: a playable side-by-side video and a contact sheet."""

from __future__ import annotations

import cv2

from edgestyle.demo import main


def test_demo_writes_a_playable_video_and_a_sheet(tmp_path, tiny_stateful_tflite, capsys) -> None:
    assert main(["--out", str(tmp_path), "--model", str(tiny_stateful_tflite), "--frames", "12"]) == 0
    capture = cv2.VideoCapture(str(tmp_path / "demo.mp4"))
    count = 0
    while capture.read()[0]:
        count += 1
    assert count == 12
    assert capture.get(cv2.CAP_PROP_FRAME_WIDTH) == 2 * 384  # input | stylized
    sheet = cv2.imread(str(tmp_path / "demo_sheet.png"))
    assert sheet is not None and sheet.shape[0] > 4 * 100
    assert "demo.mp4" in capsys.readouterr().out


def test_demo_with_a_missing_model_is_one_line(tmp_path, capsys) -> None:
    assert main(["--out", str(tmp_path), "--model", str(tmp_path / "nope.tflite")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: model file not found")
    assert not (tmp_path / "demo.mp4").exists()
