"""Where stylized frames go, addressed like jetson-utils' videoOutput.

``hdmi`` / ``display://0``: a fullscreen OpenCV window when a display server (X11/Wayland) and a
GUI-enabled OpenCV exist, else straight into the console framebuffer ``/dev/fb0`` (what a Pi or
Jetson shows on HDMI with no desktop running). ``fb:///dev/fb1`` picks a framebuffer,
``window`` forces the window, a ``.mp4``/``.avi``/``.mkv`` path records a video (atomically,
finalized on Ctrl-C and SIGTERM), ``null`` drops frames (benchmarks).

Every sink has ``write(frame) -> bool`` (False: the viewer asked to quit) and ``close()``.
"""

from __future__ import annotations

import fcntl
import os
import stat
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edgestyle.errors import EdgestyleError
from edgestyle.runtime.video_io import FOURCC_BY_SUFFIX, VideoFileWriter

SINK_HELP = "hdmi, display://0, fb:///dev/fb0, window, null, or a video file (.mp4, .avi, .mkv, .mov)"
FBIOGET_VSCREENINFO = 0x4600


class FrameSink:
    name = "sink"

    def write(self, frame_bgr: np.ndarray) -> bool:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def abort(self) -> None:
        """Stop after a crash: by default the same as close (a file sink discards instead)."""
        self.close()


class TeeSink(FrameSink):
    """Several sinks at once (show on HDMI and record); stops when any viewer asks to quit."""

    def __init__(self, sinks: list[FrameSink]):
        self.sinks = sinks
        self.name = " + ".join(s.name for s in sinks)

    def write(self, frame_bgr: np.ndarray) -> bool:
        return all([sink.write(frame_bgr) for sink in self.sinks])  # a list: every sink gets the frame

    def close(self) -> None:
        for sink in self.sinks:
            sink.close()

    def abort(self) -> None:
        for sink in self.sinks:
            sink.abort()


class NullSink(FrameSink):
    """Counts frames and drops them: measures the pipeline without any display cost."""

    name = "null"

    def __init__(self) -> None:
        self.frames = 0

    def write(self, frame_bgr: np.ndarray) -> bool:
        self.frames += 1
        return True


class VideoFileSink(FrameSink):
    """Records to a video file, opened at the first frame's size; a close keeps a playable file."""

    def __init__(self, path: Path, fps: float):
        from edgestyle.atomic import check_parent_exists

        if path.suffix.lower() not in FOURCC_BY_SUFFIX:
            raise EdgestyleError(f"unknown sink {str(path)!r}: use {SINK_HELP}")
        check_parent_exists(path)
        self.path, self.fps, self.name = path, fps, str(path)
        self.writer: VideoFileWriter | None = None

    def write(self, frame_bgr: np.ndarray) -> bool:
        if self.writer is None:
            self.writer = VideoFileWriter(self.path, self.fps, frame_bgr.shape[1::-1])
        self.writer.write(frame_bgr)
        return True

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()

    def abort(self) -> None:
        if self.writer is not None:
            self.writer.abort()


class WindowSink(FrameSink):
    """A fullscreen OpenCV window; q or Esc quits."""

    name = "window"

    def __init__(self, title: str = "edgestyle", fullscreen: bool = True):
        import cv2

        self.title = title
        try:
            cv2.namedWindow(title, cv2.WINDOW_NORMAL)
            if fullscreen:
                cv2.setWindowProperty(title, cv2.WND_PROP_FULLSCREEN, cv2.WINDOW_FULLSCREEN)
        except cv2.error:
            raise EdgestyleError(
                "this OpenCV has no GUI (opencv-python-headless); use -o fb:///dev/fb0, or install opencv-python"
            ) from None

    def write(self, frame_bgr: np.ndarray) -> bool:
        import cv2

        cv2.imshow(self.title, frame_bgr)
        key = cv2.waitKey(1) & 0xFF
        return key not in (ord("q"), 27) and cv2.getWindowProperty(self.title, cv2.WND_PROP_VISIBLE) >= 1

    def close(self) -> None:
        import cv2

        try:
            cv2.destroyWindow(self.title)
        except cv2.error:
            pass


