"""Shared fixtures: tiny real models and generated data (nothing is downloaded)."""

from __future__ import annotations

from pathlib import Path

import pytest

PLAIN_TFLITE = Path(__file__).parent / "data" / "tiny_plain.tflite"


@pytest.fixture(scope="session")
def tiny_plain_tflite() -> Path:
    """A real 32x32 uint8 image-to-image .tflite without edgestyle metadata (made by tests/data/make_tiny_plain.py)."""
    return PLAIN_TFLITE
