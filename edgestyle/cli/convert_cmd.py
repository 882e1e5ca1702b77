"""``edgestyle convert``: turn a trained model directory into int8/fp16/EdgeTPU TFLite files."""

from __future__ import annotations

from edgestyle.errors import NotBuiltYet


def convert() -> None:
    """Convert a trained model directory to TFLite (int8 with uint8 frames, fp16, EdgeTPU) and validate it."""
    raise NotBuiltYet("'edgestyle convert' is not built yet")
