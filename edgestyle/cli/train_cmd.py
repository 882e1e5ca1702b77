"""``edgestyle train``: train a recurrent style generator (host, needs the ``train`` extra)."""

from __future__ import annotations

from pathlib import Path

import typer

from edgestyle.errors import EdgestyleError
from edgestyle.sizes import parse_duration
from edgestyle.teachers import teacher_help


def train(
    data: list[Path] = typer.Argument(
        ...,
        help="Training material: folders of photos, frame sequences (numbered images) and/or video files.",
    ),
    out: Path = typer.Option(
        ..., "--out", "-o", help="Model directory to write (edgestyle convert reads it)."
    ),
    teacher: str | None = typer.Option(
        None,
        "--teacher",
        help=f"Distil one style from a per-frame teacher: {teacher_help()}.",
    ),
    style_image: Path | None = typer.Option(
        None,
        "--style-image",
        help="Perceptual mode (loss-network content + Gram style + palette), or the style image of a Magenta teacher.",
    ),
    style: list[str] = typer.Option(
        [],
        "--style",
        help="NAME=SPEC, repeatable, for a multi-style model; SPEC is a teacher spec or a style image file.",
    ),
    config_file: Path | None = typer.Option(
        None,
        "--config",
        help="JSON or TOML training config, or a model folder to train like (its recorded config); "
        "see docs/training.md.",
    ),
    overrides: list[str] = typer.Option(
        [],
        "--set",
        help="Override a config field, section.key=value, e.g. --set objective.weights.temporal=6 "
        "(sections: data, model, objective, optimizer, schedule, runtime; the other flags are shortcuts).",
    ),
    max_steps: int | None = typer.Option(
        None, "--max-steps", help="Train until this many steps in total (resumed runs count)."
    ),
    time_budget: str | None = typer.Option(
        None, "--time-budget", help="Stop and save after this long, e.g. 45m."
    ),
    batch: int | None = typer.Option(None, "--batch", help="Clips per step (over all devices), 1 to 1024."),
    crop: int | None = typer.Option(
        None, "--crop", help="Training crop size in pixels: a multiple of the stride, 4 strides to 2048."
    ),
    clip_len: int | None = typer.Option(None, "--clip-len", help="Frames per training clip, 2 to 64."),
    cell: str | None = typer.Option(None, "--cell", help="Recurrent cell: gru (default) or lstm."),
    base_channels: int | None = typer.Option(
        None, "--base-channels", help="Generator width (16 = default, ~0.34 GMAC)."
    ),
    seed: int | None = typer.Option(None, "--seed", help="Random seed; the same seed and data repeat a run."),
    checkpoint_every: int | None = typer.Option(
        None, "--checkpoint-every", help="Save a checkpoint every N steps (N >= 1)."
    ),
    loss_net: str | None = typer.Option(
        None,
        "--loss-net",
        help="TFLite feature model for the perceptual losses (default: the Magenta style predictor "
        "shipped in models/style_predict/; any MobileNet-like CONV/DEPTHWISE/ADD model works).",
    ),
    vgg_weights: str | None = typer.Option(
        None,
        "--vgg-weights",
        help="Use VGG16 as the loss network instead: a notop weights .h5 file, or 'imagenet' to download.",
    ),
    cache_dir: Path | None = typer.Option(None, "--cache-dir", help="Where teacher outputs are cached."),
    strategy: str = typer.Option(
        "auto", "--strategy", help="auto, default, mirrored (all local GPUs) or multiworker (TF_CONFIG)."
    ),
    cluster_timeout: str = typer.Option(
        "5m",
        "--cluster-timeout",
        help="With TF_CONFIG: how long to wait for every other task to start, e.g. 90s (then one error).",
    ),
    fresh: bool = typer.Option(
        False, "--fresh", help="Ignore and delete checkpoints in --out instead of resuming."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
) -> None:
    """Train a recurrent, style-conditioned generator against conditional PatchGAN discriminators.

    A run resumes from OUT/checkpoints when they exist. Ctrl-C stops cleanly: the checkpoint and
    the model directory are written before exiting.
    """
    import os
    import signal

    from edgestyle.console import native_logs_filtered

    if strategy in ("auto", "multiworker"):
        from edgestyle.train.tf_config import read_tf_config

        read_tf_config()  # a malformed TF_CONFIG is one line now, not after TensorFlow's import
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # grappler prints harmless "remapper failed" errors
    try:
        with native_logs_filtered():  # absl's "Could not find cuda drivers" INFO lines, once per library
            import tensorflow  # noqa: F401
    except ImportError:
        raise EdgestyleError("training needs TensorFlow: pip install 'edgestyle[train]'") from None

    from edgestyle.train.config import load_config
    from edgestyle.train.run import train_model
    from edgestyle.train.styles import collect_styles

    # The dedicated flags are sugar for --set lines, applied after the user's own.
    flags = {
        "schedule.max_steps": max_steps,
        "data.batch": batch,
        "data.crop": crop,
        "data.clip_len": clip_len,
        "model.cell": cell,
        "model.base_channels": base_channels,
        "schedule.seed": seed,
        "schedule.checkpoint_every": checkpoint_every,
        "objective.vgg_weights": vgg_weights,
        "objective.loss_net": loss_net,
        "schedule.time_budget": parse_duration(time_budget),
    }
    sugar = [f"{key}={value}" for key, value in flags.items() if value is not None]
    config = load_config(config_file, [*overrides, *sugar])
    styles = collect_styles(style, teacher, str(style_image) if style_image else None)
    wait = parse_duration(cluster_timeout, "--cluster-timeout", "90s or 5m")
    if not wait:
        raise EdgestyleError("--cluster-timeout must be more than 0 seconds")

    # Ctrl-C and SIGTERM (the CLI turns it into an interrupt) finish with a checkpoint and a model directory.
    with native_logs_filtered():
        summary = train_model(
            [str(p) for p in data],
            out,
            styles,
            config,
            cache_dir,
            strategy,
            fresh,
            progress=not quiet,
            cluster_timeout=wait,
        )
    losses = ", ".join(f"{k} {v:.4f}" for k, v in summary["final_losses"].items())
    typer.echo(
        f"trained steps {summary['start_step']}..{summary['end_step']} ({summary['stopped_by']}) in "
        f"{summary['seconds']:.0f} s, {summary['steps_per_second']} steps/s; "
        f"{summary['macs_per_frame'] / 1e9:.3f} GMAC/frame at 384x384, {summary['params']:,} params"
    )
    typer.echo(f"losses: {losses}")
    if summary["chief"]:
        typer.echo(f"model directory: {out}  (next: edgestyle convert {out})")
    else:
        typer.echo("model directory: written by the chief task (this worker writes nothing)")
    if summary["stopped_by"] == "interrupted":
        from edgestyle.cli._common import exit_code_for_signal

        raise typer.Exit(exit_code_for_signal(summary.get("signal") or signal.SIGINT))
