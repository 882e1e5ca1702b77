"""Built-in OpenCV teachers that need nothing but the frame: ``cartoon``, ``toon`` and ``stylization``."""

from __future__ import annotations

import numpy as np

from edgestyle.teachers.base import Teacher, TeacherFn, hash_parts
from edgestyle.teachers.spec import TeacherSpec


def _flatten(rgb: np.ndarray) -> np.ndarray:
    """Edge-preserving flat colour regions: four bilateral passes at half size, back to full size."""
    import cv2

    h, w = rgb.shape[:2]
    small = cv2.pyrDown(rgb) if min(h, w) >= 64 else rgb.copy()
    for _ in range(4):
        small = cv2.bilateralFilter(small, 7, 50, 5)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def cartoon_filter(rgb: np.ndarray, levels: int = 8) -> np.ndarray:
    """Flat colour regions with dark outlines: bilateral smoothing, colour quantization, edges."""
    import cv2

    h, w = rgb.shape[:2]
    smooth = _flatten(rgb)
    step = 256 // levels
    flat = (smooth // step) * step + step // 2
    gray = cv2.medianBlur(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), 7)
    block = max(3, (min(h, w) // 24) | 1)
    edges = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, block, 7)
    return (flat.astype(np.uint16) * (edges[..., None] // 255)).astype(np.uint8)


# The toon filter's luminance staircase; the generator's LuminanceBands layer draws the same one.
TOON_BINS, TOON_SHARPNESS = 6, 0.5


def soft_staircase(lum: np.ndarray, bins: int = TOON_BINS, sharpness: float = TOON_SHARPNESS) -> np.ndarray:
    """L* (0..100) softly quantized to ``bins`` bands: flat inside a band, a tanh riser between."""
    step = 100.0 / bins
    nearest = np.round(lum / step) * step
    return nearest + step / 2 * np.tanh(sharpness * (lum - nearest))


def toon_filter(
    rgb: np.ndarray, bins: int = TOON_BINS, sharpness: float = TOON_SHARPNESS, saturation: float = 1.4
) -> np.ndarray:
    """Real-time video abstraction (Winnemoller, Olsen & Gooch 2006): bilateral flattening, soft
    luminance quantization and difference-of-Gaussians ink lines.

    Unlike ``cartoon`` every step is smooth in the input (tanh steps, no hard threshold, no
    per-channel quantization), which is what the paper designed it for: shading bands and lines
    that hold still on a noisy camera frame, and a look a small network can learn.
    """
    import cv2

    h, w = rgb.shape[:2]
    smooth = _flatten(rgb)
    lab = cv2.cvtColor(smooth.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)
    lum = lab[..., 0]  # 0..100
    lab[..., 0] = soft_staircase(lum, bins, sharpness)
    lab[..., 1:] *= saturation  # poster colours
    sigma = max(1.0, min(h, w) / 256)
    fine = cv2.GaussianBlur(lum, (0, 0), sigma)
    coarse = cv2.GaussianBlur(lum, (0, 0), sigma * 1.6)
    dog = fine - 0.98 * coarse
    ink = np.where(dog > 0, 1.0, 1.0 + np.tanh(2.0 * dog)).astype(np.float32)
    out = cv2.cvtColor(lab, cv2.COLOR_Lab2RGB) * ink[..., None]
    return np.clip(out * 255.0 + 0.5, 0, 255).astype(np.uint8)


def stylization_filter(rgb: np.ndarray) -> np.ndarray:
    """``cv2.stylization``: an edge-preserving painterly filter."""
    import cv2

    bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    return cv2.cvtColor(cv2.stylization(bgr, sigma_s=60, sigma_r=0.45), cv2.COLOR_BGR2RGB)


def _filter(name: str, fn: TeacherFn) -> Teacher:
    # The key is versioned by hand ("v1"): bump it when the filter's output changes.
    return Teacher(name, hash_parts(b"builtin", name.encode(), b"v1"), fn, {"kind": "opencv", "name": name})


def build_cartoon(spec: TeacherSpec) -> Teacher:
    return _filter("cartoon", cartoon_filter)


def build_toon(spec: TeacherSpec) -> Teacher:
    return _filter("toon", toon_filter)


def build_stylization(spec: TeacherSpec) -> Teacher:
    return _filter("stylization", stylization_filter)
