"""Hardware and library probes, in one place for ``doctor``, sources, sinks and backends.

Each probe reads /proc, /sys, the environment or package metadata (``root`` lets tests point
it at a fake tree), never opens a camera and never imports TensorFlow, so ``edgestyle doctor``
stays safe and fast on any board and a source or sink asks the same question the report shows.
"""

from __future__ import annotations

import ctypes
import functools
import importlib.metadata
import importlib.util
import os
import platform
from pathlib import Path


def read_text(path: Path) -> str:
    """A sysfs/procfs value without NULs and surrounding blanks; "" when unreadable."""
    try:
        return path.read_bytes().replace(b"\x00", b"").decode("utf-8", "replace").strip()
    except OSError:
        return ""


# -- board -------------------------------------------------------------------------------
def board_model(root: Path = Path("/")) -> str:
    """The device-tree model on ARM boards (Raspberry Pi, Jetson), the DMI product name on PCs."""
    for rel in (
        "proc/device-tree/model",
        "sys/firmware/devicetree/base/model",
        "sys/class/dmi/id/product_name",
    ):
        text = read_text(root / rel)
        if text:
            return text
    return f"unknown {platform.machine()} machine"


def tegra_release(root: Path = Path("/")) -> str | None:
    """The first line of /etc/nv_tegra_release (Jetson's L4T version), or None off Jetson."""
    lines = read_text(root / "etc/nv_tegra_release").splitlines()
    return lines[0].lstrip("# ") if lines else None


# -- cameras -----------------------------------------------------------------------------
def video_devices(root: Path = Path("/")) -> list[tuple[str, str]]:
    """(/dev/videoN, driver-reported name) for every V4L2 node (cameras, but also codecs on a Pi)."""
    base = root / "sys/class/video4linux"
    if not base.is_dir():
        return []
    nodes = sorted(base.iterdir(), key=lambda p: (len(p.name), p.name))
    return [(f"/dev/{p.name}", read_text(p / "name")) for p in nodes]


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


# -- displays ----------------------------------------------------------------------------
def display_server() -> str | None:
    """The Wayland or X11 display a window would open on, or None without a desktop session."""
    return os.environ.get("WAYLAND_DISPLAY") or os.environ.get("DISPLAY") or None


def framebuffers(root: Path = Path("/")) -> list[tuple[str, str]]:
    """(/dev/fbN, "WxH B bpp, stride S") for every console framebuffer."""
    found = []
    for fb in sorted((root / "sys/class/graphics").glob("fb[0-9]*")):
        size = read_text(fb / "virtual_size").replace(",", "x")
        found.append(
            (
                f"/dev/{fb.name}",
                f"{size} {read_text(fb / 'bits_per_pixel')} bpp, stride {read_text(fb / 'stride')}",
            )
        )
    return found


def drm_connectors(root: Path = Path("/")) -> list[tuple[str, str]]:
    """HDMI/DP/DSI connectors and whether a monitor is plugged in (``connected``)."""
    base = root / "sys/class/drm"
    return [
        (p.name, read_text(p / "status")) for p in sorted(base.glob("card*-*")) if (p / "status").is_file()
    ]


# -- OpenCV ------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def opencv_build_info() -> str | None:
    """cv2.getBuildInformation(), or None when OpenCV is not importable."""
    try:
        import cv2
    except ImportError:
        return None
    return cv2.getBuildInformation()


def opencv_feature(name: str) -> bool:
    """Whether OpenCV's build says ``name: YES`` (GStreamer, FFMPEG, v4l/v4l2)."""
    info = opencv_build_info() or ""
    return any(line.strip().startswith(f"{name}:") and "YES" in line for line in info.splitlines())


def opencv_gui() -> str:
    """The GUI backend OpenCV was built with (GTK3, QT, ...), "NONE" for headless builds."""
    info = opencv_build_info() or ""
    lines = [line for line in info.splitlines() if line.strip().startswith("GUI:")]
    return lines[0].split(":", 1)[1].strip() if lines else "NONE"


def opencv_has_gstreamer() -> bool:
    return opencv_feature("GStreamer")


def opencv_has_gui() -> bool:
    return "NONE" not in opencv_gui()


# -- libraries ---------------------------------------------------------------------------
def library_loadable(library: str) -> bool:
    """Whether the dynamic loader finds ``library`` (a delegate .so) without loading it into a backend."""
    try:
        ctypes.CDLL(library)
        return True
    except OSError:
        return False


def module_available(module: str) -> bool:
    """Whether ``module`` is importable, without importing it (its parent package may be imported)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def package_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None
