"""Sinks: the framebuffer writes the right bytes for a given geometry; files, null, bad URIs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from edgestyle.errors import EdgestyleError
from edgestyle.runtime.sinks import (
    FramebufferGeometry,
    FramebufferSink,
    NullSink,
    VideoFileSink,
    letterbox_rect,
    open_sink,
    pack_pixels,
)
from edgestyle.runtime.video_io import read_frames


def fake_framebuffer(tmp_path: Path, width: int, height: int, bpp: int, stride: int) -> tuple[Path, Path]:
    """A sysfs geometry folder and a zero-filled file standing in for /dev/fb0."""
    sysfs = tmp_path / "sys" / "fb0"
    sysfs.mkdir(parents=True)
    (sysfs / "virtual_size").write_text(f"{width},{height}\n")
    (sysfs / "bits_per_pixel").write_text(f"{bpp}\n")
    (sysfs / "stride").write_text(f"{stride}\n")
    device = tmp_path / "fb0"
    device.write_bytes(bytes(stride * height))
    return device, sysfs


def expected_pixel(b: int, g: int, r: int, bpp: int) -> bytes:
    """The framebuffer's bytes for one pixel, written out by hand (little-endian RGB565, BGR, BGRX)."""
    if bpp == 16:
        value = ((r >> 3) << 11) | ((g >> 2) << 5) | (b >> 3)
        return bytes([value & 0xFF, value >> 8])
    if bpp == 24:
        return bytes([b, g, r])
    return bytes([b, g, r, 255])


@pytest.mark.parametrize("bpp", [16, 24, 32])
def test_framebuffer_bytes_with_padded_stride(tmp_path, bpp):
    width, height = 6, 4
    stride = width * bpp // 8 + 10  # padding after each line, like many display controllers
    device, sysfs = fake_framebuffer(tmp_path, width, height, bpp, stride)
    frame = np.random.default_rng(bpp).integers(0, 256, (height, width, 3), dtype=np.uint8)
    sink = FramebufferSink(device, sysfs)
    assert sink.write(frame)
    sink.close()
    data = device.read_bytes()
    assert len(data) == stride * height
    for y in range(height):
        line = data[y * stride : (y + 1) * stride]
        want = b"".join(expected_pixel(*(int(c) for c in frame[y, x]), bpp) for x in range(width))
        assert line[: len(want)] == want
        assert line[len(want) :] == bytes(stride - len(want))


def test_framebuffer_letterboxes_and_reads_the_visible_mode(tmp_path):
    device, sysfs = fake_framebuffer(tmp_path, 8, 8, 32, 32)  # virtual 8x8 (double-buffered)
    (sysfs / "modes").write_text("U:8x4p-0\n")  # visible 8x4
    sink = FramebufferSink(device, sysfs)
    assert (sink.geometry.width, sink.geometry.height) == (8, 4)
    sink.write(np.full((4, 4, 3), 200, np.uint8))  # square frame on a 2:1 screen: bars left and right
    sink.close()
    screen = np.frombuffer(device.read_bytes(), np.uint8).reshape(8, 8, 4)[:4]
    assert letterbox_rect((4, 4), (8, 4)) == (2, 0, 4, 4)
    assert (screen[:, 2:6, :3] == 200).all() and (screen[:, :2] == 0).all() and (screen[:, 6:] == 0).all()


def test_framebuffer_geometry_errors(tmp_path):
    device, sysfs = fake_framebuffer(tmp_path, 6, 4, 8, 6)
    with pytest.raises(EdgestyleError, match="8 bits per pixel"):
        FramebufferSink(device, sysfs)
    with pytest.raises(EdgestyleError, match="cannot read framebuffer geometry"):
        FramebufferGeometry.from_sysfs(tmp_path / "nope")


def test_file_and_null_sinks(tmp_path):
    sink = open_sink(str(tmp_path / "out.mp4"), fps=12)
    assert isinstance(sink, VideoFileSink)
    for i in range(5):
        sink.write(np.full((32, 48, 3), i * 40, np.uint8))
    sink.close()
    assert len(list(read_frames(tmp_path / "out.mp4"))) == 5
    aborted = open_sink(str(tmp_path / "gone.mp4"))
    aborted.write(np.zeros((32, 48, 3), np.uint8))
    aborted.abort()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.mp4"]
    null = open_sink("null")
    assert isinstance(null, NullSink) and null.write(np.zeros((2, 2, 3), np.uint8)) and null.frames == 1


def test_bad_sinks_are_one_line(tmp_path, monkeypatch):
    with pytest.raises(EdgestyleError, match="unknown sink 'x.gif'"):
        open_sink("x.gif")
    with pytest.raises(EdgestyleError, match="unknown sink 'rtp://"):
        open_sink("rtp://host:5000")
    with pytest.raises(EdgestyleError, match="output directory does not exist"):
        open_sink(str(tmp_path / "missing" / "out.mp4"))
    with pytest.raises(EdgestyleError, match="cannot open framebuffer|cannot read framebuffer"):
        open_sink(f"fb://{tmp_path}/fb9")


@pytest.mark.parametrize("red_offset, expected", [(16, False), (0, True)])
def test_channel_order_comes_from_fbioget_vscreeninfo(monkeypatch, red_offset, expected):
    """The kernel's fb_var_screeninfo: 8 u32 (xres .. grayscale), then red {offset, length, msb_right}."""
    import fcntl
    import struct

    from edgestyle.runtime import sinks

    def ioctl(fd, request, arg):
        assert request == sinks.FBIOGET_VSCREENINFO and len(arg) == 160
        head = struct.pack("8I", 1920, 1080, 1920, 1080, 0, 0, 32, 0)
        return head + struct.pack("3I", red_offset, 8, 0) + bytes(160 - len(head) - 12)

    monkeypatch.setattr(fcntl, "ioctl", ioctl)
    assert sinks.read_channel_order(3) is expected
    bgr = np.array([[[1, 2, 3]]], np.uint8)
    assert pack_pixels(bgr, 24, red_first=expected).tobytes() == (
        b"\x03\x02\x01" if expected else b"\x01\x02\x03"
    )


def test_show_and_record_at_once(tmp_path):
    from edgestyle.runtime.sinks import TeeSink, open_sinks

    tee = open_sinks(["null", str(tmp_path / "take.mp4")], fps=10)
    assert isinstance(tee, TeeSink)
    for _ in range(4):
        assert tee.write(np.zeros((32, 48, 3), np.uint8))
    tee.close()
    assert tee.sinks[0].frames == 4 and len(list(read_frames(tmp_path / "take.mp4"))) == 4
    with pytest.raises(EdgestyleError, match="unknown sink 'x.gif'"):
        open_sinks([str(tmp_path / "other.mp4"), "x.gif"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["take.mp4"]
