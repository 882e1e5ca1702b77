"""Full-reference image fidelity: PSNR and SSIM (Wang et al. 2004), numpy + OpenCV only.

The conversion report (int8 vs float) and ``edgestyle eval`` (model vs teacher) both need them on
a board without TensorFlow or scikit-image.
"""

from __future__ import annotations

import numpy as np

from edgestyle.errors import EdgestyleError

SSIM_WINDOW = 11
SSIM_SIGMA = 1.5
SSIM_K1 = 0.01
SSIM_K2 = 0.03


def default_data_range(image: np.ndarray) -> float:
    """255 for 8-bit images, the integer type's span for other ints, 1.0 for floats (images in [0,1])."""
    if image.dtype == np.uint8:
        return 255.0
    if image.dtype.kind in "iu":
        info = np.iinfo(image.dtype)
        return float(info.max) - float(info.min)
    return 1.0


def _pair(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        raise EdgestyleError(f"cannot compare images of different shapes {a.shape} and {b.shape}")
    return a.astype(np.float64), b.astype(np.float64)


def mse(a: np.ndarray, b: np.ndarray) -> float:
    """Mean squared error in the images' own units."""
    fa, fb = _pair(a, b)
    return float(np.mean((fa - fb) ** 2))


def psnr(a: np.ndarray, b: np.ndarray, data_range: float | None = None) -> float:
    """Peak signal-to-noise ratio in dB; ``inf`` for identical images.

    ``data_range`` defaults from ``a``'s dtype: 255 for uint8, 1.0 for float images in [0, 1].
    """
    peak = default_data_range(np.asarray(a)) if data_range is None else float(data_range)
    err = mse(a, b)
    if err == 0.0:
        return float("inf")
    return float(10.0 * np.log10(peak * peak / err))


def _blur(image: np.ndarray) -> np.ndarray:
    """Gaussian-weighted local mean over the 11x11 window, kept only where the window fits ('valid')."""
    import cv2

    blurred = cv2.GaussianBlur(
        image, (SSIM_WINDOW, SSIM_WINDOW), SSIM_SIGMA, borderType=cv2.BORDER_REFLECT_101
    )
    pad = SSIM_WINDOW // 2
    return blurred[pad:-pad, pad:-pad]


def ssim_map(a: np.ndarray, b: np.ndarray, data_range: float | None = None) -> np.ndarray:
    """Per-pixel SSIM of one channel pair (2-D arrays), over the valid region of the window."""
    peak = default_data_range(np.asarray(a)) if data_range is None else float(data_range)
    x, y = _pair(a, b)
    if min(x.shape[:2]) < SSIM_WINDOW:
        raise EdgestyleError(
            f"SSIM needs images of at least {SSIM_WINDOW}x{SSIM_WINDOW} pixels, got {x.shape}"
        )
    c1, c2 = (SSIM_K1 * peak) ** 2, (SSIM_K2 * peak) ** 2
    mu_x, mu_y = _blur(x), _blur(y)
    var_x = _blur(x * x) - mu_x * mu_x
    var_y = _blur(y * y) - mu_y * mu_y
    cov = _blur(x * y) - mu_x * mu_y
    return ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))


def ssim(a: np.ndarray, b: np.ndarray, data_range: float | None = None) -> float:
    """Structural similarity (Gaussian 11x11 window, sigma 1.5, K1=0.01, K2=0.03), mean over channels.

    Accepts HxW or HxWxC images, uint8 or float; 1.0 means identical.
    """
    a, b = np.asarray(a), np.asarray(b)
    peak = default_data_range(a) if data_range is None else float(data_range)
    if a.shape != b.shape:
        raise EdgestyleError(f"cannot compare images of different shapes {a.shape} and {b.shape}")
    if a.ndim == 2:
        return float(np.mean(ssim_map(a, b, peak)))
    return float(np.mean([np.mean(ssim_map(a[..., c], b[..., c], peak)) for c in range(a.shape[-1])]))
