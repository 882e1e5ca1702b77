"""What this machine offers the runtime: board, cameras, displays, delegates, library versions.

Everything is read from /proc, /sys and package metadata (``root`` lets tests point it at a fake
tree); nothing imports TensorFlow or opens a camera, so ``edgestyle doctor`` is safe and fast on
any board.
"""

from __future__ import annotations

import ctypes
import importlib.metadata
import importlib.util
import os
import platform
from dataclasses import dataclass, field
from pathlib import Path

from edgestyle.runtime.interpreter import DELEGATE_LIBRARIES
from edgestyle.runtime.profiles import detect_profile


@dataclass
class Check:
    """One line of the report; ``ok`` None means informational."""

    section: str
    name: str
    value: str
    ok: bool | None = None


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)
    board: str = ""
    profile: str | None = None

    def add(self, section: str, name: str, value: str, ok: bool | None = None) -> None:
        self.checks.append(Check(section, name, value, ok))

    def as_dict(self) -> dict:
        return {
            "board": self.board,
            "profile": self.profile,
            "checks": [c.__dict__ for c in self.checks],
        }


def _read(path: Path) -> str:
    try:
        return path.read_bytes().replace(b"\x00", b"").decode("utf-8", "replace").strip()
    except OSError:
        return ""


def board_model(root: Path = Path("/")) -> str:
    """The device-tree model on ARM boards (Raspberry Pi, Jetson), the DMI product name on PCs."""
    for rel in (
        "proc/device-tree/model",
        "sys/firmware/devicetree/base/model",
        "sys/class/dmi/id/product_name",
    ):
        text = _read(root / rel)
        if text:
            return text
    return f"unknown {platform.machine()} machine"


def video_devices(root: Path = Path("/")) -> list[tuple[str, str]]:
    """(/dev/videoN, driver-reported name) for every V4L2 node (cameras, but also codecs on a Pi)."""
    base = root / "sys/class/video4linux"
    if not base.is_dir():
        return []
    nodes = sorted(base.iterdir(), key=lambda p: (len(p.name), p.name))
    return [(f"/dev/{p.name}", _read(p / "name")) for p in nodes]


def pi_cameras() -> list[str] | None:
    """picamera2's camera list, or None when picamera2 is not importable here."""
    try:
        from picamera2 import Picamera2
    except ImportError:
        return None
    try:
        return [f"{c.get('Model', '?')} ({c.get('Id', '')})" for c in Picamera2.global_camera_info()]
    except Exception as exc:  # libcamera can fail in many ways; doctor must not
        return [f"picamera2 failed: {exc}"]


def framebuffers(root: Path = Path("/")) -> list[tuple[str, str]]:
    base = root / "sys/class/graphics"
    found = []
    for fb in sorted(base.glob("fb[0-9]*")):
        geometry = f"{_read(fb / 'virtual_size').replace(',', 'x')} {_read(fb / 'bits_per_pixel')} bpp, stride {_read(fb / 'stride')}"
        found.append((f"/dev/{fb.name}", geometry))
    return found


def drm_connectors(root: Path = Path("/")) -> list[tuple[str, str]]:
    """HDMI/DP/DSI connectors and whether a monitor is plugged in (``connected``)."""
    base = root / "sys/class/drm"
    return [(p.name, _read(p / "status")) for p in sorted(base.glob("card*-*")) if (p / "status").is_file()]


def delegate_available(library: str) -> bool:
    try:
        ctypes.CDLL(library)
        return True
    except OSError:
        return False


def package_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def collect(root: Path = Path("/")) -> Report:
    """Gather the whole report (no camera is opened, TensorFlow is never imported)."""
    report = Report(board=board_model(root))
    profile = detect_profile(report.board)
    report.profile = profile.name if profile else None
    report.add("board", "model", report.board)
    tegra = _read(root / "etc/nv_tegra_release").splitlines()
    if tegra:
        report.add("board", "L4T", tegra[0].lstrip("# "))
    report.add("board", "cpu", f"{platform.machine()}, {os.cpu_count()} cores")
    report.add(
        "board", "profile", f"--device {report.profile}" if profile else "none matched (try generic-linux)"
    )

    devices = video_devices(root)
    for dev, name in devices:
        report.add("cameras", dev, name or "?", True)
    if not devices:
        report.add("cameras", "V4L2", "no /dev/video* devices", False)
    pis = pi_cameras()
    if pis is not None:
        for i, cam in enumerate(pis):
            report.add("cameras", f"picam:{i}", cam, "failed" not in cam)
        if not pis:
            report.add("cameras", "picamera2", "installed, no camera attached", False)

    has_server = bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    report.add(
        "displays",
        "desktop session",
        os.environ.get("WAYLAND_DISPLAY") or os.environ.get("DISPLAY") or "none",
        has_server,
    )
    for dev, geometry in framebuffers(root):
        writable = os.access(root / dev.lstrip("/"), os.W_OK)
        report.add(
            "displays", dev, geometry + ("" if writable else " (not writable: join group 'video')"), writable
        )
    for connector, status in drm_connectors(root):
        report.add("displays", connector, status, status == "connected")

    report.add("delegates", "xnnpack", "built into the interpreter", True)
    for name, (library, hint) in DELEGATE_LIBRARIES.items():
        ok = delegate_available(library)
        report.add("delegates", name, library if ok else f"{library} not found: {hint}", ok)

    report.add("runtime", "python", platform.python_version())
    modules = [
        ("ai_edge_litert", "ai-edge-litert"),
        ("tflite_runtime", "tflite-runtime"),
        ("tensorflow", "tf.lite"),
    ]
    backend = next((label for module, label in modules if importlib.util.find_spec(module)), None)
    report.add("runtime", "interpreter", backend or "none: pip install ai-edge-litert", backend is not None)
    for dist, label in [
        ("ai-edge-litert", "ai-edge-litert"),
        ("tflite-runtime", "tflite-runtime"),
        ("tensorflow", "tensorflow (not needed on boards)"),
        ("numpy", "numpy"),
        ("opencv-python-headless", "opencv-python-headless"),
        ("opencv-python", "opencv-python"),
    ]:
        version = package_version(dist)
        if version:
            report.add("runtime", label, version)
    try:
        import cv2

        build = cv2.getBuildInformation()
        features = [f for f in ("GStreamer", "v4l/v4l2", "FFMPEG") if _feature(build, f)]
        gui = next(
            (line.split(":", 1)[1].strip() for line in build.splitlines() if line.strip().startswith("GUI:")),
            "?",
        )
        report.add(
            "runtime", "opencv", f"{cv2.__version__} (video: {', '.join(features) or 'none'}; GUI: {gui})"
        )
    except ImportError:
        report.add("runtime", "opencv", "not importable", False)
    return report


def _feature(build_info: str, name: str) -> bool:
    return any(line.strip().startswith(f"{name}:") and "YES" in line for line in build_info.splitlines())
