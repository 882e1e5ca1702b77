"""Generated footage: a textured scene under a slow camera pan with moving shapes.

The demo, the tests and the ``test://`` source need video without shipping any, and a pan with
known motion also lets flicker metrics be checked against exact answers.
"""

from __future__ import annotations

import numpy as np


def _background(width: int, height: int, rng: np.random.Generator) -> np.ndarray:
    """A smooth colour field with some texture, large enough to pan across."""
    import cv2

    small = rng.integers(0, 256, size=(max(2, height // 40), max(2, width // 40), 3), dtype=np.uint8)
    field = cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
    noise = rng.integers(0, 40, size=(height, width, 1), dtype=np.uint8)
    return cv2.add(field, np.repeat(noise, 3, axis=2))


def moving_scene(frames: int = 60, width: int = 320, height: int = 240, seed: int = 0) -> list[np.ndarray]:
    """``frames`` BGR uint8 frames: a panning background plus a bouncing disc and square."""
    import cv2

    rng = np.random.default_rng(seed)
    pan = 2  # pixels per frame
    world = _background(width + pan * frames + 1, height, rng)
    colors = [tuple(int(c) for c in rng.integers(0, 256, 3)) for _ in range(2)]
    out = []
    for t in range(frames):
        frame = world[:, t * pan : t * pan + width].copy()
        cx = int(width * (0.2 + 0.6 * abs(np.sin(t / 15.0))))
        cy = int(height * (0.3 + 0.4 * abs(np.cos(t / 11.0))))
        cv2.circle(frame, (cx, cy), max(4, height // 8), colors[0], -1, lineType=cv2.LINE_AA)
        sx = int(width * (0.8 - 0.6 * (t % 40) / 40.0))
        side = max(4, height // 6)
        cv2.rectangle(frame, (sx, height // 6), (sx + side, height // 6 + side), colors[1], -1)
        out.append(frame)
    return out
