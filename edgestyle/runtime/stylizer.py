"""The stateful stylizer: BGR frames in, stylized BGR frames out, recurrent state carried along.

Our recurrent generators only stay flicker-free if every ``state_out_k`` of frame t is fed back
as ``state_in_k`` at frame t+1, so this class owns that loop. It also resizes frames to the
model's size and back, requantizes a state when the converter gave its pair different int8
scales, resets the state on scene cuts and source restarts, and switches or blends styles
between frames. Plain image-to-image models without our contract run through the same class,
statelessly.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edgestyle.contract import ModelContract, infer_contract, load_contract
from edgestyle.errors import EdgestyleError
from edgestyle.limits import check_number
from edgestyle.runtime.backends import ModelBackend, open_model
from edgestyle.runtime.backends.base import (
    TensorInfo,
    frame_to_tensor,
    from_tensor,
    tensor_to_frame,
    to_tensor,
)
from edgestyle.runtime.hold import DEFAULT_LEVELS, MAX_LEVELS, OutputHold
from edgestyle.runtime.images import read_style_picture
from edgestyle.runtime.palette import PaletteAnchor, mean_colour
from edgestyle.runtime.scenecut import DEFAULT_THRESHOLD, SceneCutDetector
from edgestyle.runtime.stabilize import (
    DEFAULT_STRENGTH,
    MAX_STRENGTH,
    MotionStabilizer,
    MotionTracker,
    flow_named,
)
from edgestyle.runtime.style_code import StylePicture, StylePredictor, code_input, predictor_for

StyleChoice = str | Mapping[str, float] | Sequence[float] | np.ndarray | StylePicture | None
MAX_BLEND_WEIGHT = 1000.0  # weights are normalized; a larger one is a typo, and 1e308s would overflow


@dataclass
class _StateLink:
    """One recurrent pair and whether its bytes can be copied without requantizing."""

    input: TensorInfo
    output: TensorInfo

    @property
    def same_quantization(self) -> bool:
        a, b = self.input, self.output
        return a.dtype == b.dtype and a.scale == b.scale and a.zero_point == b.zero_point

    def carry(self, values: np.ndarray) -> np.ndarray:
        """state_out tensor -> state_in tensor (a copy: the interpreter reuses its output buffers)."""
        if self.same_quantization:
            return values.copy()
        return to_tensor(from_tensor(values, self.output), self.input)

    def zeros(self) -> np.ndarray:
        return to_tensor(np.zeros(self.input.shape, np.float32), self.input)

    def moved(self, state: np.ndarray, source: np.ndarray) -> np.ndarray:
        """A state_in tensor [1,H,W,C] sampled at ``source`` ([H,W,2] x, y on the state's grid:
        :meth:`MotionTracker.source_at`).

        Warped in its own integer domain: int8 quantization is affine, so interpolating the stored
        values is interpolating the state (to one step of OpenCV's fixed-point rounding), and an
        int8 state goes through ``remap`` as uint8 (+128): 4x cheaper than dequantizing to float."""
        import cv2

        values = state[0]
        if values.dtype == np.int8:
            values = values.view(np.uint8) ^ np.uint8(0x80)
        moved = cv2.remap(values, source, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        if state.dtype == np.int8:
            moved = (moved ^ np.uint8(0x80)).view(np.int8)
        return moved.reshape(state.shape).astype(state.dtype, copy=False)


def load_model_contract(model: ModelBackend) -> ModelContract:
    """Our embedded/sidecar contract, else one inferred from tensor shapes; checked against the model."""
    embedded = model.embedded_contract()
    contract = ModelContract.from_json(embedded) if embedded else load_contract(model.path)
    if contract is None:
        contract = infer_contract(*model.details(), name=model.path.stem)
    keys_in = [contract.frame_input.name, *(s.input for s in contract.states)]
    keys_in += [contract.style.input] if contract.style else []
    keys_out = [contract.frame_output.name, *(s.output for s in contract.states)]
    for key, table, kind in [(k, model.inputs, "input") for k in keys_in] + [
        (k, model.outputs, "output") for k in keys_out
    ]:
        if key not in table:
            raise EdgestyleError(
                f"{model.path}: metadata names {kind} {key!r} but the model has {', '.join(table) or 'none'}"
            )
    return contract


class Stylizer:
    """Drive one model frame by frame.

    ``style`` is a style name, a blend ``{name: weight}``, a raw style vector (for plain
    models such as Magenta's, whose style bottleneck comes from elsewhere), or a
    :class:`StylePicture` for a model conditioned on style codes. ``scene_cut_threshold``
    is the thumbnail difference that resets the state (0 or None: never). ``hold`` is the
    output hold in levels (:mod:`edgestyle.runtime.hold`); None: 3 for our recurrent models,
    0 for plain per-frame ones. ``stabilize`` is the motion-compensated blend's strength, 0 to 0.9
    (:mod:`edgestyle.runtime.stabilize`); None: 0.7 for our recurrent models, 0 for plain ones.
    ``match_palette``: move the output's mean colour to the style picture's
    (:mod:`edgestyle.runtime.palette`): a picture given as the style (:class:`StylePicture`), or a
    named, blended or baked style whose file records its picture's colour (not cartoon: no picture).
    """

    def __init__(
        self,
        model_path: str | os.PathLike,
        delegate: str = "xnnpack",
        threads: int | None = None,
        style: StyleChoice = None,
        scene_cut_threshold: float | None = DEFAULT_THRESHOLD,
        hold: int | None = None,
        stabilize: float | None = None,
        match_palette: bool = True,
        stabilize_flow: str = "fine",
    ):
        flow = flow_named(stabilize_flow, "the stabilizer flow")
        if hold is not None:
            check_number(hold, "the output hold", 0, MAX_LEVELS)
        if stabilize is not None:
            check_number(stabilize, "the stabilizer strength", 0, MAX_STRENGTH)
        self.model = open_model(Path(model_path), delegate=delegate, threads=threads)
        self.contract = load_model_contract(self.model)
        c = self.contract
        self._frame_in = self.model.inputs[c.frame_input.name]
        self._frame_out = self.model.outputs[c.frame_output.name]
        self._in_range = tuple(c.frame_input.value_range)
        self._out_range = tuple(c.frame_output.value_range)
        self._links = [_StateLink(self.model.inputs[s.input], self.model.outputs[s.output]) for s in c.states]
        self.scene_cuts = SceneCutDetector(scene_cut_threshold)
        ours = bool(self._links) and not c.inferred
        self.output_hold = OutputHold(hold if hold is not None else DEFAULT_LEVELS if ours else 0)
        self.stabilizer = MotionStabilizer(
            stabilize if stabilize is not None else DEFAULT_STRENGTH if ours else 0.0, flow=flow
        )
        self.match_palette = bool(match_palette)
        self.palette = PaletteAnchor()
        self.frames = 0
        self.resets = 0
        self.style_weights: dict[str, float] = {}
        self._style_tensor: np.ndarray | None = None
        self._style_label: str | None = None  # names a picture or a code given as a vector
        self._predictor: StylePredictor | None = None
        if style is None and c.style is not None and c.style.code and not c.style.names:
            pass  # a picture will be its style (set_style before the first frame)
        elif c.style is not None or isinstance(style, StylePicture):
            self.set_style(style)
        elif style is not None and not self._is_baked_style(style):
            baked = f" ({c.baked_style!r})" if c.baked_style else ""
            raise EdgestyleError(
                f"{self.model.path.name} has no style input; it always paints one style{baked}"
            )
        if c.style is None and c.baked_colour and self.match_palette:
            self.palette.set_target(np.asarray(c.baked_colour, np.float32))
        self.reset()

    def _is_baked_style(self, style: StyleChoice) -> bool:
        """A single-style model accepts its own style's name (alone, or as a blend of only itself)."""
        baked = self.contract.baked_style
        if baked is None:
            return False
        if isinstance(style, str):
            return style == baked
        return isinstance(style, Mapping) and set(style) == {baked}

    # -- properties ---------------------------------------------------------------------
    @property
    def input_size(self) -> tuple[int, int]:
        """(width, height) the model runs at."""
        return self.contract.input_size

    @property
    def stateful(self) -> bool:
        return bool(self._links)

    @property
    def style_label(self) -> str:
        """The style in use, for summaries and reports: ``starry``, ``starry 0.70 + cartoon 0.30``, ..."""
        if len(self.style_weights) == 1:
            return next(iter(self.style_weights))
        if self.style_weights:
            return " + ".join(f"{name} {weight:.2f}" for name, weight in self.style_weights.items())
        if self._style_label:
            return self._style_label
        if self.contract.baked_style:
            return self.contract.baked_style
        return "a style vector" if self._style_tensor is not None else "its one style"

    @property
    def style_names(self) -> list[str]:
        return list(self.contract.style.names) if self.contract.style else []

    # -- state and style ----------------------------------------------------------------
    def reset(self) -> None:
        """Start from zero state (a new clip, a source restart, a scene cut)."""
        self._start_over()
        self.scene_cuts.reset()

    def _start_over(self) -> None:
        """Zero state, no carried frame, a fresh output hold; a detected cut keeps the detector's last thumbnail."""
        self._states = [link.zeros() for link in self._links]
        self.stabilizer.reset()
        self.output_hold.reset()
        self.palette.reset()
        self.resets += 1

    @property
    def takes_pictures(self) -> bool:
        """Conditioned on style codes: any picture can be its style (``--style-image``)."""
        return bool(self.contract.style and self.contract.style.code)

    def code_of_picture(self, picture_rgb: np.ndarray) -> np.ndarray:
        """A picture's style code (RGB uint8, read once by the caller, who also takes its colour), by
        the predictor this model was trained with (loaded once).

        Runs the predictor (tens of ms): call it once per style change, never per frame.
        """
        if self._predictor is None:
            self._predictor = predictor_for(code_input(self.contract, self.model.path.name))
        return self._predictor.code(picture_rgb)

    def set_style(
        self, style: StyleChoice, label: str | None = None, colour: np.ndarray | None = None
    ) -> None:
        """Switch or blend styles live: a name, ``{name: weight}`` (weights are normalized), a vector
        (``label`` names it in summaries; ``colour``: the mean colour of the picture whose code it is,
        for the palette anchor), or a :class:`StylePicture` (runs the predictor once)."""
        spec = self.contract.style
        if isinstance(style, StylePicture):
            picture = read_style_picture(style.path)
            colour = mean_colour(picture)
            style, label = self.code_of_picture(picture), label or style.label
        if spec is None:
            raise EdgestyleError(f"{self.model.path.name} has no style input")
        info = self.model.inputs[spec.input]
        if style is None:
            if not spec.names:
                raise EdgestyleError(
                    f"{self.model.path.name} needs a style vector of {spec.dim} values and names no styles"
                )
            style = spec.default or spec.names[0]
        if isinstance(style, str):
            style = {style: 1.0}
        if isinstance(style, Mapping):
            for name, weight in style.items():
                check_number(float(weight), f"the weight of style {name!r}", 0, MAX_BLEND_WEIGHT)
            total = sum(float(w) for w in style.values())
            if total <= 0:
                raise EdgestyleError("style blend weights must add up to more than 0")
            weights = {name: float(w) / total for name, w in style.items()}
            vector = sum(w * np.asarray(spec.vector(name), np.float32) for name, w in weights.items())
        else:
            weights = {}
            vector = np.asarray(style, np.float32).ravel()
        vector = np.asarray(vector, np.float32)
        if vector.size != int(np.prod(info.shape)):
            raise EdgestyleError(
                f"style vector has {vector.size} values; {self.model.path.name} takes {list(info.shape)}"
            )
        self._style_tensor = to_tensor(vector.reshape(info.shape), info)
        self.style_weights = weights
        self._style_label = None if weights else label
        share = 1.0
        if weights:
            colour, share = spec.blend_colour(weights) or (None, 0.0)
        self.palette.set_target(colour if self.match_palette else None, share)

    # -- inference ----------------------------------------------------------------------
    def carry_state(self, motion: MotionTracker) -> None:
        """Move the state along the motion ``motion`` last measured (a ``warp_state`` model's step
        does this before each call; it does nothing before a second frame). The flow is put on each
        state grid once, however many state tensors share it (a ConvLSTM has two)."""
        sources: dict[tuple[int, ...], np.ndarray | None] = {}
        moved = []
        for link, state in zip(self._links, self._states, strict=True):
            grid = state.shape[1:3]
            if grid not in sources:
                sources[grid] = motion.source_at(*grid)
            source = sources[grid]
            moved.append(state if source is None else link.moved(state, source))
        self._states = moved

    def step(self, frame_rgb: np.ndarray) -> np.ndarray:
        """One model call on an RGB uint8 frame already at the model size; returns RGB uint8.

        Carries the state, the stabilizer and the output hold but does no resizing and no scene-cut check
        (evaluation uses this).
        """
        w, h = self.input_size
        if frame_rgb.shape != (h, w, 3) or frame_rgb.dtype != np.uint8:
            raise EdgestyleError(
                f"frame must be uint8 {h}x{w}x3 for this model, got {frame_rgb.dtype} {frame_rgb.shape}"
            )
        m = self.model
        m.set(self._frame_in.key, frame_to_tensor(frame_rgb, self._frame_in, self._in_range)[None])
        if self._style_tensor is not None:
            m.set(self.contract.style.input, self._style_tensor)
        elif self.contract.style is not None:
            raise EdgestyleError(f"{self.model.path.name} names no styles: give it a picture (--style-image)")
        tracked = self.contract.warp_state and bool(self._links)
        if tracked:  # carry the state along the motion since the last frame, as it was trained
            self.stabilizer.motion.update(frame_rgb, self._frame_out.shape[1], self._frame_out.shape[2])
            self.carry_state(self.stabilizer.motion)
        for link, state in zip(self._links, self._states, strict=True):
            m.set(link.input.key, state)
        m.invoke()
        self._states = [link.carry(m.get(link.output.key)) for link in self._links]
        self.frames += 1
        output = tensor_to_frame(m.get(self._frame_out.key)[0], self._frame_out, self._out_range).copy()
        return self.output_hold(self.stabilizer(frame_rgb, self.palette(output), tracked=tracked))

    # -- the three parts of process(), separable so a pipeline can run them in different threads --
    def prepare(self, frame_bgr: np.ndarray) -> np.ndarray:
        """Any BGR frame -> the model-sized RGB frame (stateless, safe from any thread)."""
        import cv2

        frame_bgr = _as_bgr_uint8(frame_bgr)
        mw, mh = self.input_size
        # Halve with pyrDown (a Gaussian, so no aliasing) while the frame is twice the model's size:
        # 4x cheaper than one INTER_AREA resize at a non-integer ratio (640x480 -> 256: 0.4 vs 1.9 ms).
        while frame_bgr.shape[1] >= 2 * mw and frame_bgr.shape[0] >= 2 * mh:
            frame_bgr = cv2.pyrDown(frame_bgr)
        h, w = frame_bgr.shape[:2]
        if (w, h) != (mw, mh):
            shrink = w * h > mw * mh
            frame_bgr = cv2.resize(
                frame_bgr, (mw, mh), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
            )
        return cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB)

    def infer(self, frame_rgb: np.ndarray) -> np.ndarray:
        """Scene-cut check, then :meth:`step`; frames must come in order (it carries the state)."""
        # Cuts are judged on the model-sized frame: a 16x16 thumbnail of a 1080p frame costs ~100x more.
        if self._links and self.scene_cuts.is_cut(frame_rgb):
            self._start_over()
        return self.step(frame_rgb)

    def restore(self, output_rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
        """The model's RGB output -> BGR at ``size`` (width, height) (stateless, safe from any thread)."""
        import cv2

        out = cv2.cvtColor(output_rgb, cv2.COLOR_RGB2BGR)
        if out.shape[1::-1] != tuple(size):
            out = cv2.resize(out, tuple(size), interpolation=cv2.INTER_LINEAR)
        return out

    def process(self, frame_bgr: np.ndarray) -> np.ndarray:
        """Stylize one BGR uint8 frame of any size; the result has the input's size."""
        return self.restore(self.infer(self.prepare(frame_bgr)), frame_bgr.shape[1::-1])


def _as_bgr_uint8(frame: np.ndarray) -> np.ndarray:
    """Accept grey and BGRA too; anything else is one clear error, not a crash inside the model."""
    import cv2

    if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8 or frame.size == 0:
        raise EdgestyleError(
            f"frames must be non-empty uint8 arrays, got {getattr(frame, 'dtype', type(frame))}"
        )
    if frame.ndim == 2:
        return cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
    if frame.ndim == 3 and frame.shape[2] == 4:
        return cv2.cvtColor(frame, cv2.COLOR_BGRA2BGR)
    if frame.ndim == 3 and frame.shape[2] == 3:
        return frame
    raise EdgestyleError(f"frames must be HxWx3 BGR, got shape {frame.shape}")


def parse_blend(text: str) -> dict[str, float]:
    """``"starry=0.7,udnie=0.3"`` -> ``{"starry": 0.7, "udnie": 0.3}`` (the ``--blend`` option)."""
    weights: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        try:
            weights[name.strip()] = float(value) if sep else 1.0
        except ValueError:
            raise EdgestyleError(
                f"bad --blend entry {part!r}: expected NAME=WEIGHT, e.g. a=0.5,b=0.5"
            ) from None
    if not weights:
        raise EdgestyleError("empty --blend: expected NAME=WEIGHT pairs, e.g. a=0.5,b=0.5")
    for name, weight in weights.items():  # nan, inf, 1e308 and negative weights would paint garbage
        check_number(
            weight, f"--blend weight of {name!r}", 0, MAX_BLEND_WEIGHT, note=" (they are normalized)"
        )
    if sum(weights.values()) <= 0:
        raise EdgestyleError("--blend weights must add up to more than 0, e.g. a=0.5,b=0.5")
    return weights


def cycle_weights(
    names: Sequence[str], seconds: float, period: float, fade: float = 0.25
) -> dict[str, float]:
    """Blend weights for a live style tour: each style holds for ``period`` seconds and crossfades
    into the next during the last ``fade`` of its turn (``edgestyle run --cycle-styles``)."""
    phase = (seconds / period) % len(names)
    i, frac = int(phase), phase - int(phase)
    if frac < 1 - fade:
        return {names[i]: 1.0}
    w = (frac - (1 - fade)) / fade
    return {names[i]: 1.0 - w, names[(i + 1) % len(names)]: w}
