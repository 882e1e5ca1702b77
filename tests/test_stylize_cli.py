"""``edgestyle stylize``: photo -> photo, folder -> folder (names, sizes, EXIF), stdin/stdout, video with
audio, the summary line, and the bad inputs of issue #15 as one-line errors."""

from __future__ import annotations

import dataclasses
import struct
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from edgestyle.cli import app
from edgestyle.contract import infer_contract, sidecar_path
from edgestyle.errors import EdgestyleError
from edgestyle.runtime.interpreter import TFLiteModel
from edgestyle.runtime.stylizer import Stylizer
from edgestyle.synthetic import moving_scene, write_clip_with_audio

MODEL = str(Path(__file__).parent / "data" / "tiny_stateful_dev.tflite")
PLAIN = Path(__file__).parent / "data" / "tiny_plain.tflite"


def jpeg_with_orientation(image: np.ndarray, orientation: int) -> bytes:
    """A JPEG whose EXIF says how to turn it (6: rotate 90 degrees clockwise to view)."""
    tiff = b"II*\x00" + struct.pack("<IH", 8, 1) + struct.pack("<HHIHH", 0x0112, 3, 1, orientation, 0)
    app1 = b"Exif\x00\x00" + tiff + struct.pack("<I", 0)
    jpeg = cv2.imencode(".jpg", image)[1].tobytes()
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + jpeg[2:]


def stylize(*args: str, **kwargs):
    return CliRunner().invoke(app, ["stylize", *args, "-m", MODEL], **kwargs)


def test_photo_to_photo_keeps_size_and_turns_exif_upright(tmp_path):
    frame = moving_scene(1, 80, 40)[0]
    (tmp_path / "cam.jpg").write_bytes(jpeg_with_orientation(frame, 6))
    result = stylize(str(tmp_path / "cam.jpg"), "-o", str(tmp_path / "out.png"), "--style", "b")
    assert result.exit_code == 0, result.output
    assert cv2.imread(str(tmp_path / "out.png")).shape == (80, 40, 3)  # shown upright: 40 wide
    assert (
        "stylized 1 photo in" in result.output and "photos/s" in result.output and "style b" in result.output
    )


def test_folder_to_folder_mixed_sizes_non_images_and_a_broken_one(tmp_path):
    src, dst = tmp_path / "photos", tmp_path / "styled"
    src.mkdir()
    sizes = {"a.png": (64, 40), "b.jpg": (33, 71), "c.webp": (120, 90)}
    for name, (w, h) in sizes.items():
        cv2.imwrite(str(src / name), moving_scene(1, w, h)[0])
    (src / "portrait.jpg").write_bytes(jpeg_with_orientation(moving_scene(1, 50, 30)[0], 8))
    (src / "notes.txt").write_text("not a photo")
    (src / "broken.png").write_bytes(b"\x89PNG truncated")
    (src / "raw").mkdir()
    result = stylize(str(src), "-o", str(dst))
    assert result.exit_code == 1
    assert "notes.txt" in result.output and "raw/" in result.output  # skipped, named
    assert "error: 1 of 5 photos could not be read or decoded: broken.png" in result.output
    assert "Traceback" not in result.output
    assert sorted(p.name for p in dst.iterdir()) == ["a.png", "b.jpg", "c.webp", "portrait.jpg"]
    for name, (w, h) in sizes.items():
        assert cv2.imread(str(dst / name)).shape == (h, w, 3)
    assert cv2.imread(str(dst / "portrait.jpg")).shape == (50, 30, 3)


def test_stdin_to_stdout(tmp_path):
    data = cv2.imencode(".png", moving_scene(1, 48, 36)[0])[1].tobytes()
    result = CliRunner().invoke(app, ["stylize", "-", "-o", "-", "-m", MODEL], input=data)
    assert result.exit_code == 0, result.stderr
    assert result.stdout_bytes.startswith(b"\x89PNG")  # the input's format
    image = cv2.imdecode(np.frombuffer(result.stdout_bytes, np.uint8), cv2.IMREAD_COLOR)
    assert image.shape == (36, 48, 3)


def test_video_keeps_its_audio_and_reports_time_and_style(tmp_path):
    clip = tmp_path / "talk.mp4"
    write_clip_with_audio(str(clip), frames=30, size=(64, 48), fps=15)
    result = stylize(str(clip), "-o", str(tmp_path / "out.mp4"), "--style", "a")
    assert result.exit_code == 0, result.output
    assert "wrote 30 frames (2.0 s at 15 fps)" in result.output
    assert "style a; audio copied aac" in result.output and "tiny_stateful_dev.tflite" in result.output
    with av.open(str(clip)) as a, av.open(str(tmp_path / "out.mp4")) as b:
        assert b.streams.video[0].codec_context.name == "h264"
        assert b.streams.video[0].frames == a.streams.video[0].frames == 30
        assert b.streams.audio[0].duration == a.streams.audio[0].duration


@pytest.mark.parametrize(
    "args, message",
    [
        (["missing.jpg", "-o", "o.png"], "image not found"),
        (["in.png", "-o", "o.gif"], "unsupported image extension '.gif'"),
        (["in.png", "-o", "nowhere/o.png"], "output directory does not exist"),
        (["clip.mp4", "-o", "o.png"], "clip.mp4 is a video"),
        (["clip.mp4", "-o", "-"], "-o - (stdout) takes one photo"),
        (["folder", "-o", "folder"], "output folder is the input folder"),
    ],
)
def test_bad_photo_arguments_are_one_line(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    cv2.imwrite("in.png", moving_scene(1, 32, 32)[0])
    Path("clip.mp4").write_bytes(b"")
    Path("folder").mkdir()
    cv2.imwrite("folder/x.png", moving_scene(1, 32, 32)[0])
    result = stylize(*args)
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output


def test_single_style_model_accepts_its_own_style_name(tmp_path):
    model = tmp_path / "mosaic.tflite"
    model.write_bytes(PLAIN.read_bytes())
    contract = infer_contract(*TFLiteModel(model).details(), name="mosaic")
    sidecar_path(model).write_text(
        dataclasses.replace(contract, baked_style="mosaic", inferred=False).to_json()
    )
    assert Stylizer(model, style="mosaic").style_label == "mosaic"
    assert Stylizer(model, style={"mosaic": 1.0}).style_label == "mosaic"
    with pytest.raises(EdgestyleError, match="always paints one style .'mosaic'."):
        Stylizer(model, style="udnie")
