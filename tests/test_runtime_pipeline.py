"""The threaded pipeline and ``edgestyle run``: lossless files, dropping live sources, restarts,
SIGTERM during a recording, board profiles, one-line errors."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from edgestyle.cli import app
from edgestyle.errors import EdgestyleError
from edgestyle.runtime.pipeline import Pipeline, Slot
from edgestyle.runtime.profiles import DEVICES_DIR, detect_profile, load_profile, profile_paths
from edgestyle.runtime.sinks import NullSink
from edgestyle.runtime.sources import open_source
from edgestyle.runtime.stylizer import Stylizer
from edgestyle.runtime.video_io import probe_video, read_frames
from edgestyle.synthetic import moving_scene

DEV_MODEL = Path(__file__).parent / "data" / "tiny_stateful_dev.tflite"
BOARDS = ["raspberry-pi-5", "raspberry-pi-4", "jetson-orin-nano", "jetson-nano", "coral-usb", "generic-linux"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("frames")
    for i, frame in enumerate(moving_scene(20, 48, 32)):
        cv2.imwrite(str(path / f"{i:03d}.png"), frame)
    return path


def test_slot_keeps_only_the_newest_item():
    slot = Slot()
    for i in range(3):
        slot.put(i, drop=True)
    assert slot.get() == 2 and slot.drops == 2 and slot.get(timeout=0.01) is None
    slot.close()
    slot.put(9, drop=False)  # a closed slot never blocks
    assert slot.get(timeout=0.01) is None


def test_a_file_is_stylized_losslessly(folder):
    sink = NullSink()
    stats = Pipeline(open_source(str(folder)), Stylizer(DEV_MODEL), sink).run()
    assert sink.frames == stats.frames == 20
    assert stats.dropped_capture == stats.dropped_inference == 0


def test_threaded_stylizing_equals_a_plain_loop(folder):
    """prepare / infer / restore spread over three threads give exactly process() in a loop."""

    class Keep(NullSink):
        def __init__(self):
            super().__init__()
            self.kept = []

        def write(self, frame):
            self.kept.append(frame.copy())
            return super().write(frame)

    sink = Keep()
    Pipeline(open_source(str(folder)), Stylizer(DEV_MODEL), sink).run()
    reference = Stylizer(DEV_MODEL)
    expected = [reference.process(f) for f in read_frames(folder)]
    assert len(sink.kept) == len(expected) == 20
    for got, want in zip(sink.kept, expected, strict=True):
        np.testing.assert_array_equal(got, want)


def test_a_live_source_drops_stale_frames_instead_of_lagging():
    source = open_source("test://?size=48x32&fps=0&frames=8")  # a camera far faster than the cap below
    sink = NullSink()
    pipeline = Pipeline(source, Stylizer(DEV_MODEL), sink, max_fps=50, max_frames=10)
    stats = pipeline.run()
    assert sink.frames == 10 and pipeline.stop_reason == "frame limit reached"
    assert stats.dropped_capture > 0 and stats.latency_ms < 500  # bounded, not growing
    assert source.closed.is_set()


def test_a_source_restart_resets_the_state(folder):
    stylizer = Stylizer(DEV_MODEL)
    pipeline = Pipeline(open_source(str(folder), loop=True), stylizer, NullSink(), max_frames=45)
    stats = pipeline.run()
    assert stats.frames == 45 and stats.resets == 2  # looped twice: 20 + 20 + 5


def test_stage_errors_surface_in_run(folder):
    stylizer = Stylizer(DEV_MODEL)

    class BrokenSink(NullSink):
        def write(self, frame):
            raise EdgestyleError("screen gone")

    with pytest.raises(EdgestyleError, match="screen gone"):
        Pipeline(open_source(str(folder)), stylizer, BrokenSink()).run()


def test_run_records_side_by_side_with_overlay(tmp_path, folder):
    out = tmp_path / "live.mp4"
    args = ["run", str(folder), "-o", str(out), "-m", str(DEV_MODEL), "--side-by-side", "--overlay"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert probe_video(out)[1:] == (20, (96, 32))


def test_sigterm_during_a_recording_leaves_a_playable_file(tmp_path):
    out = tmp_path / "rec.mp4"
    code = "from edgestyle.cli import main; main()"
    args = ["run", "test://?size=64x48&fps=60", "-o", str(out), "-m", str(DEV_MODEL)]
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # wait until frames are being written
            partial = [p for p in tmp_path.iterdir() if ".recording." in p.name]
            if partial and partial[0].stat().st_size > 0:
                break
            time.sleep(0.05)
        time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 143, stderr  # 128 + SIGTERM, after the file is finalized
    assert "stopped by SIGTERM" in stderr
    frames = list(read_frames(out))
    assert len(frames) > 0 and frames[0].shape == (48, 64, 3)
    assert [p.name for p in tmp_path.iterdir()] == ["rec.mp4"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["run", "test://", "-o", "null", "-m", "missing.tflite"], "model file not found"),
        (["run", "nope://cam", "-o", "null", "-m", str(DEV_MODEL)], "unknown source 'nope://cam'"),
        (["run", "/dev/video96", "-o", "null", "-m", str(DEV_MODEL)], "camera /dev/video96 not found"),
        (
            ["run", "test://", "-o", "null", "-m", str(DEV_MODEL), "--device", "toaster"],
            "unknown device 'toaster'",
        ),
        (["run", "test://", "-o", "x.gif", "-m", str(DEV_MODEL)], "unknown sink 'x.gif'"),
        (["run", "test://", "-o", "null", "-m", str(DEV_MODEL), "--style", "zz"], "unknown style 'zz'"),
        (
            ["run", "test://", "-o", "null", "-m", str(DEV_MODEL), "--cycle-styles", "0"],
            "--cycle-styles must be a number more than 0",
        ),
    ],
)
def test_run_errors_are_one_line(args, message):
    result = CliRunner().invoke(app, [*args, "--frames", "3"])  # a missed error must not run forever
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines[-1].startswith("error: ") and message in lines[-1] and "Traceback" not in result.output


def test_every_board_has_a_profile_install_script_and_service():
    assert sorted(profile_paths()) == sorted(BOARDS)
    for board in BOARDS:
        profile = load_profile(board)
        assert profile.name == board and profile.camera_uri and profile.sink
        assert (DEVICES_DIR / board / "install.sh").is_file()
        assert os.access(DEVICES_DIR / board / "install.sh", os.X_OK)
    unit = (DEVICES_DIR / "systemd" / "edgestyle-live@.service").read_text()
    assert "ExecStart=" in unit and "--device %i" in unit
    assert detect_profile("Raspberry Pi 5 Model B Rev 1.0").name == "raspberry-pi-5"
    assert detect_profile("NVIDIA Jetson Orin Nano Developer Kit").name == "jetson-orin-nano"
    assert detect_profile("QEMU Virtual Machine") is None


def test_styles_change_live_in_the_inference_thread(folder):
    stylizer = Stylizer(DEV_MODEL, style="a")
    seen = []

    def switch() -> None:
        stylizer.set_style("b" if len(seen) % 2 else "a")
        seen.append(dict(stylizer.style_weights))

    Pipeline(open_source(str(folder)), stylizer, NullSink(), before_inference=switch).run()
    assert len(seen) == 20 and seen[:2] == [{"a": 1.0}, {"b": 1.0}]


def test_a_profile_chooses_the_stabilizer_flow_and_refuses_an_unknown_one(tmp_path):
    """A board whose CPU the model fills can ask for the light flow; the command line still wins."""
    text = (DEVICES_DIR / "generic-linux.toml").read_text()
    assert load_profile("generic-linux").stabilize_flow == "fine"
    light = tmp_path / "light.toml"
    light.write_text(text.replace("[runtime]", '[runtime]\nstabilize_flow = "light"'))
    assert load_profile(light).stabilize_flow == "light"
    wrong = tmp_path / "wrong.toml"
    wrong.write_text(text.replace("[runtime]", '[runtime]\nstabilize_flow = "fast"'))
    with pytest.raises(EdgestyleError, match="stabilize_flow must be one of fine, light, not 'fast'"):
        load_profile(wrong)


def test_run_applies_a_device_profile(folder):
    result = CliRunner().invoke(
        app, ["run", str(folder), "-o", "null", "-m", str(DEV_MODEL), "-d", "generic-linux"]
    )
    assert result.exit_code == 0, result.output
    assert "end of source" in result.output and "20 frames" in result.output
