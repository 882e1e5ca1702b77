"""``.onnx``: the fp32 generator for onnxruntime (TensorRT / CUDA / CPU), contract in metadata_props.

Converted from the fp32 .tflite by tf2onnx, with the same explicit state inputs and outputs;
validated like every target on the recurrent clip against the fp32 .tflite, and it must reach
:data:`MIN_ONNX_PSNR_DB` there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from edgestyle.conversion.report import TargetReport
from edgestyle.conversion.validation import measure_runnable, new_report

MIN_ONNX_PSNR_DB = 40.0


class ONNXFormat:
    name = "onnx"
    extension = ".onnx"

    @staticmethod
    def export(job: Any, preset: Any) -> Path | None:
        from edgestyle.conversion.contracts import build_contract
        from edgestyle.conversion.onnx_export import tflite_to_onnx, with_contract

        job.say("converting to ONNX (tf2onnx, from the fp32 .tflite)")
        model = tflite_to_onnx(job.fp32_file())
        path = job.output_path(preset, ".onnx")
        path.write_bytes(model.SerializeToString())
        contract = build_contract(path, job.source, preset.name, job.style, job.calibration_label)
        path.write_bytes(with_contract(model, contract.to_json()))
        return job.finish(preset, path, contract)

    @staticmethod
    def validate(job: Any, preset: Any, path: Path, clip: Any, latency_runs: int) -> TargetReport:
        from edgestyle.conversion.onnx_export import op_counts

        t, data = new_report(preset, path)
        t.ops = op_counts(data)
        measure_runnable(t, path, preset.latency_delegate, clip, latency_runs)
        t.latency_note = "onnxruntime " + t.latency_note
        if t.psnr_db < MIN_ONNX_PSNR_DB:
            t.flags.append(f"PSNR {t.psnr_db:.1f} dB below {MIN_ONNX_PSNR_DB:.0f} dB vs the fp32 .tflite")
        return t
