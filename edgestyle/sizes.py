"""``WIDTHxHEIGHT`` option values, parsed one way for every command (run, convert, eval, test:// URIs)."""

from __future__ import annotations

from edgestyle.errors import EdgestyleError


def parse_size(text: str, what: str = "size", min_side: int = 1, example: str = "640x480") -> tuple[int, int]:
    """``"384x288"`` -> (384, 288): width first, like OpenCV; one clear error naming ``what`` otherwise."""
    width, sep, height = text.lower().replace(" ", "").partition("x")
    try:
        size = (int(width), int(height))
    except ValueError:
        size = (0, 0)
    if not sep or min(size) < min_side:
        bound = f" with both at least {min_side}" if min_side > 1 else ""
        raise EdgestyleError(f"bad {what} {text!r}: expected WIDTHxHEIGHT{bound}, e.g. {example}")
    return size
