"""``edgestyle stylize``: a video file to a video (same frame rate, its audio kept), or photos to photos.

=================================  ==============================================================
``in.mp4 -o out.mp4``              every frame, recurrent state carried, audio copied (PyAV)
``frames/ -o out.mp4``             a folder of frames, in name order, as one video
``a.jpg -o b.png``                 one photo, its size and EXIF orientation kept
``photos/ -o styled/``             every photo of a folder under the same name, each its own size
``- -o -``                         one photo from stdin to stdout (the input's format)
=================================  ==============================================================

Nothing here imports TensorFlow: a board runs it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import typer

from edgestyle.cli.run_cmd import (
    BLEND_HELP,
    CUT_HELP,
    DELEGATE_HELP,
    HOLD_HELP,
    MODEL_HELP,
    PALETTE_HELP,
    SIDE_HELP,
    STABILIZE_FLOW_HELP,
    STABILIZE_HELP,
    STYLE_HELP,
    STYLE_IMAGE_HELP,
    THREADS_HELP,
    _check_model_options,
    _style_choice,
)


@dataclass
class Job:
    """What one ``stylize`` call does: ``kind`` is video, photo or folder."""

    kind: str
    source: str
    target: str


def plan(source: str, target: str) -> Job:
    """Decide photo or video from the names, and check the output can be written, before any work."""
    from edgestyle.errors import EdgestyleError
    from edgestyle.preflight import check_output_file
    from edgestyle.runtime.photos import STDIO, check_image_output, is_image
    from edgestyle.runtime.video_io import FOURCC_BY_SUFFIX, check_video_suffix

    src = Path(source)
    if source == STDIO or (is_image(src) and not src.is_dir()):
        if source != STDIO and not src.is_file():
            raise EdgestyleError(f"image not found: {src}")
        if target != STDIO and Path(target).is_dir():  # a folder: keep the photo's name
            target = str(Path(target) / (src.name if source != STDIO else "stdin.png"))
        check_image_output(target)
        if target != STDIO:
            check_output_file(target, inputs=[source] if source != STDIO else [])
        return Job("photo", source, target)
    if target == STDIO:
        raise EdgestyleError("-o - (stdout) takes one photo; write videos and folders to files")
    if src.is_dir() and Path(target).suffix.lower() not in FOURCC_BY_SUFFIX:
        return Job("folder", source, target)
    if not src.exists():
        raise EdgestyleError(f"video not found: {src}")
    if is_image(target):
        raise EdgestyleError(
            f"{src.name} is a video: write it to a video file ({', '.join(sorted(FOURCC_BY_SUFFIX))})"
        )
    check_output_file(target, inputs=[source])  # not a folder, not the input, writable (space: later)
    check_video_suffix(Path(target))
    return Job("video", source, target)


def stylize(
    input: str = typer.Argument(
        ...,
        help="A video file, a folder of frames or photos, a photo, or - for a photo on stdin.",
        show_default=False,
    ),
    output: str = typer.Option(
        ...,
        "--output",
        "-o",
        help="A video (.mp4, .mov, .mkv, .avi) for a video or a folder of frames; a photo file, a folder "
        "(photos keep their names) or - (stdout) for photos.",
    ),
    model: str = typer.Option(None, "--model", "-m", help=MODEL_HELP),
    delegate: str = typer.Option("xnnpack", "--delegate", help=DELEGATE_HELP),
    threads: int = typer.Option(None, "--threads", help=THREADS_HELP),
    style: str = typer.Option(None, "--style", help=STYLE_HELP),
    blend: str = typer.Option(None, "--blend", help=BLEND_HELP),
    style_image: str = typer.Option(None, "--style-image", help=STYLE_IMAGE_HELP),
    side_by_side: bool = typer.Option(False, "--side-by-side", help=SIDE_HELP),
    scene_cut: float = typer.Option(0.1, "--scene-cut", help=CUT_HELP),
    hold: int = typer.Option(None, "--hold", help=HOLD_HELP, show_default=False),
    stabilize: float = typer.Option(None, "--stabilize", help=STABILIZE_HELP, show_default=False),
    stabilize_flow: str = typer.Option("fine", "--stabilize-flow", help=STABILIZE_FLOW_HELP),
    match_palette: bool = typer.Option(True, "--match-palette/--no-match-palette", help=PALETTE_HELP),
    x264_preset: str = typer.Option(
        "ultrafast",
        "--x264-preset",
        help="H.264 speed/size trade for videos: ultrafast costs about what OpenCV's writer did; veryfast "
        "makes ~3.5x smaller files for ~2.7x the encoding time (superfast, faster, fast, medium, slow too).",
    ),
) -> None:
    """Stylize a video into a video at the same frame rate (audio kept), or photos into photos."""
    from edgestyle.cli._common import info
    from edgestyle.console import verbose
    from edgestyle.errors import EdgestyleError
    from edgestyle.runtime.models import resolve_model
    from edgestyle.runtime.stylizer import Stylizer
    from edgestyle.runtime.video_av import X264_PRESETS

    if x264_preset not in X264_PRESETS:
        raise EdgestyleError(f"unknown --x264-preset {x264_preset!r}: use one of {', '.join(X264_PRESETS)}")
    _check_model_options(threads, scene_cut, hold, stabilize, stabilize_flow)
    choice = _style_choice(style, blend, style_image)
    job = plan(input, output)
    model_path = resolve_model(model, style=choice)
    stylizer = Stylizer(
        model_path,
        delegate=delegate,
        threads=threads,
        style=choice,
        scene_cut_threshold=scene_cut,
        hold=hold,
        stabilize=stabilize,
        match_palette=match_palette,
        stabilize_flow=stabilize_flow,
    )
    if verbose():
        info(
            f"{model_path.name}: {stylizer.input_size[0]}x{stylizer.input_size[1]}, "
            f"{'stateful' if stylizer.stateful else 'stateless'}"
            f"{', inferred contract (no edgestyle metadata)' if stylizer.contract.inferred else ''}"
            f", stabilizer {stylizer.stabilizer.strength:g}, hold {stylizer.output_hold.levels}"
        )
    label = f"{model_path.name}, style {stylizer.style_label}"
    if job.kind == "video":
        _stylize_video(job, stylizer, side_by_side, label, x264_preset)
    else:
        _stylize_photos(job, stylizer, side_by_side, label)


def _stylize_video(job: Job, stylizer, side_by_side: bool, label: str, preset: str) -> None:
    from edgestyle.cli._common import info
    from edgestyle.console import Progress
    from edgestyle.preflight import check_free_space
    from edgestyle.runtime.video_io import VideoFileWriter, probe_video, read_frames, video_bytes_estimate
    from edgestyle.runtime.views import side_by_side as split_view

    source = Path(job.source)
    fps, count, (width, height) = probe_video(source)
    size = (width * 2, height) if side_by_side else (width, height)
    target = Path(job.target)
    check_free_space(target.parent, video_bytes_estimate(count, size), target)  # before the work
    frames = read_frames(source)
    started = time.perf_counter()
    resized = False
    # An interrupted offline job leaves nothing (all or nothing); the CLI turns SIGTERM into an interrupt.
    with (
        VideoFileWriter(
            job.target,
            fps,
            size,
            keep_on_interrupt=False,
            audio_from=source if source.is_file() else None,
            preset=preset,
        ) as writer,
        Progress("stylize", count, "frames") as progress,
    ):
        for frame in frames:
            if frame.shape[1::-1] != (width, height) and not resized:
                resized = True
                info(
                    f"frame {writer.frames_written + 1} is {frame.shape[1]}x{frame.shape[0]}: frames of "
                    f"other sizes are scaled to the first frame's {width}x{height}"
                )
            out = stylizer.process(frame)
            writer.write(split_view(frame, out) if side_by_side else out)
            progress.advance()
    seconds = time.perf_counter() - started
    n = writer.frames_written
    info(
        f"wrote {n} frames ({n / fps:.1f} s at {fps:g} fps) to {job.target} in {seconds:.1f} s "
        f"({n / seconds:.1f} fps) with {label}; audio {writer.audio}; "
        f"{stylizer.resets - 1} scene cuts"
    )


def _stylize_photos(job: Job, stylizer, side_by_side: bool, label: str) -> None:
    from edgestyle.cli._common import info
    from edgestyle.console import Progress
    from edgestyle.errors import EdgestyleError
    from edgestyle.runtime.photos import plan_folder, read_photo, write_photo
    from edgestyle.runtime.views import side_by_side as split_view

    if job.kind == "folder":
        folder = plan_folder(Path(job.source), Path(job.target))
        if folder.skipped:
            info(f"skipped {len(folder.skipped)} entries that are not photos: {', '.join(folder.skipped)}")
        pairs = [(str(src), str(dst)) for src, dst in folder.jobs]
    else:
        pairs = [(job.source, job.target)]
    failed: list[str] = []
    started = time.perf_counter()
    with Progress("stylize", len(pairs), "photos") as progress:
        for src, dst in pairs:
            try:
                image, fmt = read_photo(src)
            except EdgestyleError as exc:
                if len(pairs) == 1:
                    raise
                info(f"skipped: {exc}")
                failed.append(Path(src).name)
                continue
            stylizer.reset()  # photos are unrelated: no state carried from one to the next
            out = stylizer.process(image)
            write_photo(dst, split_view(image, out) if side_by_side else out, fmt)
            progress.advance()
    seconds = time.perf_counter() - started
    done = len(pairs) - len(failed)
    where = "stdout" if job.target == "-" else job.target
    info(
        f"stylized {done} photo{'s' if done != 1 else ''} in {seconds:.1f} s ({done / seconds:.1f} photos/s) "
        f"to {where} with {label}"
    )
    if failed:
        raise EdgestyleError(
            f"{len(failed)} of {len(pairs)} photos could not be read or decoded: {', '.join(failed)}"
        )
