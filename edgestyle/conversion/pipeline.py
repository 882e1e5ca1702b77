"""``convert_model_dir``: model directory -> validated .tflite files, written all at once or not at all.

Steps: fixed-size SavedModel -> fp32 reference -> recurrent calibration through the fp32 model ->
int8 (then uint8/int8 I/O surgery) and fp16 -> contract embedded + sidecar JSON -> EdgeTPU compile
when the compiler is installed -> validation report. Everything is built in a hidden work folder
inside the output folder and moved into place only when every step has succeeded.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from edgestyle.errors import EdgestyleError

DEFAULT_SIZE = (384, 384)
CALIBRATION_FRAMES = 32
CLIP_FRAMES = 30


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
    from edgestyle.conversion import calibration as calib
    from edgestyle.conversion.export import check_size, load_source, read_source_meta, style_vector_of
    from edgestyle.conversion.presets import load_presets, resolve_targets
    from edgestyle.conversion.quantize import quiet_native_logs

    say = progress or (lambda message: None)
    presets, shipped = resolve_targets(targets), load_presets()
    if any(p.edgetpu for p in presets) and shipped["cpu-int8"] not in presets:
        presets.insert(0, shipped["cpu-int8"])  # the EdgeTPU file is compiled from it
    if shipped["fp32"] not in presets:
        presets.append(shipped["fp32"])
    width, height = input_size
    # Everything a user can get wrong is checked before TensorFlow loads (seconds saved per typo).
    meta = read_source_meta(model_dir)
    check_size(int(meta["stride"]), width, height)
    style_vector = np.asarray(style_vector_of(meta, style), np.float32) if style else None
    calib_dir = Path(calibration) if calibration is not None else None
    frames = (
        calib.read_frame_folder(calib_dir, width, height, limit=CALIBRATION_FRAMES)
        if calib_dir is not None
        else calib.generated_frames(width, height, CALIBRATION_FRAMES)
    )
    label = f"{len(frames)} frames from {calib_dir}" if calib_dir else f"{len(frames)} generated frames"
    say("loading the model")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with quiet_native_logs():  # TensorFlow's import-time chatter on stderr
        import tensorflow  # noqa: F401

        source = load_source(model_dir)

    out = Path(out_dir) if out_dir is not None else Path(model_dir) / "export"
    if not out.parent.is_dir():
        raise EdgestyleError(f"output folder's parent does not exist: {out.parent}")
    stem = f"{source.name}_{width}x{height}" + (f"_{style}" if style else "")
    with _work_dir(out) as work:
        built = _build(
            source, presets, work, stem, (width, height), style, style_vector, (frames, label), say
        )
        result = ConversionResult(paths={}, report=None, edgetpu_command=built.edgetpu_command)
        if report:
            say("validating every target on a recurrent clip")
            result.report = _validate(
                source, built, width, height, style, style_vector, calib_dir, latency_runs
            )
            result.report_paths = _write_report(result.report, work, stem)
        say(f"writing into {out}")
        for name, path in built.paths.items():
            result.paths[name] = _publish(path, out)
        result.report_paths = [_publish(p, out) for p in result.report_paths]
    if result.report is not None:
        for target in result.report.targets:
            target.path = str(result.paths.get(target.target, target.path))
    return result


@dataclass
class _Built:
    paths: dict[str, Path]  # preset name -> file in the work folder (sidecars beside them)
    contracts: dict[str, Any]
    presets: list[Any]
    calibration_frames: list[np.ndarray]
    calibration_label: str
    edgetpu_command: str | None = None


def _build(source, presets, work, stem, size, style, style_vector, calibration, say) -> _Built:
    from edgestyle.contract import embed_contract, sidecar_path
    from edgestyle.conversion import calibration as calib
    from edgestyle.conversion.contracts import build_contract
    from edgestyle.conversion.edgetpu import command_line, compile_model, find_compiler
    from edgestyle.conversion.export import export_step
    from edgestyle.conversion.io_types import set_integer_io
    from edgestyle.conversion.quantize import convert_saved_model

    (width, height), (frames, label) = size, calibration
    say(f"exporting the generator at {width}x{height}")
    saved_model = export_step(source, width, height, style_vector, work / "saved_model")

    raw: dict[str, bytes] = {}
    say("converting fp32 (the reference)")
    raw["fp32"] = convert_saved_model(saved_model, "fp32")
    precisions = {p.precision for p in presets}
    if "int8" in precisions:
        reference = work / "reference_fp32.tflite"
        reference.write_bytes(raw["fp32"])
        step = _tflite_step(reference)
        shapes = {key_in: tuple(step.model.inputs[key_in].shape) for key_in, _ in source.state_pairs()}
        settings = calib.style_settings(source.style, baked=style is not None)
        say(f"calibrating on {label}, run recurrently ({len(settings)} style setting(s))")
        samples = calib.recurrent_samples(step, frames, source.state_pairs(), shapes, settings)
        say("converting int8 (uint8 frames, int8 states)")
        extras = ["style"] if "style" in step.model.inputs else []
        raw["int8"] = set_integer_io(
            convert_saved_model(saved_model, "int8", samples),
            "frame",
            "stylized",
            source.state_pairs(),
            extras,
        )
        reference.unlink()
    if "fp16" in precisions:
        say("converting fp16")
        raw["fp16"] = convert_saved_model(saved_model, "fp16")
    shutil.rmtree(saved_model)

    built = _Built({}, {}, presets, frames, label)
    compiler = find_compiler()
    for preset in [p for p in presets if not p.edgetpu] + [p for p in presets if p.edgetpu]:
        path = work / f"{stem}{preset.suffix}.tflite"
        if preset.edgetpu:
            int8_path = built.paths["cpu-int8"]
            if compiler is None:
                built.edgetpu_command = command_line(Path(int8_path.name), Path("."))
                continue
            say("compiling for the EdgeTPU")
            compiled = compile_model(int8_path, work / "edgetpu", compiler)
            contract = replace(built.contracts["cpu-int8"], target=preset.name)
            path.write_bytes(embed_contract(compiled.read_bytes(), contract))
            shutil.rmtree(work / "edgetpu", ignore_errors=True)
        else:
            path.write_bytes(raw[preset.precision])
            contract = build_contract(path, source, preset.name, style, label)
            path.write_bytes(embed_contract(path.read_bytes(), contract))
        sidecar_path(path).write_text(contract.to_json())
        built.paths[preset.name] = path
        built.contracts[preset.name] = contract
    return built


class _tflite_step:  # noqa: N801 (used like a function)
    """One call of a float .tflite with dict I/O: the calibration's float model."""

    def __init__(self, path: Path):
        from edgestyle.runtime.interpreter import TFLiteModel

        self.model = TFLiteModel(path, delegate="xnnpack")

    def __call__(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        for key, value in inputs.items():
            self.model.set(key, value.astype(np.float32))
        self.model.invoke()
        return {key: self.model.get(key).copy() for key in self.model.outputs}


def _validate(source, built: _Built, width, height, style, style_vector, calib_dir, latency_runs):
    from edgestyle.conversion import report as rep
    from edgestyle.conversion.calibration import generated_frames
    from edgestyle.conversion.edgetpu import unsupported_ops
    from edgestyle.runtime.interpreter import TFLiteModel

    if calib_dir is not None and len(built.calibration_frames) >= CLIP_FRAMES:
        clip, clip_label = built.calibration_frames[:CLIP_FRAMES], f"{CLIP_FRAMES} calibration frames"
    else:
        clip, clip_label = (
            generated_frames(width, height, CLIP_FRAMES, seed=1),
            f"{CLIP_FRAMES} generated frames",
        )
    clip_u8 = [np.clip(np.round(f * 255.0), 0, 255).astype(np.uint8) for f in clip]
    if style_vector is None and source.style:
        default = source.style.get("default") or source.style["names"][0]
        clip_style = np.asarray(source.style_vector(default), np.float32)
        clip_label += f", style {default!r}"
    else:
        clip_style = None

    result = rep.ConversionReport(
        model=source.name,
        input_size=[width, height],
        style=style,
        calibration=built.calibration_label,
        clip=clip_label,
    )
    reference_path = built.paths["fp32"]
    reference = rep.run_clip(reference_path, clip_u8, clip_style)
    for preset in built.presets:
        path = built.paths.get(preset.name)
        if path is None:
            continue
        data = path.read_bytes()
        t = rep.TargetReport(
            target=preset.name, precision=preset.precision, path=str(path), size_bytes=len(data)
        )
        t.ops = rep.op_counts(data)
        t.edgetpu_unsupported = unsupported_ops(list(t.ops))
        t.gpu_compatible, t.gpu_notes = rep.gpu_compatibility(data)
        if preset.edgetpu:
            t.latency_note = "runs only with an EdgeTPU attached (not measured here)"
        else:
            model = TFLiteModel(path, preset.latency_delegate)
            contract = built.contracts[preset.name]
            outputs = rep.run_clip(path, clip_u8, clip_style, preset.latency_delegate)
            t.frames = len(outputs)
            t.psnr_db, t.worst_frame_psnr_db, t.ssim = rep.fidelity(reference, outputs)
            t.latency_ms = rep.cpu_latency_ms(path, preset.latency_delegate, runs=latency_runs)
            t.latency_note = (
                f"median of {latency_runs} invokes, {preset.latency_delegate}, {os.cpu_count()} threads"
            )
            t.state_quantization_equal = all(
                (model.inputs[s.input].scale, model.inputs[s.input].zero_point, model.inputs[s.input].dtype)
                == (
                    model.outputs[s.output].scale,
                    model.outputs[s.output].zero_point,
                    model.outputs[s.output].dtype,
                )
                for s in contract.states
            )
            if preset.precision == "int8" and t.psnr_db < result.min_int8_psnr_db:
                t.flags.append(f"PSNR {t.psnr_db:.1f} dB below {result.min_int8_psnr_db:.0f} dB")
            if t.state_quantization_equal is False:
                t.flags.append("state pairs have different quantization")
        result.targets.append(t)
    if built.edgetpu_command:
        result.notes.append(
            f"edgetpu_compiler not found: the int8 model is ready for it; run: {built.edgetpu_command} "
            "(in the output folder)"
        )
    return result


def _write_report(report: Any, work: Path, stem: str) -> list[Path]:
    json_path, md_path = work / f"{stem}_report.json", work / f"{stem}_report.md"
    json_path.write_text(report.to_json())
    md_path.write_text(report.to_markdown())
    return [json_path, md_path]


@contextmanager
def _work_dir(out: Path) -> Iterator[Path]:
    """A hidden work folder inside ``out`` (same filesystem, so publishing is a rename); always removed.

    ``out`` is created if needed and removed again if the conversion fails before writing anything.
    """
    created = not out.exists()
    out.mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".convert.", suffix=".partial", dir=out))
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if created and not any(out.iterdir()):
            out.rmdir()


def _publish(path: Path, out: Path) -> Path:
    """Move a finished file (and its sidecar JSON) from the work folder into ``out``."""
    from edgestyle.contract import sidecar_path

    target = out / path.name
    sidecar = sidecar_path(path)
    if path.suffix == ".tflite" and sidecar.is_file():
        os.replace(sidecar, sidecar_path(target))
    os.replace(path, target)
    return target
