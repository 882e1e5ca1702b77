"""Pictures for people who would rather look than read: a labelled contact sheet and a stability plot.

Both are drawn with OpenCV alone (no matplotlib), so they can be made on a board too.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import numpy as np

from edgestyle.atomic import write_bytes_atomic
from edgestyle.errors import EdgestyleError

FONT = 0  # cv2.FONT_HERSHEY_SIMPLEX
BACKGROUND = (255, 255, 255)
INK = (30, 30, 30)
GRID = (225, 225, 225)
# Distinct BGR line colours for the plot (tab10-like).
PALETTE = [
    (180, 119, 31),
    (14, 127, 255),
    (44, 160, 44),
    (40, 39, 214),
    (189, 103, 148),
    (75, 86, 140),
    (194, 119, 227),
    (127, 127, 127),
    (34, 189, 188),
    (207, 190, 23),
]


def pick_frames(count: int, wanted: int = 4) -> list[int]:
    """``wanted`` frame indices spread evenly over a clip of ``count`` frames (first and last included)."""
    if count <= 0:
        return []
    return sorted({int(round(i)) for i in np.linspace(0, count - 1, min(wanted, count))})


def _text(canvas: np.ndarray, text: str, origin: tuple[int, int], scale: float = 0.5) -> None:
    import cv2

    cv2.putText(canvas, text, origin, FONT, scale, INK, 1, cv2.LINE_AA)


def _fit_label(text: str, width: int, scale: float) -> str:
    """``text``, cut in the middle until it fits: both ends stay, so the second run of a file with
    the same name keeps its "#2", and a long file name its start and its suffix."""
    import cv2

    def fits(label: str) -> bool:
        return cv2.getTextSize(label, FONT, scale, 1)[0][0] <= width - 8

    keep = len(text)
    label = text
    while keep > 2 and not fits(label):
        keep -= 1
        label = text[: (keep + 1) // 2] + "..." + text[len(text) - keep // 2 :]
    return label


def contact_sheet(
    columns: Mapping[str, Sequence[np.ndarray]], frame_indices: Sequence[int], tile_width: int = 256
) -> np.ndarray:
    """A grid image: one column per label (input, each model, teacher), one row per chosen frame.

    Every column must hold the whole clip (BGR uint8 frames); tiles are scaled to ``tile_width``.
    """
    import cv2

    if not columns or not frame_indices:
        raise EdgestyleError("nothing to put on the contact sheet")
    first = next(iter(columns.values()))[frame_indices[0]]
    tile_height = max(1, round(first.shape[0] * tile_width / first.shape[1]))
    header, margin, row_label = 28, 4, 56
    width = row_label + len(columns) * (tile_width + margin)
    height = header + len(frame_indices) * (tile_height + margin)
    sheet = np.full((height, width, 3), BACKGROUND, np.uint8)
    for c, (label, frames) in enumerate(columns.items()):
        x = row_label + c * (tile_width + margin)
        _text(sheet, _fit_label(label, tile_width, 0.5), (x + 4, 19))
        for r, index in enumerate(frame_indices):
            y = header + r * (tile_height + margin)
            tile = cv2.resize(frames[index], (tile_width, tile_height), interpolation=cv2.INTER_AREA)
            sheet[y : y + tile_height, x : x + tile_width] = tile
    for r, index in enumerate(frame_indices):
        _text(sheet, f"#{index}", (6, header + r * (tile_height + margin) + tile_height // 2), 0.45)
    return sheet


def flicker_map_sheet(maps: Mapping[str, np.ndarray], full_scale: float, tile_width: int = 256) -> np.ndarray:
    """One heat tile per label: the per-pixel warping error as RMS levels (0-255 scale), bright = crawl.

    Every tile shares ``full_scale`` (RMS levels drawn at full brightness), so tiles compare by eye;
    a colour bar under them gives the scale. Each label starts with its RMS over the clip in levels.
    """
    import cv2

    if not maps:
        raise EdgestyleError("nothing to put on the flicker map")
    full_scale = max(float(full_scale), 1e-6)
    first = next(iter(maps.values()))
    tile_height = max(1, round(first.shape[0] * tile_width / first.shape[1]))
    header, margin, bar = 28, 4, 40
    width = len(maps) * (tile_width + margin) + margin
    sheet = np.full((header + tile_height + bar, width, 3), BACKGROUND, np.uint8)
    for c, (label, squared) in enumerate(maps.items()):
        squared = np.maximum(squared, 0.0)
        levels = np.sqrt(squared) * 255.0
        x = margin + c * (tile_width + margin)
        rms = float(np.sqrt(np.mean(squared))) * 255.0
        _text(sheet, _fit_label(f"{rms:.1f} {label}", tile_width, 0.45), (x + 4, 19), 0.45)
        heat = _heat(levels / full_scale)
        sheet[header : header + tile_height, x : x + tile_width] = cv2.resize(
            heat, (tile_width, tile_height), interpolation=cv2.INTER_AREA
        )
    y = header + tile_height + 8
    ramp = _heat(np.tile(np.linspace(0.0, 1.0, tile_width, dtype=np.float32), (10, 1)))
    sheet[y : y + 10, margin : margin + tile_width] = ramp
    _text(sheet, f"0 ... {full_scale:.2g} levels RMS warping error", (margin + tile_width + 8, y + 10), 0.42)
    return sheet


def _heat(unit: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.applyColorMap((np.clip(unit, 0.0, 1.0) * 255).astype(np.uint8), cv2.COLORMAP_INFERNO)


def _nice_ceiling(value: float) -> float:
    if not np.isfinite(value) or value <= 0:
        return 1.0
    exponent = 10 ** np.floor(np.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * exponent >= value:
            return float(step * exponent)
    return float(10 * exponent)


def stability_plot(
    series: Mapping[str, Sequence[float]],
    title: str = "temporal warping error per frame (lower = steadier)",
    size: tuple[int, int] = (900, 420),
) -> np.ndarray:
    """Line plot of each label's per-frame values over time, with axes, grid and a legend."""
    import cv2

    if not series:
        raise EdgestyleError("nothing to plot")
    width, height = size
    left, right, top, bottom = 80, 20, 36, 46
    canvas = np.full((height, width, 3), BACKGROUND, np.uint8)
    values = [np.asarray(v, dtype=np.float64) for v in series.values()]
    length = max(len(v) for v in values)
    finite = np.concatenate([v[np.isfinite(v)] for v in values] + [np.zeros(1)])
    y_max = _nice_ceiling(float(finite.max()))
    plot_w, plot_h = width - left - right, height - top - bottom

    def to_xy(t: float, v: float) -> tuple[int, int]:
        x = left + (t / max(1, length - 1)) * plot_w
        y = top + plot_h - (min(v, y_max) / y_max) * plot_h
        return int(round(x)), int(round(y))

    for k in range(6):
        level = y_max * k / 5
        y = to_xy(0, level)[1]
        cv2.line(canvas, (left, y), (left + plot_w, y), GRID, 1)
        _text(canvas, f"{level:.2g}", (6, y + 4), 0.4)
    for k in range(min(length, 6)):
        t = round(k * (length - 1) / max(1, min(length, 6) - 1))
        x = to_xy(t, 0)[0]
        _text(canvas, str(t + 1), (x - 6, top + plot_h + 18), 0.4)
    cv2.rectangle(canvas, (left, top), (left + plot_w, top + plot_h), INK, 1)
    _text(canvas, title, (left, 22), 0.5)
    _text(canvas, "frame pair", (left + plot_w // 2 - 30, height - 8), 0.45)

    for i, v in enumerate(values):
        points = [to_xy(t, val) for t, val in enumerate(v) if np.isfinite(val)]
        colour = PALETTE[i % len(PALETTE)]
        if len(points) > 1:
            cv2.polylines(canvas, [np.array(points, np.int32)], False, colour, 2, cv2.LINE_AA)
        elif points:
            cv2.circle(canvas, points[0], 3, colour, -1)
    legend_x, legend_y = left + plot_w - 220, top + 4
    box = ((legend_x, legend_y), (legend_x + 214, legend_y + 6 + 18 * len(series)))
    cv2.rectangle(canvas, *box, BACKGROUND, -1)
    cv2.rectangle(canvas, *box, GRID, 1)
    for i, label in enumerate(series.keys()):
        y = legend_y + 16 + 18 * i
        cv2.line(canvas, (legend_x + 6, y - 4), (legend_x + 30, y - 4), PALETTE[i % len(PALETTE)], 2)
        _text(canvas, _fit_label(label, 180, 0.42), (legend_x + 36, y), 0.42)
    return canvas


def write_png(path: str | os.PathLike, image: np.ndarray) -> None:
    """Encode and write a PNG atomically (no half-written picture on failure)."""
    import cv2

    ok, encoded = cv2.imencode(".png", image)
    if not ok:
        raise EdgestyleError(f"cannot encode PNG for {path}")
    write_bytes_atomic(path, encoded.tobytes())
