"""``edgestyle train``: train a recurrent style generator (host, needs the ``train`` extra)."""

from __future__ import annotations

from edgestyle.errors import NotBuiltYet


def train() -> None:
    """Train a recurrent, style-conditioned generator against conditional PatchGAN discriminators."""
    raise NotBuiltYet("'edgestyle train' is not built yet")
