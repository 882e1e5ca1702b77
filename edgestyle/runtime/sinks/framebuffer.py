"""``fb:///dev/fb0`` (or ``/dev/fb1``): letterboxed frames written straight into a console framebuffer.

What a Pi or Jetson shows on HDMI with no desktop running. Geometry comes from sysfs, the
channel order from ``FBIOGET_VSCREENINFO``; 16 bpp (RGB565), 24 and 32 bpp are supported.
"""

from __future__ import annotations

import fcntl
import os
import stat
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from edgestyle.errors import EdgestyleError
from edgestyle.runtime.sinks.base import FrameSink, SinkOptions
from edgestyle.runtime.uris import Uri

if TYPE_CHECKING:
    import numpy as np

FBIOGET_VSCREENINFO = 0x4600


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
    import numpy as np

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

    schemes = ("fb",)
    prefixes = ("/dev/fb",)
    example = "fb:///dev/fb0"
    watched = True

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

    @classmethod
    def from_uri(cls, uri: Uri, options: SinkOptions) -> FramebufferSink:
        return cls(Path(uri.target or "/dev/fb0"))

    def write(self, frame_bgr: np.ndarray) -> bool:
        import cv2
        import numpy as np

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
