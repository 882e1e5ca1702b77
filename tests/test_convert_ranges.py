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


def test_values_a_following_relu6_clamps_anyway_may_be_clipped() -> None:
    """FiLM: x * gamma spans +-60, but the ADD(+beta) with a fused ReLU6 after it keeps only 0..6."""
    values = np.random.default_rng(2).uniform(-60.0, 60.0, 50_000)
    plain = best_range(values, -60.0, 60.0)
    low, high = best_range(values, -60.0, 60.0, then=(np.zeros_like(values), 0.0, 6.0))
    assert plain == (-60.0, 60.0)  # on its own every value counts
    assert 6.0 <= high <= 8.0 and low >= -8.0
