"""``convert_model_dir``: model directory -> validated model files, written all at once or not at all.

Steps: fixed-size SavedModel -> fp32 reference -> recurrent calibration through the fp32 model ->
int8 (then uint8/int8 I/O surgery) and fp16 -> contract embedded + sidecar JSON -> EdgeTPU compile
when the compiler is installed -> ONNX from the fp32 .tflite -> validation report. Each target's
export and validation live with its format (``formats/``); :class:`ConversionJob` builds the
shared intermediates once. Everything is built in a hidden work folder
inside the output folder and moved into place only when every step has succeeded.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from edgestyle.conversion.job import ConversionJob

DEFAULT_SIZE = (384, 384)
MIN_SIDE = 16  # the validation's SSIM needs 11x11 windows; smaller models are not worth converting
# Peak memory per input pixel, measured (/usr/bin/time) for `convert -t cpu --no-report` of the
# default architecture: 0.93 GB at 256x256 and 2.31 GB at 768x768, i.e. 2.7 kB per added pixel.
CONVERT_BYTES_PER_PIXEL = 3000
# Disk a conversion needs, in generator weights: the SavedModel and the fp32 reference (1 each),
# fp32, fp16 and int8 files (1 + 0.5 + 0.25), sidecars and the report: 5x is what must be free.
OUTPUT_SIZE_RATIO = 5
CALIBRATION_FRAMES = 32


@dataclass
class ConversionResult:
    """What :func:`convert_model_dir` wrote: ``paths`` by preset name, the report, and extra notes."""

    paths: dict[str, Path]
    report: Any
    report_paths: list[Path] = field(default_factory=list)
    edgetpu_command: str | None = None


def convert_model_dir(
    model_dir: str | os.PathLike,
    out_dir: str | os.PathLike | None = None,
    targets: str | list[str] | tuple[str, ...] = ("cpu", "gpu"),
    input_size: tuple[int, int] = DEFAULT_SIZE,
    style: str | None = None,
    calibration: str | os.PathLike | None = None,
    report: bool = True,
    progress: Callable[[str], None] | None = None,
    latency_runs: int = 10,
) -> ConversionResult:
    """Convert ``model_dir`` to the ``targets`` (preset names or aliases; fp32 is always written).

    ``input_size`` is (width, height). ``style`` bakes that named style in (no style input);
    ``calibration`` is a folder of real frames (images or videos; default: a generated clip).
    Returns the written paths by preset name and the validation report.
    """
    from edgestyle.atomic import staging_dir
    from edgestyle.preflight import check_output_folder

    say = progress or (lambda message: None)
    presets = plan_targets(targets)
    # Everything a user can get wrong is checked before TensorFlow loads (seconds saved per typo).
    _, style_vector = _check_request(model_dir, input_size, style)
    calib_dir = Path(calibration) if calibration is not None else None
    frames, label = _calibration_frames(calib_dir, input_size)
    out = Path(out_dir) if out_dir is not None else Path(model_dir) / "export"
    check_output_folder(out, OUTPUT_SIZE_RATIO * _weights_bytes(Path(model_dir)) + 1024 * 1024)
    source = _load_source(model_dir, say)
    width, height = input_size
    stem = f"{source.name}_{width}x{height}" + (f"_{style}" if style else "")
    with staging_dir(out, "convert") as work:
        job = ConversionJob(source, work, stem, input_size, style, style_vector, frames, label, say)
        _build(job, presets)
        result = ConversionResult(paths={}, report=None, edgetpu_command=job.edgetpu_command)
        if report:
            say("validating every target on a recurrent clip")
            result.report = _validate(job, presets, calib_dir, latency_runs)
            result.report_paths = _write_report(result.report, work, stem)
        say(f"writing into {out}")
        result.paths = {name: _publish(path, out) for name, path in job.paths.items()}
        result.report_paths = [_publish(p, out) for p in result.report_paths]
    if result.report is not None:
        for target in result.report.targets:
            target.path = str(result.paths.get(target.target, target.path))
    return result


def plan_targets(targets: str | list[str] | tuple[str, ...]) -> list[Any]:
    """The chosen presets plus what they build on (fp32 always, cpu-int8 for edgetpu), in build order."""
    from edgestyle.conversion.formats import FORMATS
    from edgestyle.conversion.presets import load_presets, resolve_targets

    presets, shipped = resolve_targets(targets), load_presets()
    for preset in list(presets):
        for name in getattr(FORMATS[preset.format], "needs", ()):
            if shipped[name] not in presets:
                presets.insert(0, shipped[name])
    if shipped["fp32"] not in presets:
        presets.append(shipped["fp32"])
    # Formats that build on another target's file go last, so that file exists when they run.
    return sorted(presets, key=lambda p: bool(getattr(FORMATS[p.format], "needs", ())))


def _check_request(
    model_dir: str | os.PathLike, size: tuple[int, int], style: str | None
) -> tuple[dict[str, Any], np.ndarray | None]:
    from edgestyle.conversion.export import check_size, read_source_meta, style_vector_of
    from edgestyle.limits import check_frame_size

    check_frame_size(size, "--input-size", CONVERT_BYTES_PER_PIXEL, min_side=MIN_SIDE)
    meta = read_source_meta(model_dir)
    check_size(int(meta["stride"]), *size)
    return meta, np.asarray(style_vector_of(meta, style), np.float32) if style else None


def _weights_bytes(model_dir: Path) -> int:
    """The generator's weights on disk (generator.keras, else the SavedModel's variables)."""
    keras_file = model_dir / "generator.keras"
    if keras_file.is_file():
        return keras_file.stat().st_size
    variables = model_dir / "saved_model" / "variables"
    return sum(f.stat().st_size for f in variables.glob("*") if f.is_file()) if variables.is_dir() else 0


def _calibration_frames(calib_dir: Path | None, size: tuple[int, int]) -> tuple[list[np.ndarray], str]:
    from edgestyle.conversion import calibration as calib

    width, height = size
    if calib_dir is None:
        frames = calib.generated_frames(width, height, CALIBRATION_FRAMES)
        return frames, f"{len(frames)} generated frames"
    frames = calib.read_frame_folder(calib_dir, width, height, limit=CALIBRATION_FRAMES)
    return frames, f"{len(frames)} frames from {calib_dir}"


def _load_source(model_dir: str | os.PathLike, say: Callable[[str], None]) -> Any:
    from edgestyle.conversion.export import load_source
    from edgestyle.conversion.quantize import quiet_native_logs

    say("loading the model")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with quiet_native_logs():  # TensorFlow's import-time chatter on stderr
        import tensorflow  # noqa: F401

        return load_source(model_dir)


def _build(job: ConversionJob, presets: list[Any]) -> None:
    """Every preset through its format's exporter; intermediates are dropped afterwards."""
    from edgestyle.conversion.formats import FORMATS

    for preset in presets:
        FORMATS[preset.format].export(job, preset)
    job.cleanup()


