"""Temporal warping error (Lai et al. 2018, "Learning Blind Video Temporal Consistency").

For consecutive frames t-1, t: estimate optical flow on the *input* frames (OpenCV DIS), warp the
previous *output* to frame t, drop pixels that are occluded (forward-backward consistency check
and motion boundaries, as in Ruder et al. 2016 and Lai's reference code) or whose source lies
outside frame t-1, and average the squared difference over the remaining pixels and channels, on
images scaled to [0, 1]. The flow depends only on the input, so it is computed once per clip and
shared by every model; the input's own error is the floor a perfectly stable stylizer would reach.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from edgestyle.errors import EdgestyleError

# Thresholds from Lai et al.'s reference implementation (utils.detect_occlusion).
CONSISTENCY_RELATIVE = 0.01
CONSISTENCY_ABSOLUTE = 0.5
BOUNDARY_RELATIVE = 0.01
BOUNDARY_ABSOLUTE = 0.002


@dataclass
class FlowPair:
    """Where each pixel of frame t came from in frame t-1, and which pixels can be compared."""

    source_map: np.ndarray  # (H, W, 2) float32 absolute x, y in frame t-1, for cv2.remap
    valid: np.ndarray  # (H, W) bool: not occluded, not a motion boundary, source inside frame t-1

    @property
    def valid_fraction(self) -> float:
        return float(self.valid.mean())


def _gray(frame: np.ndarray) -> np.ndarray:
    import cv2

    if frame.ndim == 2:
        return frame if frame.dtype == np.uint8 else to_uint8(frame)
    return cv2.cvtColor(frame if frame.dtype == np.uint8 else to_uint8(frame), cv2.COLOR_BGR2GRAY)


def to_uint8(image: np.ndarray) -> np.ndarray:
    """Float [0, 1] -> uint8; uint8 passes through."""
    if image.dtype == np.uint8:
        return image
    return np.clip(np.round(image * 255.0), 0, 255).astype(np.uint8)


def to_unit_float(image: np.ndarray) -> np.ndarray:
    """uint8 -> float32 in [0, 1]; float images are taken to be in [0, 1] already."""
    if image.dtype == np.uint8:
        return image.astype(np.float32) / 255.0
    return image.astype(np.float32)


def dis_flow(first_gray: np.ndarray, second_gray: np.ndarray) -> np.ndarray:
    """Dense flow F with first(x) ~ second(x + F(x)), by OpenCV's DIS (medium preset)."""
    import cv2

    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    return dis.calc(first_gray, second_gray, None)


def _grid(height: int, width: int) -> np.ndarray:
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    return np.stack([xs, ys], axis=-1)


