"""``edgestyle run`` (live camera to screen) and ``edgestyle stylize`` (offline file to file)."""

from __future__ import annotations

from edgestyle.errors import NotBuiltYet


def run() -> None:
    """Stylize a live source (camera, stream, file) and show it on HDMI or write it to a file."""
    raise NotBuiltYet("'edgestyle run' is not built yet")


def stylize() -> None:
    """Stylize every frame of a video file into a new video at the same frame rate."""
    raise NotBuiltYet("'edgestyle stylize' is not built yet")
