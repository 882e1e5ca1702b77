"""``edgestyle doctor`` on a fake /proc + /sys tree of a Raspberry Pi 5, and on this machine."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from edgestyle.cli import app
from edgestyle.runtime.doctor import collect


def fake_pi5(root: Path) -> Path:
    (root / "proc/device-tree").mkdir(parents=True)
    (root / "proc/device-tree/model").write_bytes(b"Raspberry Pi 5 Model B Rev 1.0\x00")
    for node, name in [("video0", "rp1-cfe"), ("video10", "USB Camera: HD Webcam")]:
        (root / "sys/class/video4linux" / node).mkdir(parents=True)
        (root / "sys/class/video4linux" / node / "name").write_text(name + "\n")
    fb = root / "sys/class/graphics/fb0"
    fb.mkdir(parents=True)
    for key, value in {"virtual_size": "1920,1080", "bits_per_pixel": "16", "stride": "3840"}.items():
        (fb / key).write_text(value + "\n")
    (root / "sys/class/drm/card1-HDMI-A-1").mkdir(parents=True)
    (root / "sys/class/drm/card1-HDMI-A-1/status").write_text("connected\n")
    return root


def test_doctor_reads_a_pi5_tree(tmp_path):
    report = collect(fake_pi5(tmp_path))
    assert report.board == "Raspberry Pi 5 Model B Rev 1.0" and report.profile == "raspberry-pi-5"
    found = {(c.section, c.name): c for c in report.checks}
    assert found[("cameras", "/dev/video10")].value == "USB Camera: HD Webcam"
    assert found[("displays", "/dev/fb0")].value.startswith("1920x1080 16 bpp, stride 3840")
    assert found[("displays", "card1-HDMI-A-1")].ok is True
    assert found[("delegates", "xnnpack")].ok is True


def test_doctor_cli_runs_here():
    result = CliRunner().invoke(app, ["doctor", "--json"])
    assert result.exit_code == 0, result.output
    sections = {c["section"] for c in json.loads(result.output)["checks"]}
    assert {"board", "delegates", "runtime"} <= sections
