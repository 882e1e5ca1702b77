"""Run models over one clip and keep every output, so all metrics compare the same frames.

The clip is read once and resized to the evaluation size; each model runs through the runtime's
:class:`~edgestyle.runtime.stylizer.Stylizer` (state carried frame to frame, exactly as on the
board), and per-frame references (teachers, the Magenta folder) run as plain RGB callables.
Outputs are BGR uint8 at the evaluation size.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np

from edgestyle.errors import EdgestyleError

RgbFunction = Callable[[np.ndarray], np.ndarray]
Progress = Callable[[Iterable[int], str, int], Iterable[int]]
MIN_SIDE = 16


@dataclass
class Clip:
    """The evaluated frames (BGR uint8, all at ``size``) and where they came from."""

    source: str
    frames: list[np.ndarray]
    size: tuple[int, int]  # (width, height)
    source_size: tuple[int, int]


@dataclass
class ModelRun:
    """One model's outputs over the clip, at the clip's size."""

    label: str
    role: str  # "model", "float", "teacher"
    outputs: list[np.ndarray]
    native_size: tuple[int, int] | None = None  # the size the model itself runs at, when fixed
    ours: bool = False  # carries our contract: a converted edgestyle model (compared with --float-model)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    style: str | None = None  # the style our model painted (named in tables and report.md)


def load_clip(path: str | os.PathLike, max_frames: int | None, size: tuple[int, int] | None) -> Clip:
    """Read up to ``max_frames`` frames (all must share one size) and resize them to ``size``.

    Needs at least two frames, since flicker is measured between consecutive frames.
    """
    import cv2

    from edgestyle.runtime.video_io import read_frames

    if max_frames is not None and max_frames < 2:
        raise EdgestyleError("--frames must be at least 2: flicker is measured between consecutive frames")
    frames: list[np.ndarray] = []
    source_size = target = (0, 0)
    for index, frame in enumerate(islice(read_frames(path), max_frames)):
        height, width = frame.shape[:2]
        if index == 0:
            source_size = (width, height)
            target = size or source_size
        elif (width, height) != source_size:
            raise EdgestyleError(
                f"{path}: frame {index} is {width}x{height} but the first is "
                f"{source_size[0]}x{source_size[1]}; frames of one clip must share a size"
            )
        if target != source_size:  # resize as we go: a long 4K clip must not sit in memory at full size
            shrink = target[0] * target[1] < width * height
            frame = cv2.resize(frame, target, interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
        frames.append(frame)
    if len(frames) < 2:
        raise EdgestyleError(f"{path}: only one frame; flicker needs at least two")
    return Clip(source=str(path), frames=frames, size=target, source_size=source_size)


def _resize_to(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    import cv2

    if image.shape[1::-1] == size:
        return image
    return cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)


@dataclass
class Runner:
    """A loaded model or reference, ready to process BGR frames; built before any slow work starts."""

    label: str
    role: str  # "model", "float", "teacher"
    process: Callable[[np.ndarray], np.ndarray]  # BGR uint8 -> BGR uint8 (any size)
    native_size: tuple[int, int] | None = None
    stylizer: Any = None  # the Stylizer, for our .tflite models (state resets are reported)
    ours: bool = False


def open_tflite(
    path: str | os.PathLike,
    role: str = "model",
    label: str | None = None,
    style: str | None = None,
    delegate: str = "xnnpack",
    threads: int | None = None,
    picture: str | None = None,
    hold: int | None = None,
    stabilize: float | None = None,
    match_palette: bool = True,
    stabilize_flow: str = "fine",
) -> Runner:
    """Our model or any plain image-to-image .tflite, through the runtime's stateful Stylizer.

    ``picture`` (the user's ``--style-image``) is the style of a model conditioned on style codes,
    unless ``style`` names one of its styles; other models ignore it. ``hold`` and ``stabilize``: the
    output hold and the stabilizer (None: the runtime's defaults for the model, as ``stylize`` and
    ``run`` show it); ``match_palette``: the palette anchor, on as in ``stylize``; ``stabilize_flow``:
    the flow the stabilizer follows (``--stabilize-flow``).
    """
    from edgestyle.runtime.backends import open_model
    from edgestyle.runtime.style_code import StylePicture
    from edgestyle.runtime.stylizer import Stylizer, load_model_contract

    contract = load_model_contract(open_model(path, delegate="cpu", threads=1))
    takes_pictures = contract.style is not None and bool(contract.style.code)
    if contract.style is not None and not contract.style.names and not (takes_pictures and picture):
        raise EdgestyleError(
            f"{Path(path).name} needs a picture as its style: --style-image PICTURE"
            if takes_pictures
            else f"{Path(path).name} needs a style vector from another network; for Magenta-style models pass "
            "the folder holding style_predict*.tflite and style_transfer*.tflite, with --style-image"
        )
    # --style applies to models with named styles; peers and baked-style models ignore it.
    chosen = style if contract.style is not None else None
    if takes_pictures and picture and not style:
        chosen = StylePicture(Path(picture))
    stylizer = Stylizer(
        path,
        delegate=delegate,
        threads=threads,
        style=chosen,
        hold=hold,
        stabilize=stabilize,
        match_palette=match_palette,
        stabilize_flow=stabilize_flow,
    )
    return Runner(
        label=label or Path(path).name,
        role=role,
        process=stylizer.process,
        native_size=tuple(stylizer.input_size),
        stylizer=stylizer,
        ours=not contract.inferred,
    )


def open_rgb_function(function: RgbFunction, label: str, role: str) -> Runner:
    """A per-frame reference (teacher, Magenta folder): RGB uint8 in and out, no state."""
    import cv2

    def process(frame_bgr: np.ndarray) -> np.ndarray:
        out = np.asarray(function(cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB)))
        if out.dtype != np.uint8 or out.ndim != 3 or out.shape[-1] != 3:
            raise EdgestyleError(f"{label} returned {out.dtype} {out.shape}, expected an RGB uint8 image")
        return _resize_to(cv2.cvtColor(out, cv2.COLOR_RGB2BGR), frame_bgr.shape[1::-1])

    return Runner(label=label, role=role, process=process)


def open_spec(
    spec: str,
    role: str,
    style: str | None = None,
    style_image: str | None = None,
    delegate: str = "xnnpack",
    threads: int | None = None,
    picture: str | None = None,
    hold: int | None = None,
    stabilize: float | None = None,
    match_palette: bool = True,
) -> Runner:
    """A ``--model``/``--float-model``/``--teacher`` argument (``picture``: see :func:`open_tflite`).

    A .tflite (or a converted-model folder holding ``*_int8.tflite``) runs statefully through the
    Stylizer; anything else (``cartoon``, a SavedModel, the Magenta two-network folder with a style
    image) goes through :func:`edgestyle.teachers.load_teacher` and runs per frame.
    """
    path = Path(spec)
    if role != "teacher" and spec.endswith(".tflite") and not path.is_file():
        raise EdgestyleError(f"model not found: {spec}")
    if role != "teacher":
        model, label = None, None
        if path.is_file() and path.suffix == ".tflite":
            model = path
        else:
            from edgestyle.runtime.models import models_in_folder, resolve_model

            if path.is_dir() and any(p.name.endswith("_int8.tflite") for p in models_in_folder(path)):
                model = resolve_model(path)
                label = f"{path.name}/{model.relative_to(path)}"
        if model is not None:
            return open_tflite(
                model,
                role,
                label=label,
                style=style,
                delegate=delegate,
                threads=threads,
                picture=picture,
                hold=hold,
                stabilize=stabilize,
                match_palette=match_palette,
            )
    reference = load_reference(spec, style_image)
    return open_rgb_function(reference, getattr(reference, "name", None) or Path(spec).name or spec, role)


def load_reference(spec: str, style_image: str | None) -> RgbFunction:
    """The training engineer's teacher loader (cartoon, stylization, .tflite, SavedModel, Magenta folder)."""
    from edgestyle.teachers import load_teacher

    return load_teacher(spec, style_image=style_image)


def run_over_clip(runner: Runner, clip: Clip, progress: Progress | None = None) -> ModelRun:
    """Process every frame in order (state carried) and keep the outputs at the clip's size."""
    run = ModelRun(
        label=runner.label, role=runner.role, outputs=[], native_size=runner.native_size, ours=runner.ours
    )
    if runner.native_size and runner.native_size != clip.size:
        w, h = runner.native_size
        run.notes.append(
            f"runs at {w}x{h}; frames resized to it and outputs back to {clip.size[0]}x{clip.size[1]}"
        )
    steps = (
        progress(range(len(clip.frames)), runner.label, len(clip.frames))
        if progress
        else range(len(clip.frames))
    )
    start = time.perf_counter()
    for t in steps:
        run.outputs.append(_resize_to(runner.process(clip.frames[t]), clip.size))
    run.seconds = time.perf_counter() - start
    stylizer = runner.stylizer
    if stylizer is not None and runner.ours:
        run.style = stylizer.style_label
    if stylizer is not None and stylizer.stabilizer.strength:
        run.notes.append(f"stabilizer {stylizer.stabilizer.strength:g} (--stabilize), as in stylize and run")
    if stylizer is not None and stylizer.output_hold.levels:
        run.notes.append(f"output hold {stylizer.output_hold.levels} levels (--hold), as in stylize and run")
    if stylizer is not None and stylizer.stateful and stylizer.resets > 1:
        run.notes.append(f"state reset {stylizer.resets - 1} time(s) on detected scene cuts")
    return run


def frame_labels(runs: Sequence[ModelRun]) -> list[str]:
    """Labels made unique (a second ``x.tflite`` becomes ``x.tflite#2``) so report keys never collide."""
    seen: dict[str, int] = {}
    labels = []
    for run in runs:
        seen[run.label] = seen.get(run.label, 0) + 1
        labels.append(run.label if seen[run.label] == 1 else f"{run.label}#{seen[run.label]}")
    return labels