def _remap(image: np.ndarray, source_map: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.remap(
        image, source_map[..., 0], source_map[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )


def flow_pair(previous_frame: np.ndarray, current_frame: np.ndarray) -> FlowPair:
    """Flow and validity mask for warping anything aligned with ``previous_frame`` onto ``current_frame``."""
    prev_gray, cur_gray = _gray(previous_frame), _gray(current_frame)
    if prev_gray.shape != cur_gray.shape:
        raise EdgestyleError(f"frames change size mid-clip: {prev_gray.shape} then {cur_gray.shape}")
    height, width = cur_gray.shape
    backward = dis_flow(cur_gray, prev_gray)  # t -> t-1
    forward = dis_flow(prev_gray, cur_gray)  # t-1 -> t
    source_map = _grid(height, width) + backward

    forward_at_source = _remap(forward, source_map)
    round_trip = np.sum((forward_at_source + backward) ** 2, axis=-1)
    magnitudes = np.sum(forward_at_source**2, axis=-1) + np.sum(backward**2, axis=-1)
    occluded = round_trip > CONSISTENCY_RELATIVE * magnitudes + CONSISTENCY_ABSOLUTE

    du_dy, du_dx = np.gradient(backward[..., 0])
    dv_dy, dv_dx = np.gradient(backward[..., 1])
    gradient = du_dx**2 + dv_dx**2 + du_dy**2 + dv_dy**2
    boundary = gradient > BOUNDARY_RELATIVE * np.sum(backward**2, axis=-1) + BOUNDARY_ABSOLUTE

    xs, ys = source_map[..., 0], source_map[..., 1]
    inside = (xs >= 0) & (xs <= width - 1) & (ys >= 0) & (ys <= height - 1)
    return FlowPair(source_map=source_map, valid=inside & ~occluded & ~boundary)


def flow_pairs(frames: Sequence[np.ndarray], progress: Iterable[int] | None = None) -> list[FlowPair]:
    """One :class:`FlowPair` per consecutive pair of input frames (len(frames) - 1 of them)."""
    steps = progress if progress is not None else range(1, len(frames))
    return [flow_pair(frames[t - 1], frames[t]) for t in steps]


def warp_previous(previous_output: np.ndarray, pair: FlowPair) -> np.ndarray:
    """The previous output moved onto the current frame's pixel grid."""
    return _remap(previous_output, pair.source_map)


def _difference(previous_output: np.ndarray, current_output: np.ndarray, pair: FlowPair) -> np.ndarray:
    """current - warped previous, [H, W, C] on the [0, 1] scale, after checking both match the flow's size."""
    if previous_output.shape[:2] != pair.valid.shape or current_output.shape[:2] != pair.valid.shape:
        raise EdgestyleError(
            f"output size {current_output.shape[:2]} differs from the input frames {pair.valid.shape}"
        )
    return to_unit_float(current_output) - to_unit_float(warp_previous(previous_output, pair))


def pair_error(previous_output: np.ndarray, current_output: np.ndarray, pair: FlowPair) -> float:
    """Masked mean squared error (over valid pixels and channels, [0, 1] scale); NaN if nothing is valid."""
    diff = _difference(previous_output, current_output, pair)
    if not pair.valid.any():
        return float("nan")
    return float(np.mean(diff[pair.valid] ** 2))


def warping_error_map(outputs: Sequence[np.ndarray], pairs: Sequence[FlowPair]) -> np.ndarray:
    """Where the warping error sits: each pixel's squared error (mean over channels) averaged over
    the pairs in which it is valid, [H, W] float32 on the [0, 1] scale (0 where never valid).

    Why: the clip's one number says how much a model flickers, not where; crawl on flat walls and
    skies, a rim along the frame edge and shimmer on moving outlines all raise it alike.
    """
    if len(outputs) != len(pairs) + 1:
        raise EdgestyleError(f"{len(outputs)} outputs for {len(pairs) + 1} input frames")
    total = np.zeros(pairs[0].valid.shape if pairs else outputs[0].shape[:2], np.float64)
    count = np.zeros_like(total)
    for t, pair in enumerate(pairs, start=1):
        squared = np.mean(_difference(outputs[t - 1], outputs[t], pair) ** 2, axis=-1)
        total += np.where(pair.valid, squared, 0.0)
        count += pair.valid
    return (total / np.maximum(count, 1)).astype(np.float32)


def warping_errors(outputs: Sequence[np.ndarray], pairs: Sequence[FlowPair]) -> np.ndarray:
    """Per-pair warping error of a sequence of outputs aligned with the frames ``pairs`` came from."""
    if len(outputs) != len(pairs) + 1:
        raise EdgestyleError(f"{len(outputs)} outputs for {len(pairs) + 1} input frames")
    return np.array([pair_error(outputs[t - 1], outputs[t], pairs[t - 1]) for t in range(1, len(outputs))])


def warping_error(outputs: Sequence[np.ndarray], pairs: Sequence[FlowPair]) -> float:
    """Mean warping error over the clip (pairs with no valid pixel are skipped)."""
    errors = warping_errors(outputs, pairs)
    return float(np.nanmean(errors)) if np.any(np.isfinite(errors)) else float("nan")
