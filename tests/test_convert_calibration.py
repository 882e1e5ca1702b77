"""Calibration frames from folders of images and videos (OpenCV only, no TensorFlow)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from edgestyle.conversion.calibration import read_frame_folder, recurrent_samples, with_full_range
from edgestyle.errors import EdgestyleError


def write_clip(path: Path, frames: int, bgr: tuple[int, int, int]) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (40, 30))
    for _ in range(frames):
        writer.write(np.full((30, 40, 3), bgr, np.uint8))
    writer.release()


def test_images_and_videos_in_name_order_resized_rgb_in_unit_range(tmp_path):
    cv2.imwrite(str(tmp_path / "a.png"), np.full((60, 80, 3), (255, 0, 0), np.uint8))  # BGR blue
    write_clip(tmp_path / "b.avi", 3, (0, 0, 255))  # BGR red
    (tmp_path / "c.txt").write_text("not a frame")
    frames = read_frame_folder(tmp_path, 16, 12)
    assert len(frames) == 4 and all(f.shape == (12, 16, 3) and f.dtype == np.float32 for f in frames)
    assert frames[0][..., 2].mean() > 0.95 and frames[0][..., 0].mean() < 0.05  # RGB: blue is channel 2
    assert frames[1][..., 0].mean() > 0.9  # red
    assert len(read_frame_folder(tmp_path, 16, 12, limit=2)) == 2
    assert len(read_frame_folder(tmp_path / "b.avi", 16, 12)) == 3  # a single video works too


def test_missing_or_empty_calibration_input(tmp_path):
    with pytest.raises(EdgestyleError, match="calibration folder not found"):
        read_frame_folder(tmp_path / "nope", 16, 12)
    with pytest.raises(EdgestyleError, match="no readable frames"):
        read_frame_folder(tmp_path, 16, 12)


def test_samples_follow_the_recurrence_and_cover_every_style():
    """state_in of step t is exactly what the float model returned as state_out at step t-1."""
    calls = []

    def step(inputs):
        calls.append(inputs)
        return {"state_out_0": inputs["state_in_0"] + inputs["frame"].mean() + inputs["style"].sum()}

    frames = [np.full((4, 4, 3), v, np.float32) for v in (0.2, 0.4, 0.6)]
    styles = [np.array([1.0, 0.0], np.float32), np.array([0.0, 2.0], np.float32)]
    samples = recurrent_samples(
        step, frames, [("state_in_0", "state_out_0")], {"state_in_0": (1, 2, 2, 1)}, styles
    )
    assert len(samples) == 6
    for style_index in range(2):
        run = samples[3 * style_index : 3 * style_index + 3]
        assert not run[0]["state_in_0"].any(), "each style's run starts from a zero state"
        for before, after in zip(run, run[1:], strict=False):
            expected = before["state_in_0"] + before["frame"].mean() + before["style"].sum()
            np.testing.assert_allclose(after["state_in_0"], expected)
    frame = samples[0]["frame"][0]
    assert frame.min() == 0.0 and frame.max() == 1.0 and with_full_range(frames[1]).max() == 1.0