def _validate(job: ConversionJob, presets: list[Any], calib_dir: Path | None, latency_runs: int) -> Any:
    """Every written target through its format's validator, on one recurrent clip."""
    from edgestyle.conversion import report as rep
    from edgestyle.conversion.formats import FORMATS
    from edgestyle.conversion.validation import validation_clip

    clip = validation_clip(job, calib_dir)
    result = rep.ConversionReport(
        model=job.source.name,
        input_size=list(job.size),
        style=job.style,
        calibration=job.calibration_label,
        clip=clip.label,
    )
    for preset in presets:
        path = job.paths.get(preset.name)
        if path is not None:
            result.targets.append(FORMATS[preset.format].validate(job, preset, path, clip, latency_runs))
    if job.edgetpu_command:
        result.notes.append(
            f"edgetpu_compiler not found: the int8 model is ready for it; run: {job.edgetpu_command} "
            "(in the output folder)"
        )
    return result


def _write_report(report: Any, work: Path, stem: str) -> list[Path]:
    json_path, md_path = work / f"{stem}_report.json", work / f"{stem}_report.md"
    json_path.write_text(report.to_json())
    md_path.write_text(report.to_markdown())
    return [json_path, md_path]


def _publish(path: Path, out: Path) -> Path:
    """Move a finished file (and its sidecar JSON) from the work folder into ``out``."""
    from edgestyle.contract import sidecar_path

    target = out / path.name
    sidecar = sidecar_path(path)
    if path.suffix in (".tflite", ".onnx") and sidecar.is_file():
        os.replace(sidecar, sidecar_path(target))
    os.replace(path, target)
    return target
