"""``edgestyle eval`` (flicker, fidelity, style) and ``edgestyle bench`` (latency and FPS).

Neither imports TensorFlow: a board can judge and time its own models.
"""

from __future__ import annotations

from pathlib import Path

import typer

from edgestyle.cli._common import DELEGATE_HELP
from edgestyle.cli.run_cmd import HOLD_HELP, PALETTE_HELP, STABILIZE_HELP, _check_model_options
from edgestyle.teachers import teacher_help


def _split_list(text: str, what: str) -> list[str]:
    from edgestyle.errors import EdgestyleError

    items = [part.strip() for part in text.split(",") if part.strip()]
    if not items:
        raise EdgestyleError(f"empty {what}: give a comma-separated list")
    return items


def evaluate(
    video: Path = typer.Argument(..., help="Input video file or folder of frames.", show_default=False),
    model: list[str] = typer.Option(
        ...,
        "--model",
        "-m",
        help="Model to judge (repeat for several): a .tflite (ours or any image-to-image peer), a converted "
        "model folder, or the Magenta folder with both networks (needs --style-image).",
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for report.json, report.md and the pictures."),
    teacher: str = typer.Option(
        None,
        "--teacher",
        help=f"Per-frame reference for PSNR/SSIM: {teacher_help()} (a Magenta DIR takes --style-image).",
    ),
    style_image: Path = typer.Option(
        None,
        "--style-image",
        help="Style image for the style distance and for Magenta teachers/peers "
        "(default: the one our model was trained on, when its metadata records it). It is also the style "
        "of a model trained on style codes (its code is computed once by models/style_predict/), unless "
        "--style names one of the model's styles.",
    ),
    float_model: str = typer.Option(
        None,
        "--float-model",
        help="Float version of the model (e.g. *_fp32.tflite) for int8-vs-float fidelity.",
    ),
    frames: int = typer.Option(
        60,
        "--frames",
        help="Evaluate the first N frames (at least 2). Every output is kept: frames x pixels x "
        "(3 x (models + 1) + 16) bytes must fit in half the memory available now.",
    ),
    size: str = typer.Option(
        None,
        "--size",
        help="Evaluation size WIDTHxHEIGHT, each side 16 to 16384 (default: the first model's input size).",
    ),
    style: str = typer.Option(None, "--style", help="Style name for multi-style models."),
    delegate: str = typer.Option("xnnpack", "--delegate", help=DELEGATE_HELP),
    threads: int = typer.Option(
        None, "--threads", help="CPU threads per interpreter, 1 to 4 per core (default: all cores)."
    ),
    hold: int = typer.Option(None, "--hold", help=HOLD_HELP, show_default=False),
    stabilize: float = typer.Option(None, "--stabilize", help=STABILIZE_HELP, show_default=False),
    match_palette: bool = typer.Option(True, "--match-palette/--no-match-palette", help=PALETTE_HELP),
) -> None:
    """Measure flicker (temporal warping error), fidelity to a teacher and a style distance, side by side."""
    from edgestyle.cli._common import info
    from edgestyle.evaluation.evaluate import evaluate_video, rich_progress
    from edgestyle.evaluation.report import eval_table, print_table
    from edgestyle.evaluation.runner import MIN_SIDE
    from edgestyle.sizes import parse_size

    _check_model_options(threads, hold=hold, stabilize=stabilize)
    report = evaluate_video(
        video,
        model,
        out,
        teacher=teacher,
        style_image=str(style_image) if style_image else None,
        float_model=float_model,
        frames=frames,
        size=parse_size(size, "--size", min_side=MIN_SIDE, example="384x384") if size else None,
        style=style,
        delegate=delegate,
        threads=threads,
        progress=rich_progress,
        hold=hold,
        stabilize=stabilize,
        match_palette=match_palette,
    )
    clip = report["clip"]
    print_table(
        f"{clip['frames']} frames at {clip['size'][0]}x{clip['size'][1]} from {clip['source']}",
        *eval_table(report),
    )
    info(f"wrote {out}/report.json, report.md, contact_sheet.png, stability.png, flicker_map.png")


def bench(
    model: list[Path] = typer.Argument(
        ...,
        help="Model .tflite or .onnx to time (the first row; ratios are to it), optionally more.",
        show_default=False,
    ),
    compare: list[Path] = typer.Option(
        None,
        "--compare",
        "-c",
        help="More .tflite or .onnx files to time in the same run: --compare A.tflite B.onnx.",
    ),
    delegate: str = typer.Option("xnnpack", "--delegate", help="Comma-separated delegates: " + DELEGATE_HELP),
    threads: str = typer.Option(
        "1", "--threads", help="Comma-separated thread counts, e.g. 1,2,4 (each 1 to 4 per core)."
    ),
    runs: int = typer.Option(20, "--runs", help="Timed invocations per model and setting, 1 to 100000."),
    warmup: int = typer.Option(
        3, "--warmup", help="Untimed invocations first (caches, delegate setup), 0 to 10000."
    ),
    json_path: Path = typer.Option(None, "--json", help="Also write the results as JSON to this file."),
) -> None:
    """Time models per delegate and thread count; print latency, FPS and ratios to the first model."""
    from edgestyle.cli._common import info
    from edgestyle.errors import EdgestyleError
    from edgestyle.evaluation.bench import run_bench
    from edgestyle.evaluation.machine import describe_machine, machine_info
    from edgestyle.evaluation.report import BENCH_FORMAT, bench_errors, bench_table, print_table, write_json
    from edgestyle.preflight import check_output_file

    try:
        thread_counts = [int(t) for t in _split_list(threads, "--threads")]
    except ValueError:
        raise EdgestyleError(f"bad --threads {threads!r}: expected integers like 1,2,4") from None
    if json_path is not None:
        check_output_file(json_path, inputs=[*model, *(compare or [])], needed_bytes=64 * 1024)
    facts, rows = run_bench(
        # `bench A --compare B C` parses C as a positional: keep the order the user typed.
        [model[0], *(compare or []), *model[1:]],
        delegates=_split_list(delegate, "--delegate"),
        threads=thread_counts,
        runs=runs,
        warmup=warmup,
        progress=lambda setting: info(f"timing: {setting}"),
    )
    machine = machine_info()
    report = {
        "format": BENCH_FORMAT,
        "machine": machine,
        "machine_line": describe_machine(machine),
        "runs": runs,
        "warmup": warmup,
        "models": [vars(f) for f in facts],
        "rows": [r.to_dict() for r in rows],
    }
    print_table(
        f"{describe_machine(machine)}; {runs} runs after {warmup} warm-up",
        *bench_table(report["rows"], report["models"]),
    )
    for line in bench_errors(report["rows"]):
        info(f"unavailable: {line}")
    if json_path is not None:
        write_json(json_path, report)
        info(f"wrote {json_path}")
