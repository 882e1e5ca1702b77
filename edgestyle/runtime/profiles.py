"""Board profiles (``devices/*.toml``): the camera, delegate, threads, model size and display a board wants.

``edgestyle run --device raspberry-pi-5`` starts from a profile; any option given on the command
line wins over it. ``edgestyle doctor`` matches ``/proc/device-tree/model`` against each
profile's ``match`` strings to suggest one.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edgestyle.errors import EdgestyleError
from edgestyle.package_data import data_dir
from edgestyle.runtime.stabilize import flow_named

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 boards
    import tomli as tomllib

DEVICES_DIR = data_dir("devices")  # shipped in the package (edgestyle.devices)


@dataclass
class BoardProfile:
    name: str
    description: str = ""
    match: list[str] = field(default_factory=list)
    camera_uri: str = "test://"
    camera_size: tuple[int, int] = (640, 480)
    camera_fps: float = 30.0
    delegate: str = "xnnpack"
    threads: int | None = None
    model_size: int | None = None
    model_glob: str = "*_int8.tflite"
    max_fps: float | None = None
    stabilize_flow: str = "fine"  # "light" where the CPU that runs the flow is the bottleneck
    sink: str = "display://0"

    @classmethod
    def from_toml(cls, path: Path) -> BoardProfile:
        try:
            data: dict[str, Any] = tomllib.loads(path.read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise EdgestyleError(f"cannot read board profile {path}: {exc}") from None
        camera, runtime, display = (data.get(k, {}) for k in ("camera", "runtime", "display"))
        try:
            profile = cls(
                name=data.get("name", path.stem),
                description=data.get("description", ""),
                match=list(data.get("match", [])),
                camera_uri=camera.get("uri", "test://"),
                camera_size=tuple(int(v) for v in camera.get("size", (640, 480))),  # type: ignore[arg-type]
                camera_fps=float(camera.get("fps", 30)),
                delegate=runtime.get("delegate", "xnnpack"),
                threads=int(runtime["threads"]) or None if "threads" in runtime else None,
                model_size=int(runtime["model_size"]) if runtime.get("model_size") else None,
                model_glob=runtime.get("model_glob", "*_int8.tflite"),
                max_fps=float(runtime["max_fps"]) or None if "max_fps" in runtime else None,
                stabilize_flow=runtime.get("stabilize_flow", "fine"),
                sink=display.get("sink", "display://0"),
            )
        except (TypeError, ValueError) as exc:
            raise EdgestyleError(f"bad value in board profile {path}: {exc}") from None
        flow_named(profile.stabilize_flow, f"bad value in board profile {path}: stabilize_flow")
        return profile


def profile_paths(devices_dir: Path = DEVICES_DIR) -> dict[str, Path]:
    return {p.stem: p for p in sorted(devices_dir.glob("*.toml"))}


def load_profile(name_or_path: str | os.PathLike, devices_dir: Path = DEVICES_DIR) -> BoardProfile:
    """A profile by name (``raspberry-pi-5``) or by path to a .toml."""
    path = Path(name_or_path)
    if path.suffix == ".toml" and path.is_file():
        return BoardProfile.from_toml(path)
    known = profile_paths(devices_dir)
    if str(name_or_path) not in known:
        raise EdgestyleError(f"unknown device {str(name_or_path)!r}; known: {', '.join(known) or 'none'}")
    return BoardProfile.from_toml(known[str(name_or_path)])


def detect_profile(board_model: str, devices_dir: Path = DEVICES_DIR) -> BoardProfile | None:
    """The profile whose ``match`` strings occur in the board's model string, if any."""
    for path in profile_paths(devices_dir).values():
        profile = BoardProfile.from_toml(path)
        if any(m and m.lower() in board_model.lower() for m in profile.match):
            return profile
    return None
