"""``edgestyle doctor``: what board, cameras, displays, delegates and runtimes this machine has."""

from __future__ import annotations

from edgestyle.errors import NotBuiltYet


def doctor() -> None:
    """Report the detected board, cameras, displays, delegates and runtime versions."""
    raise NotBuiltYet("'edgestyle doctor' is not built yet")
