"""Shared fixtures: tiny real models and generated data (nothing is downloaded)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from no_tensorflow import BLOCK_TF

PLAIN_TFLITE = Path(__file__).parent / "data" / "tiny_plain.tflite"


@pytest.fixture(scope="session")
def tiny_plain_tflite() -> Path:
    """A real 32x32 uint8 image-to-image .tflite without edgestyle metadata (made by tests/data/make_tiny_plain.py)."""
    return PLAIN_TFLITE


STATEFUL_TFLITE = Path(__file__).parent / "data" / "tiny_stateful_int8.tflite"


@pytest.fixture(scope="session")
def tiny_stateful_tflite() -> Path:
    """A real 64x48 int8 edgestyle model (uint8 frames, one int8 state pair, styles "a"/"b", contract
    embedded + sidecar), made by ``edgestyle convert`` via tests/data/make_tiny_stateful.py."""
    return STATEFUL_TFLITE


@pytest.fixture
def no_tensorflow_env(tmp_path) -> dict[str, str]:
    """An environment for a subprocess in which ``import tensorflow`` (and keras) fails, as on a board;
    the process writes TF_IMPORTED to stderr at exit if TensorFlow got imported anyway."""
    site = tmp_path / "no_tensorflow_site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(BLOCK_TF)
    return {**os.environ, "PYTHONPATH": str(site)}
