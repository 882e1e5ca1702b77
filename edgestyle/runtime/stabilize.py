"""Motion-compensated stabilizer: painted texture follows the camera's motion instead of re-growing.

Why: our generator keeps texture still where the picture is still (its state, the output hold),
but where the picture moves it repaints strokes that do not travel with the content, so texture
swims over moving walls and skies (starry, int8, Big Buck Bunny: 2.7x the input's warping error
even through the hold; Sintel 6.1x). The input's optical flow says where each pixel came from,
so the previous shown frame can be carried along it and blended with the new output:

    shown_t = w * warp(shown_{t-1}) + (1 - w) * output_t,   w = strength * exp(-(dI / tolerance)^2)

where dI is how far the warped previous *input* misses the current input at that pixel: where the
flow is wrong or content is uncovered (occlusions, cuts, lighting changes) the input itself
disagrees, w falls to 0 and the new output shows as it is, so nothing trails. The flow is OpenCV's
DIS (fast preset) on full-size grey frames (``FINE_FLOW``): the texture it carries is only as
still as the flow is right: on every shipped model and clip it left 6-43% less flicker than the
ultrafast preset on half-size frames (``LIGHT_FLOW``, the setting before), scored with TV-L1, a
flow that neither the stabilizer nor the evaluation uses (``benchmarks/stabilizer_flow.py``). It
costs 0.095x the shipped int8 model's time on one thread at 384x384 on the 2-core x86 host, the
light flow 0.048x (``benchmarks/bench_stabilize.py``). This is the
post-processing idea of blind temporal consistency (Bonneel et al. 2015; Lai et al. 2018) in its
cheapest recursive form; the evaluation measures flicker with a different, denser flow (DIS
medium, forward-backward checked).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgestyle.errors import EdgestyleError

DEFAULT_STRENGTH = 0.7  # for our recurrent models; plain per-frame models get 0 (shown as they are)
MAX_STRENGTH = 0.9  # beyond this a shown pixel is mostly history: motion smears
TOLERANCE = 12.0  # input levels of flow misfit at which the carried frame's weight falls to 1/e


@dataclass(frozen=True)
class FlowSetting:
    """How the input's motion is measured: an OpenCV DIS preset, on frames scaled by ``scale``."""

    preset: str  # "ultrafast", "fast" or "medium" (cv2.DISOPTICAL_FLOW_PRESET_*)
    scale: float  # 1: full size; 0.5: half size, 4x less work for a coarser flow

    def create(self):
        import cv2

        return cv2.DISOpticalFlow_create(getattr(cv2, f"DISOPTICAL_FLOW_PRESET_{self.preset.upper()}"))


FINE_FLOW = FlowSetting("fast", 1.0)  # the default: painted texture follows the motion this closely
LIGHT_FLOW = FlowSetting("ultrafast", 0.5)  # about 6x cheaper, for a CPU the model already fills
FLOWS = {"fine": FINE_FLOW, "light": LIGHT_FLOW}  # --stabilize-flow, a board profile's stabilize_flow


def flow_named(name: str, what: str = "--stabilize-flow") -> FlowSetting:
    """The flow setting called ``name``; one clear error for any other word."""
    if name not in FLOWS:
        raise EdgestyleError(f"{what} must be one of {', '.join(FLOWS)}, not {name!r}")
    return FLOWS[name]


MIN_FLOW_SIDE = 16  # DIS needs a side of at least 12 pixels; below this flow runs at full size
MIN_FRAME_SIDE = 12  # smaller frames pass through unstabilized


