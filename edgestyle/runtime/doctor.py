"""What this machine offers the runtime: board, cameras, displays, delegates, library versions.

Every fact comes from :mod:`edgestyle.runtime.probes` (``root`` lets tests point it at a fake
/proc + /sys tree), the same probes sources, sinks and backends ask; nothing imports TensorFlow
or opens a camera, so ``edgestyle doctor`` is safe and fast on any board.
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass, field
from pathlib import Path

from edgestyle.runtime import probes
from edgestyle.runtime.backends import unique_backends
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


def _board(report: Report, root: Path) -> None:
    profile = detect_profile(report.board)
    report.profile = profile.name if profile else None
    report.add("board", "model", report.board)
    tegra = probes.tegra_release(root)
    if tegra:
        report.add("board", "L4T", tegra)
    report.add("board", "cpu", f"{platform.machine()}, {os.cpu_count()} cores")
    report.add(
        "board", "profile", f"--device {report.profile}" if profile else "none matched (try generic-linux)"
    )


def _cameras(report: Report, root: Path) -> None:
    devices = probes.video_devices(root)
    for dev, name in devices:
        report.add("cameras", dev, name or "?", True)
    if not devices:
        report.add("cameras", "V4L2", "no /dev/video* devices", False)
    pis = probes.pi_cameras()
    if pis is not None:
        for i, cam in enumerate(pis):
            report.add("cameras", f"picam:{i}", cam, "failed" not in cam)
        if not pis:
            report.add("cameras", "picamera2", "installed, no camera attached", False)


def _displays(report: Report, root: Path) -> None:
    server = probes.display_server()
    report.add("displays", "desktop session", server or "none", server is not None)
    for dev, geometry in probes.framebuffers(root):
        writable = os.access(root / dev.lstrip("/"), os.W_OK)
        report.add(
            "displays", dev, geometry + ("" if writable else " (not writable: join group 'video')"), writable
        )
    for connector, status in probes.drm_connectors(root):
        report.add("displays", connector, status, status == "connected")


def _backends(report: Report) -> None:
    """Each runtime backend reports itself: the TFLite interpreter and delegates, onnxruntime's providers."""
    for backend in unique_backends():
        for section, name, value, ok in backend.doctor_checks():
            report.add(section, name, value, ok)


VERSIONS = [
    ("ai-edge-litert", "ai-edge-litert"),
    ("tflite-runtime", "tflite-runtime"),
    ("tensorflow", "tensorflow (not needed on boards)"),
    ("numpy", "numpy"),
    ("opencv-python-headless", "opencv-python-headless"),
    ("opencv-python", "opencv-python"),
]


def _runtime(report: Report) -> None:
    report.add("runtime", "python", platform.python_version())
    for dist, label in VERSIONS:
        version = probes.package_version(dist)
        if version:
            report.add("runtime", label, version)
    if probes.opencv_build_info() is None:
        report.add("runtime", "opencv", "not importable", False)
        return
    import cv2

    features = [f for f in ("GStreamer", "v4l/v4l2", "FFMPEG") if probes.opencv_feature(f)]
    report.add(
        "runtime",
        "opencv",
        f"{cv2.__version__} (video: {', '.join(features) or 'none'}; GUI: {probes.opencv_gui()})",
    )


def _styles(report: Report, models: list[Path]) -> None:
    """Whether any picture can be a style here: the style predictor, and which models take pictures."""
    from edgestyle.errors import EdgestyleError
    from edgestyle.runtime.models import shipped_models
    from edgestyle.runtime.style_code import describe_style_input, find_predictor

    try:
        report.add("styles", "style predictor", f"{find_predictor()} (--style-image, --style-dir)", True)
    except EdgestyleError:
        report.add(
            "styles", "style predictor", "not installed: models/style_predict/ (no --style-image)", False
        )
    for name, model in [*shipped_models(), *((str(m), m) for m in models)]:
        report.add("styles", name, *describe_style_input(model))


def collect(root: Path = Path("/"), models: list[Path] | None = None) -> Report:
    """Gather the whole report (no camera is opened, TensorFlow is never imported); ``models``
    are the user's own, reported with the shipped ones under "styles"."""
    report = Report(board=probes.board_model(root))
    _board(report, root)
    _cameras(report, root)
    _displays(report, root)
    _runtime(report)
    _backends(report)
    _styles(report, models or [])
    return report
