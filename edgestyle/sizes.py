"""``WIDTHxHEIGHT`` and duration option values, parsed one way for every command (run, convert, eval,
train, test:// URIs)."""

from __future__ import annotations

import re

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


def parse_duration(
    text: str | None, what: str = "--time-budget", example: str = "600, 45m or 1.5h"
) -> float | None:
    """``90``, ``90s``, ``45m``, ``1.5h`` -> seconds (None for no value)."""
    if not text:
        return None
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([smh]?)\s*", text)
    if not match:
        raise EdgestyleError(f"bad {what} {text!r}; use e.g. {example}")
    return float(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[match.group(2)]
