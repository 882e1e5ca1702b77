"""Teacher specs as text: ``[KIND:]PATH[@STYLE_IMAGE][?range=LO,HI]`` or a built-in name.

Kept free of numpy and OpenCV: the registry parses specs for ``--help`` texts and style names,
which must stay cheap to import.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from edgestyle.errors import EdgestyleError


@dataclass(frozen=True)
class TeacherSpec:
    """A parsed ``[KIND:]PATH[@STYLE_IMAGE][?range=LO,HI]`` (or a built-in name): what a kind builds from."""

    text: str  # as given, for error messages
    path: Path | None  # the model file or folder (None for built-ins)
    style_image: Path | None
    value_range: tuple[float, float] = (0.0, 1.0)

    def range_bytes(self) -> bytes:
        return repr(self.value_range).encode()


def split_spec(spec: str) -> tuple[str, str | None, tuple[float, float]]:
    """``[magenta:]PATH[@STYLE_IMAGE][?range=LO,HI]`` -> (path part, style image, value range)."""
    value_range = (0.0, 1.0)
    if "?range=" in spec:
        spec, text = spec.split("?range=", 1)
        try:
            lo, hi = (float(v) for v in text.split(","))
        except ValueError:
            raise EdgestyleError(f"bad teacher range {text!r}; expected e.g. ?range=-1,1") from None
        value_range = (lo, hi)
    style = None
    if "@" in spec:
        spec, style = spec.rsplit("@", 1)
    return spec, style, value_range
