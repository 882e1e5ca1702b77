"""``edgestyle run`` (live camera to screen) and ``edgestyle stylize`` (offline file to file).

Nothing here imports TensorFlow: these are the commands a board runs.
"""

from __future__ import annotations

from pathlib import Path

import typer

MODEL_HELP = "Model .tflite (or a folder holding one). Default: the model shipped in models/."
DELEGATE_HELP = "xnnpack (CPU, default), cpu, edgetpu, gpu, or a path to a delegate library."
THREADS_HELP = "CPU threads for the interpreter (default: all cores)."
STYLE_HELP = "Style name for multi-style models (see the model's .json)."
BLEND_HELP = "Mix styles, e.g. starry_night=0.7,udnie=0.3 (weights are normalized)."
SIDE_HELP = "Show input | output side by side."
CUT_HELP = "Scene-cut sensitivity: thumbnail change (0-1) that resets the recurrent state; 0 = never."


def _style_choice(style: str | None, blend: str | None):
    from edgestyle.errors import EdgestyleError
    from edgestyle.runtime.stylizer import parse_blend

    if style and blend:
        raise EdgestyleError("give --style or --blend, not both")
    return parse_blend(blend) if blend else style


def stylize(
    input: Path = typer.Argument(..., help="Input video file or folder of images.", show_default=False),
    output: Path = typer.Option(..., "--output", "-o", help="Output video (.mp4, .avi, .mkv, .mov)."),
    model: str = typer.Option(None, "--model", "-m", help=MODEL_HELP),
    delegate: str = typer.Option("xnnpack", "--delegate", help=DELEGATE_HELP),
    threads: int = typer.Option(None, "--threads", help=THREADS_HELP),
    style: str = typer.Option(None, "--style", help=STYLE_HELP),
    blend: str = typer.Option(None, "--blend", help=BLEND_HELP),
    side_by_side: bool = typer.Option(False, "--side-by-side", help=SIDE_HELP),
    scene_cut: float = typer.Option(0.1, "--scene-cut", help=CUT_HELP),
) -> None:
    """Stylize every frame of a video file (or image folder) into a new video at the same frame rate."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from edgestyle.atomic import check_parent_exists
    from edgestyle.cli._common import info
    from edgestyle.runtime.models import resolve_model
    from edgestyle.runtime.stylizer import Stylizer
    from edgestyle.runtime.video_io import VideoFileWriter, probe_video, read_frames
    from edgestyle.runtime.views import side_by_side as split_view

    check_parent_exists(output)
    fps, count, (width, height) = probe_video(input)
    frames = read_frames(input)
    model_path = resolve_model(model)
    stylizer = Stylizer(
        model_path,
        delegate=delegate,
        threads=threads,
        style=_style_choice(style, blend),
        scene_cut_threshold=scene_cut,
    )
    info(
        f"{model_path.name}: {stylizer.input_size[0]}x{stylizer.input_size[1]}, "
        f"{'stateful' if stylizer.stateful else 'stateless'}"
        f"{', inferred contract (no edgestyle metadata)' if stylizer.contract.inferred else ''}"
    )
    size = (width * 2, height) if side_by_side else (width, height)
    columns = (TextColumn("stylize"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with VideoFileWriter(output, fps, size) as writer, Progress(*columns, transient=True) as progress:
        task = progress.add_task("stylize", total=count)
        for frame in frames:
            if frame.shape[1::-1] != (width, height):
                from edgestyle.errors import EdgestyleError

                raise EdgestyleError(
                    f"{input}: frame size changes mid-video ({frame.shape[1]}x{frame.shape[0]})"
                )
            out = stylizer.process(frame)
            writer.write(split_view(frame, out) if side_by_side else out)
            progress.advance(task)
    info(
        f"wrote {writer.frames_written} frames at {fps:g} fps to {output} ({stylizer.resets - 1} scene cuts)"
    )


def run() -> None:
    """Stylize a live source (camera, stream, file) and show it on HDMI or write it to a file."""
    from edgestyle.errors import NotBuiltYet

    raise NotBuiltYet("'edgestyle run' is not built yet")
