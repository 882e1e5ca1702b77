"""How much an output looks like a style image, without a downloaded network.

Sliced-Wasserstein distance (SWD) between the distributions of colours and of small patches at
several scales of a Gaussian pyramid, output vs style image. Colours catch the palette; patches
(mean-removed, so they describe texture and strokes rather than colour) catch brush work at fine
and coarse scales. Lower is closer; it is meant for ranking models against each other and against
the teacher on the same clip and style image, not as an absolute score.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from edgestyle.errors import EdgestyleError

PATCH = 5
PYRAMID_LEVELS = 3
SAMPLES = 4096
DIRECTIONS = 64
SEED = 0


@dataclass
class StyleScore:
    """Mean sliced-Wasserstein distance over levels, and each level's own distance."""

    distance: float
    levels: dict[str, float] = field(default_factory=dict)


def _unit_rgb(image_bgr: np.ndarray) -> np.ndarray:
    if image_bgr.ndim != 3 or image_bgr.shape[-1] != 3:
        raise EdgestyleError(f"expected a colour image, got shape {image_bgr.shape}")
    rgb = image_bgr[..., ::-1]
    return rgb.astype(np.float32) / 255.0 if rgb.dtype == np.uint8 else rgb.astype(np.float32)


def _patches(image: np.ndarray, size: int) -> np.ndarray:
    """All size x size patches as rows (flattened), each with its own mean colour removed."""
    windows = np.lib.stride_tricks.sliding_window_view(image, (size, size), axis=(0, 1))
    rows = windows.reshape(-1, image.shape[-1], size * size)
    rows = rows - rows.mean(axis=-1, keepdims=True)
    return rows.reshape(rows.shape[0], -1)


def _sample(rows: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    if len(rows) <= count:
        return rows
    return rows[rng.choice(len(rows), size=count, replace=False)]


def feature_sets(image_bgr: np.ndarray, samples: int = SAMPLES, seed: int = SEED) -> dict[str, np.ndarray]:
    """Named sample sets: ``colour`` (RGB pixels) and ``patches@1/k`` for each pyramid level."""
    import cv2

    rng = np.random.default_rng(seed)
    image = _unit_rgb(image_bgr)
    sets = {"colour": _sample(image.reshape(-1, 3), samples, rng)}
    level = image
    for index in range(PYRAMID_LEVELS):
        if min(level.shape[:2]) < PATCH:
            break
        sets[f"patches@1/{2**index}"] = _sample(_patches(level, PATCH), samples, rng)
        level = cv2.pyrDown(level)
    return sets


def _directions(dim: int, count: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed + dim)
    d = rng.standard_normal((dim, count))
    return d / np.linalg.norm(d, axis=0, keepdims=True)


def sliced_wasserstein(a: np.ndarray, b: np.ndarray, directions: int = DIRECTIONS, seed: int = SEED) -> float:
    """Mean 1-Wasserstein distance between the 1-D projections of two sample sets on random directions.

    The sets may differ in size: each projection is compared at matching quantiles.
    """
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise EdgestyleError(f"sample sets of different dimension: {a.shape} and {b.shape}")
    axes = _directions(a.shape[1], directions, seed)
    pa, pb = np.sort(a @ axes, axis=0), np.sort(b @ axes, axis=0)
    quantiles = np.linspace(0.0, 1.0, max(len(pa), len(pb)))
    qa = np.stack([np.interp(quantiles, np.linspace(0, 1, len(pa)), pa[:, k]) for k in range(directions)])
    qb = np.stack([np.interp(quantiles, np.linspace(0, 1, len(pb)), pb[:, k]) for k in range(directions)])
    return float(np.mean(np.abs(qa - qb)))


def match_style_size(style_bgr: np.ndarray, reference_shape: tuple[int, ...]) -> np.ndarray:
    """Resize the style image so its short side equals the output's, so patch scales are comparable."""
    import cv2

    short = min(reference_shape[:2])
    h, w = style_bgr.shape[:2]
    factor = short / min(h, w)
    size = (max(PATCH, round(w * factor)), max(PATCH, round(h * factor)))
    return cv2.resize(style_bgr, size, interpolation=cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC)


def _pooled_sets(frames: Sequence[np.ndarray]) -> dict[str, np.ndarray]:
    """Feature sets of several frames pooled into one sample set per feature."""
    per_frame = [feature_sets(frame, samples=max(256, SAMPLES // len(frames))) for frame in frames]
    return {name: np.concatenate([sets[name] for sets in per_frame if name in sets]) for name in per_frame[0]}


def style_distance(outputs: Sequence[np.ndarray], style: np.ndarray | Sequence[np.ndarray]) -> StyleScore:
    """SWD between the outputs (features pooled over the given frames) and a style reference: one
    style image (scaled to the outputs' short side), or frames of a reference video (e.g. a per-frame
    filter's own outputs, for a style that has no painting)."""
    if not len(outputs):
        raise EdgestyleError("no output frames to compare with the style image")
    if isinstance(style, np.ndarray):
        style_sets = feature_sets(match_style_size(style, outputs[0].shape))
    else:
        style_sets = _pooled_sets(style)
    out_sets = _pooled_sets(outputs)
    levels = {
        name: sliced_wasserstein(out_sets[name], style_rows)
        for name, style_rows in style_sets.items()
        if name in out_sets
    }
    return StyleScore(distance=float(np.mean(list(levels.values()))), levels=levels)


def gap_closed(input_distance: float, distance: float, reference_distance: float) -> float | None:
    """Share of the input -> reference style gap an output closes: 0 = no closer than the input,
    1 = as close as the reference (the teacher); None when the reference is no closer than the input."""
    gap = input_distance - reference_distance
    return None if gap <= 1e-12 else (input_distance - distance) / gap
