"""Activation ranges of least error (edgestyle.conversion.ranges): real numbers, no model needed."""

import numpy as np

from edgestyle.conversion.ranges import LEVELS, best_range


def _error(values: np.ndarray, low: float, high: float) -> float:
    step = (high - low) / LEVELS
    quantized = np.round((np.clip(values, low, high) - low) / step) * step + low
    return float(np.mean((quantized - values) ** 2))


def test_outliers_no_longer_set_the_step() -> None:
    """Calibration saw rare extremes (here 3x the kept values' own) that set a step far too coarse
    for the values the tensor really holds."""
    values = np.random.default_rng(0).laplace(0.0, 1.0, 50_000)
    low, high = 3 * float(values.min()), 3 * float(values.max())
    tight_low, tight_high = best_range(values, low, high)
    assert tight_high - tight_low < (high - low) / 3
    assert _error(values, tight_low, tight_high) < 0.3 * _error(values, low, high)


def test_a_range_that_is_used_is_kept() -> None:
    values = np.random.default_rng(1).uniform(0.0, 6.0, 50_000)  # a ReLU6 that fills its range
    assert best_range(values, 0.0, 6.0) == (0.0, 6.0)