# -- the console framebuffer -------------------------------------------------------------
@dataclass
class FramebufferGeometry:
    """What the kernel says about a framebuffer: visible size, bits per pixel, bytes per line."""

    width: int
    height: int
    bits_per_pixel: int
    stride: int
    red_first: bool = False  # byte order: False = B,G,R(,X) in memory (red.offset 16), the usual

    @classmethod
    def from_sysfs(cls, sysfs_dir: Path) -> FramebufferGeometry:
        """Read /sys/class/graphics/fbN/{virtual_size,bits_per_pixel,stride} (and ``modes`` if present)."""

        def read(name: str) -> str:
            try:
                return (sysfs_dir / name).read_text().strip()
            except OSError:
                raise EdgestyleError(f"cannot read framebuffer geometry {sysfs_dir / name}") from None

        width, height = (int(v) for v in read("virtual_size").split(","))
        modes = sysfs_dir / "modes"
        if modes.is_file() and modes.read_text().strip():  # e.g. "U:1920x1080p-0": the visible part
            mode = modes.read_text().split()[0].split(":")[-1].split("p")[0].split("i")[0]
            width, height = (int(v) for v in mode.split("x"))
        return cls(width, height, int(read("bits_per_pixel")), int(read("stride")))

    def check(self) -> None:
        if self.bits_per_pixel not in (16, 24, 32):
            raise EdgestyleError(
                f"framebuffer has {self.bits_per_pixel} bits per pixel; only 16, 24, 32 work"
            )
        if self.stride < self.width * self.bits_per_pixel // 8:
            raise EdgestyleError(f"framebuffer stride {self.stride} is smaller than one line of pixels")


def read_channel_order(fd: int) -> bool | None:
    """red_first from FBIOGET_VSCREENINFO (red.offset == 0 means R,G,B in memory); None if unknown."""
    try:
        data = fcntl.ioctl(fd, FBIOGET_VSCREENINFO, bytes(160))
    except OSError:
        return None
    red_offset = struct.unpack_from("I", data, 32)[0]  # after 8 u32s: red.offset
    return red_offset == 0


def pack_pixels(frame_bgr: np.ndarray, bits_per_pixel: int, red_first: bool = False) -> np.ndarray:
    """BGR uint8 HxWx3 -> HxWxN bytes as the framebuffer stores them (16 bpp is RGB565 little-endian)."""
    if red_first:
        frame_bgr = frame_bgr[:, :, ::-1]
    if bits_per_pixel == 16:
        b, g, r = (frame_bgr[:, :, i].astype(np.uint16) for i in range(3))
        packed = ((r >> 3) << 11) | ((g >> 2) << 5) | (b >> 3)
        return packed.astype("<u2").view(np.uint8).reshape(*frame_bgr.shape[:2], 2)
    if bits_per_pixel == 24:
        return np.ascontiguousarray(frame_bgr)
    alpha = np.full((*frame_bgr.shape[:2], 1), 255, np.uint8)
    return np.concatenate([frame_bgr, alpha], axis=2)


def letterbox_rect(frame_size: tuple[int, int], screen_size: tuple[int, int]) -> tuple[int, int, int, int]:
    """(x, y, w, h) of the largest frame-shaped rectangle centred on the screen."""
    fw, fh = frame_size
    sw, sh = screen_size
    scale = min(sw / fw, sh / fh)
    w, h = max(1, round(fw * scale)), max(1, round(fh * scale))
    return (sw - w) // 2, (sh - h) // 2, w, h


