"""``edgestyle eval`` (flicker, fidelity, style) and ``edgestyle bench`` (latency and FPS)."""

from __future__ import annotations

from edgestyle.errors import NotBuiltYet


def evaluate() -> None:
    """Measure temporal warping error, fidelity to a teacher and a style distance for one or more models."""
    raise NotBuiltYet("'edgestyle eval' is not built yet")


def bench() -> None:
    """Time models per delegate and thread count; print latency, FPS and ratios to the first model."""
    raise NotBuiltYet("'edgestyle bench' is not built yet")