class MotionTracker:
    """The input's motion from one frame to the next: where each pixel of a frame was in the one
    before. Shared by the stabilizer (which carries the shown frame along it) and by a model that
    carries its recurrent state along it (``warp_state``), so the flow is computed once a frame."""

    def __init__(self, flow: FlowSetting = FINE_FLOW):
        self.flow = flow
        self._flow = None  # the DIS instance, made on first use (so importing costs nothing)
        self._grids: dict[tuple[int, int], np.ndarray] = {}  # pixel coordinates per size, made once
        self.gray: np.ndarray | None = None  # the latest frame, grey, at the size asked for
        self.previous: np.ndarray | None = None  # the frame before it
        self.source: np.ndarray | None = None  # [H,W,2] absolute x, y in ``previous``; None: no motion known

    def reset(self) -> None:
        """Forget the past (a new clip, a scene cut): the next frame has no motion."""
        self.gray = self.previous = self.source = None

    def update(self, frame_rgb: np.ndarray, height: int, width: int) -> None:
        """Take the next frame (RGB uint8), measured at ``height`` x ``width``."""
        import cv2

        gray = cv2.cvtColor(frame_rgb, cv2.COLOR_RGB2GRAY)
        if gray.shape != (height, width):  # a model whose output size differs from its input's
            gray = cv2.resize(gray, (width, height), interpolation=cv2.INTER_AREA)
        self.previous, self.gray = self.gray, gray
        same = self.previous is not None and self.previous.shape == gray.shape
        self.source = (
            self._source_map(gray, self.previous) if same and min(gray.shape) >= MIN_FRAME_SIDE else None
        )

    def source_at(self, height: int, width: int) -> np.ndarray | None:
        """``source`` on a coarser grid (a recurrent state's): the flow averaged over each cell and
        scaled to cells, as training carries the state (``edgestyle.train.flow.carried_state``)."""
        import cv2

        if self.source is None:
            return None
        full_h, full_w = self.source.shape[:2]
        flow = self.source - self._pixel_grid(full_h, full_w)
        coarse = cv2.resize(flow, (width, height), interpolation=cv2.INTER_AREA)
        coarse *= np.float32([width / full_w, height / full_h])
        return coarse + self._pixel_grid(height, width)

    def _pixel_grid(self, height: int, width: int) -> np.ndarray:
        """[H,W,2] float32 (x, y) of every pixel, kept per size (a frame's and a state's)."""
        grid = self._grids.get((height, width))
        if grid is None:
            ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
            grid = self._grids[(height, width)] = np.stack([xs, ys], axis=-1)
        return grid

    def _source_map(self, gray: np.ndarray, previous: np.ndarray) -> np.ndarray:
        """Where each pixel of the current frame was in the previous one (absolute x, y; float32)."""
        import cv2

        if self._flow is None:
            self._flow = self.flow.create()
        height, width = gray.shape
        scale = self.flow.scale
        small = (round(width * scale), round(height * scale))
        if scale != 1 and min(small) >= MIN_FLOW_SIDE:
            flow = self._flow.calc(
                cv2.resize(gray, small, interpolation=cv2.INTER_AREA),
                cv2.resize(previous, small, interpolation=cv2.INTER_AREA),
                None,
            )
            flow = cv2.resize(flow, (width, height), interpolation=cv2.INTER_LINEAR) * (1.0 / scale)
        else:
            flow = self._flow.calc(gray, previous, None)
        return self._pixel_grid(height, width) + flow


class MotionStabilizer:
    """Blend each output with the previous shown frame carried along the input's optical flow."""

    def __init__(
        self, strength: float = DEFAULT_STRENGTH, tolerance: float = TOLERANCE, flow: FlowSetting = FINE_FLOW
    ):
        self.strength = float(strength)
        self.tolerance = float(tolerance)
        self.motion = MotionTracker(flow)
        self._weights = self._weight_table()
        self._shown: np.ndarray | None = None

    def _weight_table(self) -> np.ndarray:
        """Carried-frame weight for every input misfit 0..255 (a lookup table: no per-pixel exp)."""
        misfit = np.arange(256, dtype=np.float32)
        return (self.strength * np.exp(-((misfit / self.tolerance) ** 2))).astype(np.float32)

    def reset(self) -> None:
        """Forget the past (a new clip, a scene cut): the next output is shown as it is."""
        self.motion.reset()
        self._shown = None

    def __call__(self, frame_rgb: np.ndarray, output: np.ndarray, tracked: bool = False) -> np.ndarray:
        """The frame to show for ``output`` (HxWx3 uint8), given the model's input ``frame_rgb``.

        ``tracked``: ``self.motion`` has already taken ``frame_rgb`` at the output's size (the caller
        needed the motion before the model ran)."""
        if self.strength <= 0 or min(output.shape[:2]) < MIN_FRAME_SIDE:
            return output
        import cv2

        motion = self.motion
        if not tracked:
            motion.update(frame_rgb, *output.shape[:2])
        shown, source = self._shown, motion.source
        if source is None or shown is None or shown.shape != output.shape:
            self._shown = output.copy()
            return output
        carried = cv2.remap(shown, source, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        carried_input = cv2.remap(
            motion.previous, source, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
        weight = cv2.LUT(cv2.absdiff(carried_input, motion.gray), self._weights)
        blended = cv2.blendLinear(carried, output, weight, 1.0 - weight)
        self._shown = blended
        return blended.copy()