class FramebufferSink(FrameSink):
    """Writes letterboxed frames straight into a framebuffer device (no X, no Wayland needed).

    ``sysfs_dir`` defaults to /sys/class/graphics/<device name>; tests pass a plain file as
    ``device`` and their own geometry folder.
    """

    def __init__(self, device: Path = Path("/dev/fb0"), sysfs_dir: Path | None = None):
        self.device = Path(device)
        self.name = str(device)
        self.geometry = FramebufferGeometry.from_sysfs(
            sysfs_dir or Path("/sys/class/graphics") / self.device.name
        )
        self.geometry.check()
        try:
            self._fd = os.open(self.device, os.O_RDWR)
        except PermissionError:
            raise EdgestyleError(
                f"no permission to write {self.device}: add yourself to the 'video' group (sudo usermod -aG video $USER)"
            ) from None
        except OSError as exc:
            raise EdgestyleError(f"cannot open framebuffer {self.device}: {exc.strerror}") from None
        if stat.S_ISCHR(os.fstat(self._fd).st_mode):
            order = read_channel_order(self._fd)
            if order is not None:
                self.geometry.red_first = order
        self._rect: tuple[int, int, int, int] | None = None
        self._frame_size: tuple[int, int] | None = None

    def write(self, frame_bgr: np.ndarray) -> bool:
        import cv2

        g = self.geometry
        size = frame_bgr.shape[1::-1]
        if size != self._frame_size:  # new layout: clear the screen once, then only write the picture
            self._frame_size, self._rect = size, letterbox_rect(size, (g.width, g.height))
            os.pwrite(self._fd, bytes(g.stride * g.height), 0)
            self._rows = np.zeros((self._rect[3], g.stride), np.uint8)  # black bars stay black
        x, y, w, h = self._rect
        if (w, h) != size:
            frame_bgr = cv2.resize(frame_bgr, (w, h), interpolation=cv2.INTER_LINEAR)
        bpp = g.bits_per_pixel // 8
        self._rows[:, x * bpp : (x + w) * bpp] = pack_pixels(
            frame_bgr, g.bits_per_pixel, g.red_first
        ).reshape(h, w * bpp)
        os.pwrite(self._fd, self._rows.tobytes(), y * g.stride)
        return True

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


# -- the URI dispatcher ------------------------------------------------------------------
def display_server_available() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def opencv_has_gui() -> bool:
    import cv2

    lines = [line for line in cv2.getBuildInformation().splitlines() if line.strip().startswith("GUI:")]
    return bool(lines) and "NONE" not in lines[0]


def open_sink(uri: str, fps: float = 30.0, log: Callable[[str], None] | None = None) -> FrameSink:
    """Open a sink by URI (see the module docstring)."""
    log = log or (lambda message: None)
    lowered = uri.lower()
    if lowered in ("null", "null://", "none"):
        return NullSink()
    if lowered == "window":
        return WindowSink()
    if lowered.startswith("fb://") or lowered.startswith("/dev/fb"):
        return FramebufferSink(Path(uri[len("fb://") :] if lowered.startswith("fb://") else uri))
    if lowered in ("hdmi", "display", "screen") or lowered.startswith("display://"):
        if display_server_available() and opencv_has_gui():
            return WindowSink()
        fb = Path("/dev/fb0")
        if fb.exists():
            log("no desktop session: drawing straight to the console framebuffer /dev/fb0")
            return FramebufferSink(fb)
        raise EdgestyleError(
            "no display found: no X11/Wayland session with a GUI-enabled OpenCV and no /dev/fb0 "
            "(record with -o out.mp4 instead)"
        )
    if "://" in uri:
        raise EdgestyleError(f"unknown sink {uri!r}: use {SINK_HELP}")
    return VideoFileSink(Path(uri).expanduser(), fps)


def open_sinks(uris: list[str], fps: float = 30.0, log: Callable[[str], None] | None = None) -> FrameSink:
    """One sink, or a :class:`TeeSink` of several; already-opened ones are closed if a later one fails."""
    opened: list[FrameSink] = []
    try:
        for uri in uris:
            opened.append(open_sink(uri, fps, log))
    except BaseException:
        for sink in opened:
            sink.abort()
        raise
    return opened[0] if len(opened) == 1 else TeeSink(opened)
