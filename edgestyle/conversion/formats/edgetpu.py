"""``_edgetpu.tflite``: the int8 file compiled by edgetpu_compiler (or the command to run, without it)."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

from edgestyle.conversion.formats.tflite import static_facts
from edgestyle.conversion.report import TargetReport
from edgestyle.conversion.validation import new_report


class EdgeTPUFormat:
    name = "edgetpu"
    extension = ".tflite"
    needs = ("cpu-int8",)  # compiled from that target's file

    @staticmethod
    def export(job: Any, preset: Any) -> Path | None:
        from edgestyle.contract import embed_contract
        from edgestyle.conversion.edgetpu import command_line, compile_model, find_compiler

        int8_path = job.paths["cpu-int8"]
        compiler = find_compiler()
        if compiler is None:
            job.edgetpu_command = command_line(Path(int8_path.name), Path("."))
            return None
        job.say("compiling for the EdgeTPU")
        compiled = compile_model(int8_path, job.work / "edgetpu", compiler)
        contract = replace(job.contracts["cpu-int8"], target=preset.name)
        path = job.output_path(preset, ".tflite")
        path.write_bytes(embed_contract(compiled.read_bytes(), contract))
        shutil.rmtree(job.work / "edgetpu", ignore_errors=True)
        return job.finish(preset, path, contract)

    @staticmethod
    def validate(job: Any, preset: Any, path: Path, clip: Any, latency_runs: int) -> TargetReport:
        t, data = new_report(preset, path)
        static_facts(t, data)
        t.latency_note = "runs only with an EdgeTPU attached (not measured here)"
        return t
