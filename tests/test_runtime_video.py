"""Video I/O and ``edgestyle stylize``: frame counts, sizes, atomic outputs, one-line errors, no TensorFlow."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from edgestyle.cli import app
from edgestyle.errors import EdgestyleError
from edgestyle.runtime.video_io import VideoFileWriter, probe_video, read_frames
from edgestyle.synthetic import moving_scene

DEV_MODEL = Path(__file__).parent / "data" / "tiny_stateful_dev.tflite"
SIZE = (96, 64)


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    """A generated 60-frame 96x64 mp4 at 24 fps."""
    path = tmp_path_factory.mktemp("clip") / "in.mp4"
    with VideoFileWriter(path, 24, SIZE) as writer:
        for frame in moving_scene(60, *SIZE):
            writer.write(frame)
    return path


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if ".partial" in p.name or ".recording." in p.name]


def test_writer_and_reader_round_trip(clip):
    assert probe_video(clip) == (24.0, 60, SIZE)
    frames = list(read_frames(clip))
    assert len(frames) == 60 and frames[0].shape == (64, 96, 3)
    assert not leftovers(clip.parent)


def test_image_folder_is_a_video(tmp_path):
    for i, frame in enumerate(moving_scene(5, 40, 30)):
        cv2.imwrite(str(tmp_path / f"f{i:03d}.png"), frame)
    assert probe_video(tmp_path, default_fps=12)[1:] == (5, (40, 30))
    assert len(list(read_frames(tmp_path))) == 5


def test_failed_recording_leaves_nothing(tmp_path):
    target = tmp_path / "out.mp4"
    with pytest.raises(ValueError), VideoFileWriter(target, 10, (32, 32)) as writer:
        writer.write(np.zeros((32, 32, 3), np.uint8))
        raise ValueError("boom")
    with VideoFileWriter(target, 10, (32, 32)):
        pass  # no frames: not a video
    assert not target.exists() and not leftovers(tmp_path)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda d: d / "missing.mp4", "video not found"),
        (lambda d: (d / "junk.mp4").write_bytes(b"junk" * 100) and d / "junk.mp4", "cannot open video"),
        (lambda d: (d / "empty").mkdir() or d / "empty", "no images in folder"),
    ],
)
def test_unreadable_inputs_are_one_clear_error(tmp_path, make, message):
    with pytest.raises(EdgestyleError, match=message):
        read_frames(make(tmp_path))


def test_stylize_cli_bad_inputs(tmp_path, clip):
    runner = CliRunner()
    out = tmp_path / "out.mp4"
    cases = [
        (["stylize", str(clip), "-o", str(out), "-m", str(tmp_path / "nope.tflite")], "model file not found"),
        (["stylize", str(tmp_path / "nope.mp4"), "-o", str(out), "-m", str(DEV_MODEL)], "video not found"),
        (
            ["stylize", str(clip), "-o", str(tmp_path / "no" / "o.mp4"), "-m", str(DEV_MODEL)],
            "does not exist",
        ),
        (["stylize", str(clip), "-o", str(out), "-m", str(clip)], "cannot load model"),
        (["stylize", str(clip), "-o", str(tmp_path / "o.gif"), "-m", str(DEV_MODEL)], "unsupported video"),
    ]
    for args, message in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 1, (args, result.output)
        assert message in result.output and "Traceback" not in result.output
    assert not out.exists() and not leftovers(tmp_path)


def test_stylize_60_frames_without_tensorflow(tmp_path, clip, no_tensorflow_env):
    """The board path: `edgestyle stylize` with TensorFlow impossible to import, 60 frames in -> 60 out."""
    env = no_tensorflow_env
    out = tmp_path / "styled.mp4"
    code = "from edgestyle.cli import main; main()"
    args = ["stylize", str(clip), "-o", str(out), "-m", str(DEV_MODEL), "--style", "b"]
    proc = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert "TF_IMPORTED" not in proc.stderr
    assert "INFO:" not in proc.stderr and "wrote 60 frames" in proc.stderr  # quiet: only our summary
    assert proc.stderr.count("\n") == 1, proc.stderr
    probe = subprocess.run(
        [sys.executable, "-c", "import tensorflow"], env=env, capture_output=True, text=True, timeout=60
    )
    assert probe.returncode != 0  # the blocker really blocks
    fps, count, size = probe_video(out)
    assert (count, size, fps) == (60, SIZE, 24.0)
    assert len(list(read_frames(out))) == 60
