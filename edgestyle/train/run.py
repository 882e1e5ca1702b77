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
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, disable=not enabled, unit="img", dynamic_ncols=True, leave=False)


def _check_resume(out: Path, identity: dict[str, Any], fresh: bool) -> None:
    """Refuse to resume checkpoints of a different model; ``fresh`` deletes them instead."""
    from edgestyle.train.model_dir import CHECKPOINT_DIR

    ckpt = out / CHECKPOINT_DIR
    if fresh and ckpt.exists():
        shutil.rmtree(ckpt)
    run_file = ckpt / RUN_FILE
    if run_file.is_file():
        previous = json.loads(run_file.read_text())
        if previous != identity:
            changed = sorted(k for k in identity if previous.get(k) != identity[k])
            raise EdgestyleError(
                f"{ckpt} holds a run with a different {', '.join(changed)}; use another --out or --fresh to start over"
            )


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
) -> dict[str, Any]:
    """Train and write ``out`` (a model directory); returns the run summary."""
    from edgestyle.atomic import check_parent_exists
    from edgestyle.teachers import CachedTeacher, load_teacher, read_rgb

    out = Path(out)
    check_parent_exists(out)
    if out.exists() and not out.is_dir():
        raise EdgestyleError(f"--out {out} exists and is not a directory")
    config.validate()
    if len(styles) == 1:
        config.generator.style_dim = 0  # one style: bake it in, no style input
    for s in styles:  # fail fast, before minutes of data loading
        if s.style_image and not Path(s.style_image).is_file():
            raise EdgestyleError(f"style image not found: {s.style_image}")
    names = [s.name for s in styles]
    identity = {"generator": config.generator.to_dict(), "styles": names, "clip_len": config.clip_len}
    _check_resume(out, identity, fresh)
    teachers = {i: load_teacher(s.teacher, s.style_image) for i, s in enumerate(styles) if s.teacher}
    style_images = {i: [read_rgb(s.style_image)] for i, s in enumerate(styles) if not s.teacher}

    from edgestyle.train.data import (
        ClipOptions,
        ClipSampler,
        DataOptions,
        StyleTargets,
        _fit,
        load_sources,
        make_dataset,
        teacher_targets,
    )
    from edgestyle.train.flow import MotionRange
    from edgestyle.train.loop import Trainer, make_strategy
    from edgestyle.train.macs import generator_cost
    from edgestyle.train.styles import initial_vectors

    min_side = int(config.crop * 1.25) + 1
    options = DataOptions(max_side=config.max_side, fps=config.fps)
    with _bar(0, "reading data", progress) as bar:
        sources = load_sources(data, options, min_side, progress=bar.update)
    _say(f"data: {sources.summary()}")

    cache = Path(cache_dir) if cache_dir else default_cache_dir()
    targets: list[StyleTargets] = []
    for i, s in enumerate(styles):
        if i in teachers:
            teacher = CachedTeacher(teachers[i], cache)
            with _bar(sources.n_frames, f"teacher {s.name}", progress) as bar:
                targets.append(teacher_targets(s.name, teacher, sources, progress=bar.update))
            _say(f"style {s.name}: teacher {teacher.name} ({teacher.misses} computed, {teacher.hits} cached)")
        else:
            style_images[i] = [_fit(im, config.max_side, min_side) for im in style_images[i]]
            targets.append(StyleTargets(s.name, style_images=style_images[i]))
            _say(f"style {s.name}: perceptual, style image {s.style_image}")

    sampler = ClipSampler(
        sources,
        targets,
        ClipOptions(
            clip_len=config.clip_len,
            crop=config.crop,
            video_fraction=config.video_fraction,
            motion=MotionRange(),
            min_zoom=config.min_zoom,
        ),
    )
    features = [getattr(teachers.get(i), "style_features", None) for i in range(len(styles))]
    vectors = (
        initial_vectors(features, config.generator.style_dim, config.seed)
        if config.generator.style_dim
        else None
    )
    _record_run(out, identity)

    macs, params = generator_cost(config.generator)
    _say(
        f"generator: {macs / 1e9:.3f} GMAC per 384x384 frame, {params:,} parameters, cell {config.generator.cell}"
    )
    trainer = Trainer(
        config,
        names,
        vectors,
        out,
        make_strategy(strategy),
        style_images={i: style_images[i] for i in style_images},
    )
    start = trainer.restore()
    if start:
        _say(f"resuming from step {start} ({out / 'checkpoints'})")
    _say(
        f"training to step {config.max_steps} on {trainer.strategy.num_replicas_in_sync} replica(s), batch {config.batch} x {config.clip_len} frames of {config.crop}px"
    )

    def dataset_fn(ctx):
        return make_dataset(sampler, config.seed + start, config.batch, config.workers, ctx)

    summary = trainer.fit(dataset_fn, on_step=on_step, progress=progress)
    history = summary.pop("history")
    if trainer.chief:
        from edgestyle.train.model_dir import save_model_dir

        info = {
            "config": config.to_dict(),
            "run": summary,
            "data": {"paths": [str(p) for p in data], "summary": sources.summary()},
            "styles": [{"name": s.name, "teacher": s.teacher, "style_image": s.style_image} for s in styles],
            "strategy": type(trainer.strategy).__name__,
            "replicas": trainer.strategy.num_replicas_in_sync,
        }
        teacher_info = [dict(teachers[i].info, style=styles[i].name) for i in teachers] or None
        save_model_dir(
            out,
            trainer.generator,
            config.generator,
            trainer.style_vectors(),
            info,
            default_style=names[0],
            teacher=teacher_info,
            baked_style=names[0] if config.generator.style_dim == 0 else None,
        )
    summary["history"] = history
    summary["macs_per_frame"], summary["params"] = macs, params
    return summary
