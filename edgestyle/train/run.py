"""``edgestyle train`` end to end: check inputs, load data, run teachers, train, write the model dir."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from edgestyle.errors import EdgestyleError
from edgestyle.train.config import TrainConfig
from edgestyle.train.styles import StyleSource

RUN_FILE = "run.json"  # beside the checkpoints: what they were trained as, to refuse mismatched resumes


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "edgestyle" / "teachers"


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _bar(total: int, desc: str, enabled: bool):
    from edgestyle.console import Progress

    return Progress(desc, total, "images", enabled=enabled)


def _check_resume(out: Path, identity: dict[str, Any], fresh: bool, styles_are_weights: bool = True) -> bool:
    """Refuse to resume checkpoints of a different model; ``fresh`` deletes them instead.

    A model conditioned on style codes has no weights per style name, so its run may go on with
    styles added or removed (more pictures to generalise from); one with a vector per name may not.
    A run may go on with another clip length: the generator does not depend on it, only the
    temporal discriminator's input does (clip_len frames stacked). Returns True then: the
    discriminators and their optimizer start over (the checkpoint reaches the discriminators'
    weights through that optimizer); the generator, its optimizer and average, and the step resume.
    """
    from edgestyle.train.model_dir import CHECKPOINT_DIR

    ckpt = out / CHECKPOINT_DIR
    if fresh and ckpt.exists():
        shutil.rmtree(ckpt)
    run_file = ckpt / RUN_FILE
    if run_file.is_file():
        previous = json.loads(run_file.read_text())
        if not styles_are_weights:
            previous = {**previous, "styles": identity["styles"]}
        kept_clip_len = previous.get("clip_len", identity["clip_len"])
        previous = {**previous, "clip_len": identity["clip_len"]}
        if previous != identity:
            changed = sorted(k for k in identity if previous.get(k) != identity[k])
            raise EdgestyleError(
                f"{ckpt} holds a run with a different {', '.join(changed)} ({_differences(previous, identity)}); "
                "use another --out or --fresh to start over"
            )
        if kept_clip_len != identity["clip_len"]:
            _say(
                f"clip_len {kept_clip_len} -> {identity['clip_len']}: the temporal discriminator "
                "starts over (its input is the clip's frames), the patch discriminator with it; the generator resumes"
            )
            return True
    return False


def _differences(before: dict[str, Any], now: dict[str, Any], prefix: str = "") -> str:
    """``generator.base_channels 8 -> 16, styles ['a'] -> ['a', 'b']``: what a resume would change."""
    out = []
    for key in sorted(set(before) | set(now)):
        old, new = before.get(key), now.get(key)
        if isinstance(old, dict) and isinstance(new, dict):
            inner = _differences(old, new, f"{prefix}{key}.")
            out += [inner] if inner else []
        elif old != new:
            out.append(f"{prefix}{key} {old!r} -> {new!r}")
    return ", ".join(out)


def _record_run(out: Path, identity: dict[str, Any]) -> None:
    from edgestyle.train.model_dir import CHECKPOINT_DIR

    (out / CHECKPOINT_DIR).mkdir(parents=True, exist_ok=True)
    (out / CHECKPOINT_DIR / RUN_FILE).write_text(json.dumps(identity, indent=2))


def train_model(
    data: list[str],
    out: str | os.PathLike,
    styles: list[StyleSource],
    config: TrainConfig,
    cache_dir: str | os.PathLike | None = None,
    strategy: str = "auto",
    fresh: bool = False,
    progress: bool = True,
    on_step=None,
    cluster_timeout: float | None = None,
) -> dict[str, Any]:
    """Train and write ``out`` (a model directory); returns the run summary.

    Under ``TF_CONFIG`` every worker calls this with the same arguments; only the chief reads
    and writes ``out`` (checkpoints, logs, the model directory), the others need its parent only.
    """
    from edgestyle.preflight import check_free_space
    from edgestyle.teachers import load_teacher
    from edgestyle.train.conditioning import attach_codes, perceptual_pictures, with_colour_variants
    from edgestyle.train.data import DataOptions, load_sources, make_dataset, style_weights
    from edgestyle.train.loop import Trainer, make_strategy
    from edgestyle.train.macs import generator_cost

    out, pictures, (derived, notes) = _check_request(out, styles, config)
    styles, pictures = with_colour_variants(
        styles, pictures, config.data.style_variants, config.schedule.seed
    )
    names = [s.name for s in styles]
    mix = style_weights(config.data.style_mix, names)  # a typo fails here, not after minutes of data
    identity = {"generator": config.model.architecture(), "styles": names, "clip_len": config.data.clip_len}
    leader = _leads(strategy)
    new_clip_len = False
    if leader:  # the other workers neither read nor write the checkpoints
        new_clip_len = _check_resume(out, identity, fresh, styles_are_weights=not config.data.style_codes)
    # Before TensorFlow runs anything (a cluster can only be joined then) and before minutes of data.
    distribution = make_strategy(strategy, cluster_timeout=cluster_timeout)
    _check_replicas(config, distribution)
    teachers = {i: load_teacher(s.teacher, s.style_image) for i, s in enumerate(styles) if s.teacher}

    min_side = int(config.data.crop * 1.25) + 1
    options = DataOptions(max_side=config.data.max_side, fps=config.data.fps)
    with _bar(0, "reading data", progress) as bar:
        sources = load_sources(data, options, min_side, progress=bar.update)
    _say(f"data: {sources.summary()}")
    cache = Path(cache_dir) if cache_dir else default_cache_dir()
    targets = _style_targets(
        styles, teachers, pictures, sources, cache, (config.data.max_side, min_side), progress
    )
    pictures = perceptual_pictures(pictures, targets, config)
    codes = attach_codes(names, targets, pictures, config) if config.data.style_codes else None
    sampler = _clip_sampler(sources, targets, config, mix)
    vectors = None if config.data.style_codes else _initial_style_vectors(styles, teachers, config)
    if leader:
        _record_run(out, identity)

    macs, params = generator_cost(config.model)
    _say(
        f"generator: {macs / 1e9:.3f} GMAC per 384x384 frame, {params:,} parameters, cell {config.model.cell}"
    )
    for note in notes:
        _say(f"derived: {note}")
    trainer = Trainer(config, names, vectors, out, distribution, style_images=pictures)
    if trainer.chief:  # room for two kept checkpoints and one being written, plus the model directory's swap
        check_free_space(out, 3 * trainer.checkpoint_bytes() + 16 * params, out / "checkpoints")
    start = trainer.restore(restart_temporal_d=new_clip_len)
    if start:
        _say(f"resuming from step {start} ({out / 'checkpoints'})")
    _say(
        f"training to step {config.schedule.max_steps} on {trainer.strategy.num_replicas_in_sync} replica(s), batch {config.data.batch} x {config.data.clip_len} frames of {config.data.crop}px"
    )

    def dataset_fn(ctx):
        return make_dataset(
            sampler, config.schedule.seed, config.data.batch, config.runtime.workers, ctx, start_step=start
        )

    summary = trainer.fit(dataset_fn, on_step=on_step, progress=progress)
    history = summary.pop("history")
    if trainer.chief:
        _save(out, trainer, config, summary, (data, sources), styles, teachers, codes, derived)
    summary["history"] = history
    summary["macs_per_frame"], summary["params"] = macs, params
    summary["chief"] = trainer.chief
    return summary


def _leads(strategy: str) -> bool:
    """Whether this process will be the chief, known before TensorFlow starts: the one process
    of a one-machine run, or the chief task that TF_CONFIG names (``--strategy auto/multiworker``)."""
    from edgestyle.train.tf_config import read_tf_config

    cluster = read_tf_config() if strategy in ("auto", "multiworker") else None
    return cluster is None or cluster.is_chief


def _check_replicas(config: TrainConfig, distribution) -> None:
    """The global batch must split evenly over the replicas, and say how the run is spread."""
    from edgestyle.train.cluster import workers_in
    from edgestyle.train.tf_config import read_tf_config

    replicas, workers = distribution.num_replicas_in_sync, workers_in(distribution)
    if config.data.batch % replicas:
        raise EdgestyleError(
            f"--batch {config.data.batch} does not split over {replicas} replicas ({workers} worker(s)): "
            f"use a multiple of {replicas}"
        )
    if workers > 1:
        cluster = read_tf_config()
        _say(
            f"cluster: {cluster.describe()}, {replicas} replicas, {config.data.batch // replicas} clips each per step"
        )


def _check_request(
    out: str | os.PathLike, styles: list[StyleSource], config: TrainConfig
) -> tuple[Path, dict[int, list[Any]], tuple[dict[str, Any], list[str]]]:
    """Everything the user can get wrong, before minutes of data loading: ``out`` as a Path, and
    each style's picture read by the runtime's checked reader (missing, not a picture, tiny, huge)."""
    from edgestyle.atomic import check_parent_exists
    from edgestyle.preflight import check_output_folder
    from edgestyle.runtime.images import read_style_picture

    out = Path(out)
    check_parent_exists(out)
    if out.exists() and not out.is_dir():
        raise EdgestyleError(f"--out {out} exists and is not a directory")
    check_output_folder(out)  # read-only or full: say so before minutes of data loading
    config.validate()
    derived = derive(config, len(styles))  # printed once everything is checked (bad input: one line)
    pictures = {i: [read_style_picture(s.style_image)] for i, s in enumerate(styles) if s.style_image}
    if pictures:
        from edgestyle.train.loop import check_loss_network

        check_loss_network(config)
    return out, pictures, derived


def derive(config: TrainConfig, n_styles: int) -> tuple[dict[str, Any], list[str]]:
    """Set the model fields that follow from the rest; returns them and a line on each.

    With style codes the style input is the predictor's code; one style without codes is baked
    in (no style input). Each derived value is printed (with the value it replaces) once the
    inputs are checked, and recorded as ``derived`` in the model folder's training record, so
    nothing changes silently.
    """
    derived: dict[str, Any] = {}
    notes: list[str] = []
    if config.data.style_codes:
        from edgestyle.runtime.style_code import StylePredictor

        derived["style_dim"] = StylePredictor(config.data.predictor).dim
        derived["style_hidden"] = config.model.style_hidden or 32
    elif n_styles == 1:
        derived["style_dim"] = 0
    for key, value in derived.items():
        given = getattr(config.model, key)
        why = "the style predictor's code" if config.data.style_codes else "one style: baked in"
        notes.append(f"model.{key} = {value} ({why}{f'; the config said {given}' if given != value else ''})")
        setattr(config.model, key, value)
    return {f"model.{key}": value for key, value in derived.items()}, notes


def _style_targets(
    styles: list[StyleSource],
    teachers,
    style_images,
    sources,
    cache: Path,
    sides: tuple[int, int],
    progress: bool,
) -> list[Any]:
    """Per style: the teacher's frames (cached on disk) and/or its picture, fitted to the working
    resolution (the discriminator's "real" clips for a style without a teacher)."""
    from edgestyle.teachers import CachedTeacher
    from edgestyle.train.data import StyleTargets, _fit, teacher_targets

    max_side, min_side = sides
    targets = []
    for i, s in enumerate(styles):
        fitted = [_fit(im, max_side, min_side) for im in style_images.get(i, [])] or None
        if i in teachers:
            teacher = CachedTeacher(teachers[i], cache)
            with _bar(sources.n_frames, f"teacher {s.name}", progress) as bar:
                target = teacher_targets(s.name, teacher, sources, progress=bar.update)
            target.style_images = fitted
            targets.append(target)
            how = "low-pass distillation + perceptual" if fitted else "distillation"
            _say(
                f"style {s.name}: {how}, teacher {teacher.name} ({teacher.misses} computed, {teacher.hits} cached)"
            )
        else:
            targets.append(StyleTargets(s.name, style_images=fitted))
            _say(f"style {s.name}: perceptual, style image {s.style_image}")
    return targets


def _clip_sampler(sources, targets: list[Any], config: TrainConfig, mix: tuple[float, ...] | None):
    from edgestyle.train.data import ClipOptions, ClipSampler
    from edgestyle.train.flow import MotionRange

    options = ClipOptions(
        clip_len=config.data.clip_len,
        crop=config.data.crop,
        video_fraction=config.data.video_fraction,
        motion=MotionRange(
            shift=config.data.motion_shift, zoom=config.data.motion_zoom, rotate=config.data.motion_rotate
        ),
        min_zoom=config.data.min_zoom,
        style_weights=mix,
    )
    return ClipSampler(sources, targets, options)


def _initial_style_vectors(styles: list[StyleSource], teachers, config: TrainConfig):
    """Starting style vectors from the teachers' style features; None for a one-style model."""
    from edgestyle.train.styles import initial_vectors

    if not config.model.style_dim:
        return None
    features = [getattr(teachers.get(i), "style_features", None) for i in range(len(styles))]
    return initial_vectors(features, config.model.style_dim, config.schedule.seed)


def _save(
    out: Path, trainer, config: TrainConfig, summary, data_and_sources, styles, teachers, codes, derived
) -> None:
    """The model directory: generator, style table (learned vectors or codes), config and
    provenance of the run; colour variants are training material, not named styles."""
    from edgestyle.runtime.palette import picture_colour
    from edgestyle.train.cluster import workers_in
    from edgestyle.train.conditioning import predictor_info
    from edgestyle.train.model_dir import save_model_dir
    from edgestyle.train.styles import is_named_style

    data, sources = data_and_sources
    named = [s for s in styles if is_named_style(s.name)]
    info = {
        "config": config.to_dict(),
        "derived": derived,
        "run": summary,
        "data": {"paths": [str(p) for p in data], "summary": sources.summary()},
        "styles": [{"name": s.name, "teacher": s.teacher, "style_image": s.style_image} for s in named],
        "training_only_styles": [s.name for s in styles if not is_named_style(s.name)],
        "strategy": _strategy_name(trainer.strategy),
        "replicas": trainer.strategy.num_replicas_in_sync,
        "workers": workers_in(trainer.strategy),
    }
    teacher_info = [dict(teachers[i].info, style=styles[i].name) for i in teachers] or None
    with trainer.averaged():  # inside: the generator may be the live model itself
        vectors = codes if codes is not None else trainer.style_vectors()
        save_model_dir(
            out,
            trainer.float_generator(),
            config.model,
            {k: v for k, v in vectors.items() if is_named_style(k)} if vectors else None,
            info,
            default_style=named[0].name,
            teacher=teacher_info,
            baked_style=named[0].name if config.model.style_dim == 0 else None,
            style_code=predictor_info(config) if config.data.style_codes else None,
            colours={s.name: picture_colour(s.style_image) if s.style_image else None for s in named},
        )


def _strategy_name(strategy) -> str:
    """The name TensorFlow documents the strategy under (its multi-worker class is exported as
    ``MultiWorkerMirroredStrategy`` but named ``CollectiveAllReduceStrategy``)."""
    name = type(strategy).__name__
    return "MultiWorkerMirroredStrategy" if name == "CollectiveAllReduceStrategy" else name
