"""``.tflite`` targets (int8, fp16, fp32): export the flatbuffer, embed the contract; validate on the clip."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from edgestyle.conversion.report import MIN_INT8_PSNR_DB, TargetReport
from edgestyle.conversion.validation import measure_runnable, new_report


def static_facts(t: TargetReport, data: bytes) -> None:
    """Ops, EdgeTPU coverage and GPU-delegate compatibility, read off the flatbuffer."""
    from edgestyle.conversion import report as rep
    from edgestyle.conversion.edgetpu import unsupported_ops

    t.ops = rep.op_counts(data)
    t.edgetpu_unsupported = unsupported_ops(list(t.ops))
    t.gpu_compatible, t.gpu_notes = rep.gpu_compatibility(data)


class TFLiteFormat:
    name = "tflite"
    extension = ".tflite"

    @staticmethod
    def export(job: Any, preset: Any) -> Path | None:
        from edgestyle.contract import embed_contract
        from edgestyle.conversion.contracts import build_contract

        path = job.output_path(preset, ".tflite")
        path.write_bytes(job.tflite_bytes(preset.precision))
        contract = build_contract(path, job.source, preset.name, job.style, job.calibration_label)
        path.write_bytes(embed_contract(path.read_bytes(), contract))
        return job.finish(preset, path, contract)

    @staticmethod
    def validate(job: Any, preset: Any, path: Path, clip: Any, latency_runs: int) -> TargetReport:
        from edgestyle.runtime.backends import open_model

        t, data = new_report(preset, path)
        static_facts(t, data)
        measure_runnable(t, path, preset.latency_delegate, clip, latency_runs)
        model = open_model(path, preset.latency_delegate)
        t.state_quantization_equal = all(
            _quantization(model.inputs[s.input]) == _quantization(model.outputs[s.output])
            for s in job.contracts[preset.name].states
        )
        if preset.precision == "int8" and t.psnr_db < MIN_INT8_PSNR_DB:
            t.flags.append(f"PSNR {t.psnr_db:.1f} dB below {MIN_INT8_PSNR_DB:.0f} dB")
        if t.state_quantization_equal is False:
            t.flags.append("state pairs have different quantization")
        return t


def _quantization(info: Any) -> tuple[float, int, Any]:
    return info.scale, info.zero_point, info.dtype
