"""Calibration frames and the recurrent representative dataset.

The int8 ranges of the recurrent state are only right if they are calibrated on the states the
model really holds, so the float model is run *recurrently* over each clip (state_out of frame t
is state_in of frame t+1) and every step's inputs become one calibration sample. Each clip is run
once per named style (and once for an even blend), so the style input sees every vector.

Every calibration frame has one pure-black and one pure-white pixel: the frame input's int8 range
is then exactly [0, 1], and the uint8 frame input (scale 1/255, zero point 0) maps onto it by a
plain offset, with no rounding.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from edgestyle.errors import EdgestyleError
from edgestyle.runtime.video_io import IMAGE_SUFFIXES, VIDEO_SUFFIXES


def read_frame_folder(folder: str | Path, width: int, height: int, limit: int = 64) -> list[np.ndarray]:
    """Up to ``limit`` RGB float32 frames in [0, 1] at ``width`` x ``height`` from images or videos in ``folder``.

    Files are taken in name order (a folder of numbered frames is a clip); unreadable files are
    skipped, and a folder with no readable frame at all is an error.
    """
    import cv2

    path = Path(folder)
    if not path.exists():
        raise EdgestyleError(f"calibration folder not found: {path}")
    candidates = sorted(path.iterdir()) if path.is_dir() else [path]  # a single video or image is fine too
    files = [p for p in candidates if p.suffix.lower() in IMAGE_SUFFIXES + VIDEO_SUFFIXES]
    frames: list[np.ndarray] = []
    for file in files:
        if len(frames) >= limit:
            break
        if file.suffix.lower() in VIDEO_SUFFIXES:
            capture = cv2.VideoCapture(str(file))
            while len(frames) < limit:
                ok, bgr = capture.read()
                if not ok:
                    break
                frames.append(_to_model_frame(bgr, width, height))
            capture.release()
        else:
            bgr = cv2.imread(str(file), cv2.IMREAD_COLOR)
            if bgr is not None:
                frames.append(_to_model_frame(bgr, width, height))
    if not frames:
        raise EdgestyleError(
            f"calibration folder {path} has no readable frames (images: {', '.join(IMAGE_SUFFIXES)}; "
            f"videos: {', '.join(VIDEO_SUFFIXES)})"
        )
    return frames


def generated_frames(width: int, height: int, count: int = 32, seed: int = 0) -> list[np.ndarray]:
    """A generated clip (panning texture + moving shapes) for when no real frames are given."""
    from edgestyle.synthetic import moving_scene

    return [_to_model_frame(bgr, width, height) for bgr in moving_scene(count, width, height, seed=seed)]


def _to_model_frame(bgr: np.ndarray, width: int, height: int) -> np.ndarray:
    import cv2

    if bgr.shape[:2] != (height, width):
        bgr = cv2.resize(bgr, (width, height), interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0


def with_full_range(frame: np.ndarray) -> np.ndarray:
    """A copy with one 0.0 and one 1.0 pixel, so the calibrated frame range is exactly [0, 1]."""
    out = frame.copy()
    out[0, 0, :] = 0.0
    out[0, -1, :] = 1.0
    return out


def style_settings(style_table: dict[str, Any] | None, baked: bool) -> list[np.ndarray | None]:
    """The style vectors to calibrate with: each named one and an even blend (None: no style input)."""
    if baked or not style_table:
        return [None]
    vectors = [np.asarray(v, np.float32) for v in style_table["vectors"]]
    blends = [np.mean(vectors, axis=0)] if len(vectors) > 1 else []
    return vectors + blends


def recurrent_samples(
    step: Any,
    frames: list[np.ndarray],
    state_pairs: list[tuple[str, str]],
    state_shapes: dict[str, tuple[int, ...]],
    styles: list[np.ndarray | None],
) -> list[dict[str, np.ndarray]]:
    """Inputs of every step of the float model run recurrently over ``frames`` once per style.

    ``step(inputs) -> outputs`` is one call of the float model with dict I/O (batch 1).
    """
    samples: list[dict[str, np.ndarray]] = []
    for style in styles:
        states = {key: np.zeros(state_shapes[key], np.float32) for key, _ in state_pairs}
        for frame in frames:
            inputs = {"frame": with_full_range(frame)[None], **states}
            if style is not None:
                inputs["style"] = style[None]
            samples.append(inputs)
            outputs = step(inputs)
            states = {key_in: np.asarray(outputs[key_out], np.float32) for key_in, key_out in state_pairs}
    return samples


def representative_dataset(samples: list[dict[str, np.ndarray]]) -> Iterator[dict[str, np.ndarray]]:
    """The converter's representative dataset: one dict of named float inputs per sample."""
    yield from samples
