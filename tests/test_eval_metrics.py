"""PSNR/SSIM against hand values and an independent, straightforward SSIM implementation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from edgestyle.errors import EdgestyleError
from edgestyle.evaluation.metrics import psnr, ssim


def naive_ssim_channel(x: np.ndarray, y: np.ndarray, peak: float) -> float:
    """Wang et al. 2004 written out: explicit 11x11 Gaussian weights over every 'valid' window."""
    r = np.arange(11) - 5
    g = np.exp(-(r**2) / (2 * 1.5**2))
    w = np.outer(g, g) / np.outer(g, g).sum()
    c1, c2 = (0.01 * peak) ** 2, (0.03 * peak) ** 2
    values = []
    for i in range(x.shape[0] - 10):
        for j in range(x.shape[1] - 10):
            a, b = x[i : i + 11, j : j + 11], y[i : i + 11, j : j + 11]
            ma, mb = (w * a).sum(), (w * b).sum()
            va, vb = (w * (a - ma) ** 2).sum(), (w * (b - mb) ** 2).sum()
            cov = (w * (a - ma) * (b - mb)).sum()
            values.append(((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma**2 + mb**2 + c1) * (va + vb + c2)))
    return float(np.mean(values))


@pytest.fixture(scope="module")
def pair() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    a = rng.integers(30, 220, size=(24, 20, 3), dtype=np.uint8)
    noise = rng.integers(-25, 26, size=a.shape)
    return a, np.clip(a.astype(int) + noise, 0, 255).astype(np.uint8)


def test_psnr_of_a_constant_offset_matches_the_formula(pair):
    a, _ = pair
    assert psnr(a, a + np.uint8(10)) == pytest.approx(10 * math.log10(255**2 / 100), abs=1e-9)
    f = a.astype(np.float32) / 255
    assert psnr(f, f + 0.1) == pytest.approx(20.0, abs=1e-4)  # float images: peak 1.0
    assert psnr(a, a) == math.inf


def test_ssim_is_one_for_identical_and_symmetric(pair):
    a, b = pair
    assert ssim(a, a) == pytest.approx(1.0)
    assert ssim(a, b) == pytest.approx(ssim(b, a))
    assert 0.0 < ssim(a, b) < 0.99


def test_ssim_matches_a_straightforward_implementation(pair):
    a, b = pair
    expected = np.mean(
        [naive_ssim_channel(a[..., c].astype(float), b[..., c].astype(float), 255.0) for c in range(3)]
    )
    assert ssim(a, b) == pytest.approx(expected, abs=1e-6)
    fa, fb = a.astype(np.float64) / 255, b.astype(np.float64) / 255
    assert ssim(fa, fb) == pytest.approx(expected, abs=1e-6)  # same value on the [0, 1] scale


def test_ssim_of_two_flat_images_is_the_luminance_term():
    x, y = np.full((16, 16), 100, np.uint8), np.full((16, 16), 120, np.uint8)
    c1 = (0.01 * 255) ** 2
    assert ssim(x, y) == pytest.approx((2 * 100 * 120 + c1) / (100**2 + 120**2 + c1))


def test_mismatched_or_tiny_images_are_clear_errors():
    with pytest.raises(EdgestyleError, match="different shapes"):
        psnr(np.zeros((4, 4, 3), np.uint8), np.zeros((4, 5, 3), np.uint8))
    with pytest.raises(EdgestyleError, match="at least 11x11"):
        ssim(np.zeros((8, 8), np.uint8), np.zeros((8, 8), np.uint8))
