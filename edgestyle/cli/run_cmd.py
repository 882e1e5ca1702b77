"""``edgestyle run``: live camera (or stream, or file) to a screen, a file or a browser preview.

Nothing here imports TensorFlow: this is what a board runs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import typer

from edgestyle.cli._common import DELEGATE_HELP
from edgestyle.runtime.sinks import sink_help
from edgestyle.runtime.sources import source_help

MODEL_HELP = "Model .tflite or .onnx (or a folder holding a .tflite). Default: the model shipped in models/."
THREADS_HELP = "CPU threads for the interpreter, 1 to 4 per core (default: all cores)."
STYLE_HELP = "Style name for multi-style models (see the model's .json)."
BLEND_HELP = "Mix styles, e.g. starry_night=0.7,udnie=0.3 (weights 0 to 1000, normalized to sum to 1)."
SIDE_HELP = "Show input | output side by side."
CUT_HELP = "Scene-cut sensitivity: thumbnail change (0 to 1) that resets the recurrent state; 0 = never."
HOLD_HELP = (
    "Output hold in levels, 0 to 32: a shown pixel follows the model only when it moves more than this, "
    "which hides int8 rounding crawl on flat regions (default: 3 for edgestyle models, 0 for others)."
)
PALETTE_HELP = (
    "Move the output's mean colour to the style picture's (one offset, so no flicker): a --style-image or "
    "--style-dir picture, whose palette the model only half learns, or a named style whose model records its "
    "picture's colour; --no-match-palette shows the model's own."
)
STABILIZE_HELP = (
    "Motion-compensated stabilizer strength, 0 to 0.9: each output is blended with the previous shown frame "
    "carried along the camera's optical flow, so painted texture travels with the picture instead of swimming "
    "(default: 0.7 for edgestyle models, 0 for others; costs about a tenth of the int8 model's time)."
)
STABILIZE_FLOW_HELP = (
    "The optical flow the stabilizer (and a model that carries its state along the motion) follows: fine "
    "(DIS fast on full-size frames; the default) or light (DIS ultrafast on half-size frames: half the "
    "stabilizer's cost, for a CPU the model already fills, and 6-43% more flicker on our clips)."
)
STYLE_IMAGE_HELP = (
    "Any picture as the style, for models trained on style codes (`edgestyle doctor` says whether the "
    "model can): the style predictor in models/style_predict/ turns it into a code once, before the first frame."
)


def _style_choice(style: str | None, blend: str | None, style_image: str | None = None):
    """--style NAME, --blend A=w,B=w or --style-image PICTURE (at most one) as a Stylizer style."""
    from edgestyle.errors import EdgestyleError
    from edgestyle.runtime.style_code import StylePicture
    from edgestyle.runtime.stylizer import parse_blend

    given = [
        flag
        for flag, value in (("--style", style), ("--blend", blend), ("--style-image", style_image))
        if value
    ]
    if len(given) > 1:
        raise EdgestyleError(
            f"give one of --style, --blend, --style-image, not both {given[0]} and {given[1]}"
        )
    if style_image:
        return StylePicture(Path(style_image))
    return parse_blend(blend) if blend else style


def _check_model_options(
    threads: int | None,
    scene_cut: float | None = None,
    hold: int | None = None,
    stabilize: float | None = None,
    stabilize_flow: str | None = None,
) -> None:
    """The options every stylizing command shares, checked before anything loads."""
    from edgestyle.limits import check_number, check_threads
    from edgestyle.runtime.hold import MAX_LEVELS
    from edgestyle.runtime.stabilize import MAX_STRENGTH, flow_named

    check_threads(threads)
    check_number(scene_cut, "--scene-cut", 0.0, 1.0)
    check_number(hold, "--hold", 0, MAX_LEVELS)
    check_number(stabilize, "--stabilize", 0.0, MAX_STRENGTH)
    if stabilize_flow is not None:
        flow_named(stabilize_flow)


def _style_tour(stylizer, seconds: float):
    """A before-inference hook that walks through every style of the model, crossfading."""
    import time

    from edgestyle.errors import EdgestyleError
    from edgestyle.runtime.stylizer import cycle_weights

    names = stylizer.style_names
    if len(names) < 2 or seconds <= 0:
        raise EdgestyleError("--cycle-styles needs a model with two or more named styles and SECONDS > 0")
    start = time.monotonic()
    return lambda: stylizer.set_style(cycle_weights(names, time.monotonic() - start, seconds))


def _style_dir_options(folder, every, fade, choice, cycle_styles) -> dict:
    """--style-every and --style-fade, checked; they need --style-dir, which excludes the other styles."""
    from edgestyle.errors import EdgestyleError
    from edgestyle.limits import check_number
    from edgestyle.runtime.style_dir import DEFAULT_FADE
    from edgestyle.sizes import parse_duration

    if not folder:
        for flag, value in (("--style-every", every), ("--style-fade", fade)):
            if value is not None:
                raise EdgestyleError(f"{flag} goes with --style-dir")
        return {}
    if choice is not None or cycle_styles is not None:
        raise EdgestyleError(
            "--style-dir picks the styles itself: leave out --style, --blend, --style-image and --cycle-styles"
        )
    seconds = parse_duration(every, "--style-every", "10s, 90 or 2m")
    check_number(seconds, "--style-every", 0.1, 86400, note=" (seconds)")
    check_number(fade, "--style-fade", 0, 60, note=" (seconds)")
    return {"every": seconds, "fade": DEFAULT_FADE if fade is None else fade}


def _playback_fps(source, sink) -> float | None:
    """A file shown on a screen plays at its own frame rate; recorded or benchmarked, as fast as it can."""
    return source.fps if sink.watched and not source.live else None


def run(
    source: str = typer.Argument(
        None,
        help=f"What to stylize: {source_help()}. Default: the --device profile's camera, else test://.",
        show_default=False,
    ),
    output: list[str] = typer.Option(
        None,
        "--output",
        "-o",
        help=f"Where frames go: {sink_help()}. hdmi is a fullscreen window, or the console framebuffer "
        "without a desktop. Repeat to show and record at once (-o hdmi -o take.mp4). Default: the "
        "profile's display, else hdmi.",
    ),
    model: str = typer.Option(None, "--model", "-m", help=MODEL_HELP),
    device: str = typer.Option(
        None, "--device", "-d", help="Board profile from devices/ (raspberry-pi-5, jetson-orin-nano, ...)."
    ),
    delegate: str = typer.Option(None, "--delegate", help=DELEGATE_HELP + " Default: the profile's."),
    threads: int = typer.Option(None, "--threads", help=THREADS_HELP),
    style: str = typer.Option(None, "--style", help=STYLE_HELP),
    blend: str = typer.Option(None, "--blend", help=BLEND_HELP),
    side_by_side: bool = typer.Option(False, "--side-by-side", help=SIDE_HELP),
    overlay: bool = typer.Option(False, "--overlay", help="Draw FPS and latency on the picture."),
    max_fps: float = typer.Option(
        None, "--max-fps", help="Cap the frame rate, above 0 up to 1000 (saves power and heat)."
    ),
    size: str = typer.Option(
        None,
        "--size",
        help="Camera capture size WIDTHxHEIGHT (picam:0 default: the model's): each side up to 16384, and "
        "width x height x 24 bytes (the frames in flight) within half the memory available now.",
    ),
    frames: int = typer.Option(None, "--frames", help="Stop after this many frames (1 or more)."),
    loop: bool = typer.Option(False, "--loop", help="Replay a video file or folder forever."),
    scene_cut: float = typer.Option(0.1, "--scene-cut", help=CUT_HELP),
    hold: int = typer.Option(None, "--hold", help=HOLD_HELP, show_default=False),
    stabilize: float = typer.Option(None, "--stabilize", help=STABILIZE_HELP, show_default=False),
    stabilize_flow: str = typer.Option(
        None, "--stabilize-flow", help=STABILIZE_FLOW_HELP + " Default: the board profile's, else fine."
    ),
    match_palette: bool = typer.Option(True, "--match-palette/--no-match-palette", help=PALETTE_HELP),
    cycle_styles: float = typer.Option(
        None,
        "--cycle-styles",
        help="Tour the model's styles live: SECONDS per style (up to 86400), crossfading between them.",
    ),
    style_image: str = typer.Option(None, "--style-image", help=STYLE_IMAGE_HELP),
    style_dir: str = typer.Option(
        None,
        "--style-dir",
        help="A folder of pictures as live styles (models trained on style codes): the next one on n or "
        "space in the window and every --style-every, and a picture copied into the folder at once; a "
        "short crossfade, the recurrent state kept. Unusable files are skipped with a warning.",
    ),
    style_every: str = typer.Option(
        None,
        "--style-every",
        help="With --style-dir: the next picture every this long, e.g. 10s or 2m (0.1 s to 24 h; default: "
        "only on a key or a new file).",
    ),
    style_fade: float = typer.Option(
        None, "--style-fade", help="With --style-dir: crossfade SECONDS, 0 to 60 (default 0.5)."
    ),
    preview_token: str = typer.Option(
        None,
        "--preview-token",
        help="With -o http://...: the token the browser preview requires (?token= in its URL or "
        "Authorization: Bearer), 12 to 128 characters of A-Z a-z 0-9 . _ ~ -. Off loopback one is "
        "generated when not given and printed once; on 127.0.0.1 the preview is open unless one is given.",
    ),
) -> None:
    """Stylize a live source (camera, stream, file) and show it on HDMI or record it; Ctrl-C stops cleanly.

    Ctrl-C and SIGTERM finalize the sinks (a recording stays playable), then exit 130 and 143.
    """
    from edgestyle.cli._common import info
    from edgestyle.limits import LIVE_BYTES_PER_PIXEL, check_frame_size, check_number
    from edgestyle.runtime.models import resolve_model
    from edgestyle.runtime.pipeline import Pipeline
    from edgestyle.runtime.profiles import BoardProfile, load_profile
    from edgestyle.runtime.sinks.preview_access import redact
    from edgestyle.runtime.stylizer import Stylizer
    from edgestyle.sizes import parse_size

    _check_model_options(threads, scene_cut, hold, stabilize, stabilize_flow)
    check_number(frames, "--frames", 1, 2**31 - 1, note=" (leave it out to run until stopped)")
    check_number(max_fps, "--max-fps", 0, 1000, low_inclusive=False)
    check_number(cycle_styles, "--cycle-styles", 0, 86400, low_inclusive=False, note=" (seconds per style)")
    choice = _style_choice(style, blend, style_image)
    folder_options = _style_dir_options(style_dir, style_every, style_fade, choice, cycle_styles)
    wanted_size = (
        check_frame_size(parse_size(size, "--size"), "--size", LIVE_BYTES_PER_PIXEL) if size else None
    )
    profile = (
        load_profile(device) if device else BoardProfile(name="default", camera_uri="test://", sink="hdmi")
    )
    uri = source or profile.camera_uri
    sink_uris = list(output or [profile.sink])
    _refuse_recording_the_input(uri, sink_uris)
    _check_preview_token(preview_token, sink_uris)
    # A style's own file is used only when nothing switches styles live (a baked model paints one).
    fixed_style = choice if cycle_styles is None and not style_dir else None
    model_path = resolve_model(model, profile.model_glob, profile.model_size, style=fixed_style)
    stylizer = Stylizer(
        model_path,
        delegate=delegate or profile.delegate,
        threads=threads or profile.threads,
        style=choice,
        scene_cut_threshold=scene_cut,
        hold=hold,
        stabilize=stabilize,
        match_palette=match_palette,
        stabilize_flow=stabilize_flow or profile.stabilize_flow,
    )
    tour = _style_tour(stylizer, cycle_styles) if cycle_styles is not None else None
    if style_dir:
        from edgestyle.runtime.style_dir import StyleCycler

        tour = StyleCycler(stylizer, style_dir, log=info, **folder_options)
    capture_size = wanted_size or (
        stylizer.input_size if uri.startswith("picam") else tuple(profile.camera_size)
    )
    shown = ", ".join(redact(s) for s in sink_uris)  # a token is shown once, by the preview itself
    info(f"{uri} -> {model_path.name} ({stylizer.input_size[0]}x{stylizer.input_size[1]}) -> {shown}")
    frame_source, sink = _open_ends(uri, sink_uris, capture_size, profile.camera_fps, loop, preview_token)
    if style_dir:
        sink.on_key(tour.on_key)
        tour.start()
    pipeline = Pipeline(
        frame_source,
        stylizer,
        sink,
        before_inference=tour,
        max_fps=max_fps or profile.max_fps or _playback_fps(frame_source, sink),
        side_by_side=side_by_side,
        overlay=overlay,
        max_frames=frames,
        log=info,
    )
    sink.attach_status(
        lambda: {**pipeline.status(), "style": stylizer.style_label, "model": model_path.name, "source": uri}
    )
    try:
        stats, caught = _run_to_the_end(pipeline, frame_source, sink)
    finally:
        if style_dir:
            tour.close()
    info(f"{pipeline.stop_reason}: {stats.line()}, style {stylizer.style_label}")
    if caught:
        from edgestyle.cli._common import stopped

        raise stopped(caught[0])


def _refuse_recording_the_input(source: str, sinks: list[str]) -> None:
    """``run clip.mp4 -o clip.mp4`` would replace the clip it reads: refuse before starting."""
    from pathlib import Path

    from edgestyle.errors import EdgestyleError
    from edgestyle.preflight import same_file

    for sink in sinks:
        if "://" not in sink and Path(source).is_file() and same_file(sink, source):
            raise EdgestyleError(f"the output {sink} is the input; record to another name")


def _check_preview_token(token: str | None, sinks: list[str]) -> None:
    """--preview-token is checked before anything opens, and only goes with a browser preview."""
    from edgestyle.errors import EdgestyleError
    from edgestyle.runtime.sinks.preview_access import check_token

    if token is None:
        return
    if not any(sink.lower().startswith("http://") for sink in sinks):
        raise EdgestyleError("--preview-token goes with a browser preview: -o http://HOST:PORT")
    check_token(token, "--preview-token")


def _open_ends(uri: str, sink_uris: list[str], capture_size, fps: float, loop: bool, preview_token=None):
    """The source, then the sink(s) at the source's rate; the source is released if a sink fails."""
    from edgestyle.cli._common import info
    from edgestyle.runtime.sinks import open_sinks
    from edgestyle.runtime.sources import open_source

    frame_source = open_source(uri, size=capture_size, fps=fps, loop=loop, log=info)
    try:
        return frame_source, open_sinks(
            sink_uris, fps=frame_source.fps, log=info, preview_token=preview_token
        )
    except BaseException:
        frame_source.close()
        raise


def _run_to_the_end(pipeline, frame_source, sink):
    """Run the pipeline with Ctrl-C and SIGTERM as clean stops; the sink is finalized (or discarded
    on a crash). Returns the stats and the signals caught (the caller exits 128 + the first)."""
    with _signals_stop(pipeline) as caught:
        try:
            stats = pipeline.run()
        except (Exception, SystemExit):
            sink.abort()
            raise
        except KeyboardInterrupt:
            sink.close()  # what was recorded so far stays a playable file
            raise
        finally:
            frame_source.close()
    sink.close()
    return stats, caught


@contextlib.contextmanager
def _signals_stop(pipeline) -> Iterator[list[int]]:
    """Ctrl-C and SIGTERM ask the pipeline to stop; a second signal while stopping interrupts at once."""
    import signal

    from edgestyle.errors import Interrupted

    caught: list[int] = []

    def stop(signum: int, frame: object) -> None:
        if caught:
            raise Interrupted(signum)
        caught.append(signum)
        pipeline.stop(signal.Signals(signum).name)

    previous = {signum: signal.signal(signum, stop) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield caught
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
