"""What the viewer sees besides the stylized frame: an input | output split and a stats overlay."""

from __future__ import annotations

import numpy as np


def side_by_side(input_bgr: np.ndarray, output_bgr: np.ndarray) -> np.ndarray:
    """Input on the left, output on the right, both at the output's height."""
    import cv2

    h, w = output_bgr.shape[:2]
    if input_bgr.shape[:2] != (h, w):
        input_bgr = cv2.resize(input_bgr, (w, h), interpolation=cv2.INTER_AREA)
    return np.hstack([input_bgr, output_bgr])


def draw_overlay(frame_bgr: np.ndarray, lines: list[str]) -> np.ndarray:
    """Draw text lines top-left with a dark outline so they read on any picture (in place)."""
    import cv2

    scale = max(0.4, frame_bgr.shape[0] / 720.0)
    thickness = max(1, round(scale * 1.5))
    y = int(24 * scale)
    for line in lines:
        for color, extra in (((0, 0, 0), 2), ((255, 255, 255), 0)):
            cv2.putText(
                frame_bgr,
                line,
                (int(10 * scale), y),
                cv2.FONT_HERSHEY_SIMPLEX,
                scale,
                color,
                thickness + extra,
                cv2.LINE_AA,
            )
        y += int(26 * scale)
    return frame_bgr
