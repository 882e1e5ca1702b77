"""The Coral EdgeTPU: which ops it maps, and the ``edgetpu_compiler`` call for our int8 model.

The compiler only runs on x86-64 Linux and is rarely installed, so the converter uses it when it
is on PATH and otherwise prints the exact command. The op set below is the "supported operations"
table of https://coral.ai/docs/edgetpu/models-intro/ (TFLite builtin names); ops outside it stay
on the CPU and split the graph, so the report lists them. Not verified against a real compiler
or device here (none available).
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

from edgestyle.errors import EdgestyleError

COMPILER = "edgetpu_compiler"

SUPPORTED_OPS = frozenset(
    {
        "ADD",
        "AVERAGE_POOL_2D",
        "CONCATENATION",
        "CONV_2D",
        "DEPTHWISE_CONV_2D",
        "EXPAND_DIMS",
        "FULLY_CONNECTED",
        "L2_NORMALIZATION",
        "LOGISTIC",
        "LSTM",
        "MAXIMUM",
        "MAX_POOL_2D",
        "MEAN",
        "MINIMUM",
        "MUL",
        "PACK",
        "PAD",
        "PRELU",
        "QUANTIZE",
        "REDUCE_MAX",
        "REDUCE_MIN",
        "RELU",
        "RELU6",
        "RELU_N1_TO_1",
        "RESHAPE",
        "RESIZE_BILINEAR",
        "RESIZE_NEAREST_NEIGHBOR",
        "RSQRT",
        "SLICE",
        "SOFTMAX",
        "SPACE_TO_DEPTH",
        "SPLIT",
        "SQUARED_DIFFERENCE",
        "SQUEEZE",
        "STRIDED_SLICE",
        "SUB",
        "SUM",
        "TANH",
        "TRANSPOSE",
        "TRANSPOSE_CONV",
    }
)


def unsupported_ops(ops: list[str]) -> list[str]:
    """Distinct ops (in first-use order) that the EdgeTPU would leave on the CPU."""
    return list(dict.fromkeys(op for op in ops if op not in SUPPORTED_OPS))


def find_compiler() -> str | None:
    return shutil.which(COMPILER)


def compile_command(int8_model: Path, out_dir: Path, compiler: str = COMPILER) -> list[str]:
    """``edgetpu_compiler -s -o OUT MODEL_int8.tflite`` writes ``OUT/MODEL_int8_edgetpu.tflite``."""
    return [compiler, "-s", "-o", str(out_dir), str(int8_model)]


def command_line(int8_model: Path, out_dir: Path) -> str:
    return shlex.join(compile_command(int8_model, out_dir))


def compile_model(int8_model: Path, work_dir: Path, compiler: str) -> Path:
    """Compile ``int8_model`` into ``work_dir``; the compiled file's path (or a one-line error)."""
    result = subprocess.run(compile_command(int8_model, work_dir, compiler), capture_output=True, text=True)
    compiled = work_dir / f"{int8_model.stem}_edgetpu.tflite"
    if result.returncode != 0 or not compiled.is_file():
        last = (result.stderr or result.stdout).strip().splitlines()
        raise EdgestyleError(f"{COMPILER} failed on {int8_model.name}: {last[-1] if last else 'no output'}")
    return compiled
