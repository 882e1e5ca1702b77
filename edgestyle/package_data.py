"""Folders that ship inside the package: board profiles, conversion presets, the default model.

``devices/``, ``convert/`` and ``models/`` stay where they are in the repository; pyproject.toml
maps each onto a package (``edgestyle.devices``, ``edgestyle.convert``, ``edgestyle.models``), so a
wheel carries them and :func:`data_dir` finds them through :mod:`importlib.resources` whether
edgestyle is a wheel on a board or an editable checkout. pip installs wheels unzipped, so the
result is a plain directory.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

from edgestyle.errors import EdgestyleError

SHIPPED = ("devices", "convert", "models")
CHECKOUT = Path(__file__).resolve().parents[1]


def data_dir(name: str) -> Path:
    """The shipped folder ``name`` (one of :data:`SHIPPED`) as a directory on disk."""
    if name not in SHIPPED:
        raise ValueError(f"not a shipped folder: {name!r}")
    try:
        return Path(str(importlib.resources.files(f"edgestyle.{name}")))
    except ModuleNotFoundError:
        # An editable install made before the mapping existed: the checkout's own folder.
        if (CHECKOUT / name).is_dir():
            return CHECKOUT / name
        raise EdgestyleError(f"edgestyle is installed without its {name}/ data; reinstall it") from None
