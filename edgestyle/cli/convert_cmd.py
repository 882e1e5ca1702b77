"""``edgestyle convert``: turn a trained model directory into int8/fp16/EdgeTPU TFLite files."""

from __future__ import annotations

from pathlib import Path

import typer


def convert(
    model_dir: Path = typer.Argument(..., help="Model directory written by 'edgestyle train'."),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Folder for the .tflite files and the report (default: MODEL_DIR/export)."
    ),
    targets: str = typer.Option(
        "cpu,gpu",
        "--targets",
        "-t",
        help="Comma-separated targets: cpu (int8, uint8 frames), gpu (fp16), edgetpu, fp32, onnx "
        "(onnxruntime / TensorRT; needs the onnx extra). Presets live in convert/. The fp32 reference "
        "is always written.",
    ),
    input_size: str = typer.Option(
        "384x384",
        "--input-size",
        "-s",
        help="WIDTHxHEIGHT every target takes: multiples of the model's stride, each side 16 to 16384, "
        "and width x height x 3000 bytes (what conversion holds per pixel) within half the memory available now.",
    ),
    style: str | None = typer.Option(
        None,
        "--style",
        help="Bake this named style into the graph (faster, no style input). "
        "Default: keep the style input for live switching and blending.",
    ),
    calibration: Path | None = typer.Option(
        None,
        "--calibration",
        "-c",
        help="Folder of real frames (images or videos) to calibrate int8 on; default: a generated clip.",
    ),
    report: bool = typer.Option(
        True, "--report/--no-report", help="Validate every target and write the report."
    ),
) -> None:
    """Convert a trained model directory to TFLite (int8 with uint8 frames, fp16, EdgeTPU) and validate it."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from edgestyle.cli._common import info
    from edgestyle.conversion.pipeline import convert_model_dir
    from edgestyle.sizes import parse_size

    size = parse_size(input_size, "--input-size", example="384x288")
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    console = Console(stderr=True)
    with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as progress:
        task = progress.add_task("loading the model", total=None)
        result = convert_model_dir(
            model_dir,
            out_dir=out,
            targets=targets,
            input_size=size,
            style=style,
            calibration=calibration,
            report=report,
            progress=lambda message: progress.update(task, description=message),
        )
    if result.report is not None:
        result.report.print_table()
    for name, path in result.paths.items():
        info(f"{name}: {path}")
    for path in result.report_paths:
        info(f"report: {path}")
    if result.edgetpu_command and result.report is None:
        folder = result.paths["fp32"].parent
        info(f"the int8 model is ready for the EdgeTPU compiler; in {folder} run: {result.edgetpu_command}")
    flagged = result.report.flagged if result.report is not None else []
    for flag in flagged:
        info(f"warning: {flag}")
