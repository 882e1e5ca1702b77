"""Training data: folders of videos, frame sequences and stills -> clips of T frames with flow.

Stills become clips through a synthetic camera move with exact flow; videos and frame sequences
give real consecutive frames whose flow comes from DIS on the input frames. Each clip carries the
"real" look for the style it is drawn for: the teacher's output under the same move/crop
(distillation), or a moving crop of the style image (perceptual mode). Teachers run once per
source image at the working resolution (cached on disk), never per crop.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from edgestyle.errors import EdgestyleError
from edgestyle.runtime.images import read_rgb
from edgestyle.train.flow import MotionRange, estimated_flow, exact_flow, random_camera_path, render


@dataclass
class DataOptions:
    max_side: int = 512  # working resolution: long side of every source image/frame
    fps: float | None = None  # resample videos to this rate (None: keep every frame)
    max_video_frames: int = 240  # per video or sequence, after resampling
    sequence_diff: float = 20.0  # mean |diff| (0-255) under which an image folder is a frame sequence


@dataclass
class Sources:
    """Decoded training material at the working resolution (RGB uint8)."""

    stills: list[np.ndarray] = field(default_factory=list)
    sequences: list[list[np.ndarray]] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # stills first, then sequences

    @property
    def n_frames(self) -> int:
        return len(self.stills) + sum(len(s) for s in self.sequences)

    def summary(self) -> str:
        return f"{len(self.stills)} stills, {len(self.sequences)} clips ({sum(len(s) for s in self.sequences)} frames)"


def _fit(rgb: np.ndarray, max_side: int, min_side: int) -> np.ndarray:
    """Downscale so the long side is at most ``max_side``; upscale small images to ``min_side``."""
    import cv2

    h, w = rgb.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    scale = max(scale, min_side / min(h, w))
    if abs(scale - 1.0) < 1e-3:
        return rgb
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)


def _thumb(rgb: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.resize(rgb, (64, 64), interpolation=cv2.INTER_AREA).astype(np.float32)


def looks_like_sequence(frames: list[np.ndarray], max_diff: float) -> bool:
    """An image folder is a frame sequence when its images share a size and neighbours look alike."""
    if len(frames) < 2 or len({f.shape for f in frames}) != 1:
        return False
    diffs = [np.abs(_thumb(a) - _thumb(b)).mean() for a, b in zip(frames[:5], frames[1:6], strict=False)]
    return float(np.median(diffs)) < max_diff


def _read_video(path: Path, options: DataOptions, min_side: int) -> list[np.ndarray]:
    import cv2

    from edgestyle.runtime.video_io import probe_video, read_frames

    fps, _, _ = probe_video(path)
    step = max(1, round(fps / options.fps)) if options.fps else 1
    frames = []
    for i, bgr in enumerate(read_frames(path)):
        if i % step == 0:
            frames.append(_fit(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), options.max_side, min_side))
            if len(frames) >= options.max_video_frames:
                break
    return frames


def _media_files(root: Path) -> tuple[dict[Path, list[Path]], list[Path]]:
    """Images grouped by folder, and video files, under ``root`` (a file or a directory)."""
    from edgestyle.runtime.video_io import IMAGE_SUFFIXES, VIDEO_SUFFIXES

    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    images: dict[Path, list[Path]] = {}
    videos = []
    for f in files:
        suffix = f.suffix.lower()
        if suffix in IMAGE_SUFFIXES:
            images.setdefault(f.parent, []).append(f)
        elif suffix in VIDEO_SUFFIXES:
            videos.append(f)
    return images, videos


def load_sources(
    paths: list[str | os.PathLike], options: DataOptions, min_side: int, progress=None
) -> Sources:
    """Decode every image, frame sequence and video under ``paths``; one clear error if none are usable."""
    sources = Sources()
    stills_names, seq_names = [], []
    for given in paths:
        root = Path(given)
        if not root.exists():
            raise EdgestyleError(f"training data not found: {root}")
        images, videos = _media_files(root)
        for folder, files in images.items():
            frames = [_fit(read_rgb(f), options.max_side, min_side) for f in files]
            if progress:
                progress(len(frames))
            if looks_like_sequence(frames, options.sequence_diff):
                sources.sequences.append(frames[: options.max_video_frames])
                seq_names.append(str(folder))
            else:
                sources.stills.extend(frames)
                stills_names.extend(str(f) for f in files)
        for video in videos:
            frames = _read_video(video, options, min_side)
            if progress:
                progress(len(frames))
            if len(frames) >= 2:
                sources.sequences.append(frames)
                seq_names.append(str(video))
            else:
                sources.stills.extend(frames)
                stills_names.append(str(video))
    sources.names = stills_names + seq_names
    if not sources.stills and not sources.sequences:
        raise EdgestyleError(f"no images or videos found in {', '.join(str(p) for p in paths)}")
    return sources


# -- styles and their targets ---------------------------------------------------------------------


@dataclass
class StyleTargets:
    """One style's "real" material: teacher outputs aligned with ``Sources``, or style images."""

    name: str
    stills: list[np.ndarray] | None = None  # teacher output per still (distillation)
    sequences: list[list[np.ndarray]] | None = None  # teacher output per sequence frame
    style_images: list[np.ndarray] | None = (
        None  # perceptual losses: the style image(s), with or without a teacher
    )
    codes: np.ndarray | None = None  # [V, D] style codes of views of the style's picture (code conditioning)
    # perceptual targets of a style without a picture: some of its teacher's outputs (a filter's look)
    perceptual_images: list[np.ndarray] | None = None

    @property
    def distilled(self) -> bool:
        return self.stills is not None


def teacher_targets(
    name: str, teacher: Callable[[np.ndarray], np.ndarray], sources: Sources, progress=None
) -> StyleTargets:
    """Run a (cached) teacher once over every source image and frame."""

    def run(frame: np.ndarray) -> np.ndarray:
        out = teacher(frame)
        if progress:
            progress(1)
        return out

    return StyleTargets(
        name,
        stills=[run(f) for f in sources.stills],
        sequences=[[run(f) for f in seq] for seq in sources.sequences],
    )


# -- clip sampling --------------------------------------------------------------------------------


@dataclass
class ClipOptions:
    clip_len: int = 4
    crop: int = 128
    video_fraction: float = 0.3  # share of clips drawn from real sequences (when there are any)
    motion: MotionRange = field(default_factory=MotionRange)
    min_zoom: float = 0.4  # smallest resize of a source before cropping (more context per crop)
    style_weights: tuple[float, ...] | None = None  # relative draw of each style (None: uniform)


def style_weights(mix: str, names: list[str]) -> tuple[float, ...] | None:
    """``"cartoon=3,starry=0.5"`` -> one draw weight per style in ``names`` (1 where unnamed)."""
    if not mix.strip():
        return None
    weights = dict.fromkeys(names, 1.0)
    for item in mix.split(","):
        name, sep, value = item.strip().partition("=")
        if name not in weights:
            raise EdgestyleError(
                f"data.style_mix names {name!r}, which is not a style of this run ({', '.join(names)})"
            )
        try:
            weight = float(value) if sep else None
        except ValueError:
            weight = None
        if weight is None or not 0 <= weight < float("inf"):  # nan fails the comparison too
            raise EdgestyleError(f"data.style_mix: {item.strip()!r} needs a weight >= 0, e.g. {name}=2")
        weights[name] = weight
    if not sum(weights.values()) > 0:
        raise EdgestyleError("data.style_mix leaves no style to draw (every weight is 0)")
    return tuple(weights[n] for n in names)


def clip_signature(options: ClipOptions, code_dim: int = 0) -> dict[str, tuple[tuple[int, ...], str]]:
    t, c = options.clip_len, options.crop
    codes = {"code": ((code_dim,), "float32")} if code_dim else {}
    return {
        **codes,
        "frames": ((t, c, c, 3), "uint8"),
        "targets": ((t, c, c, 3), "uint8"),
        "flows": ((t - 1, c, c, 2), "float32"),
        "masks": ((t - 1, c, c, 1), "float32"),
        "style": ((), "int32"),
        "has_target": ((), "float32"),
        "has_style": ((), "float32"),
        "has_picture": ((), "float32"),
        "stable": ((), "float32"),
    }


class ClipSampler:
    """Draws random training clips; deterministic for a given numpy Generator."""

    def __init__(self, sources: Sources, styles: list[StyleTargets], options: ClipOptions):
        if not styles:
            raise ValueError("at least one style is needed")
        self.sources, self.styles, self.options = sources, styles, options
        if options.style_weights is not None and len(options.style_weights) != len(styles):
            raise ValueError("style_weights needs one weight per style")
        weights = np.asarray(options.style_weights or (), np.float64)
        self._style_p = weights / weights.sum() if weights.size else None  # draw probabilities
        dims = {s.codes.shape[1] for s in styles if s.codes is not None}
        if len(dims) > 1 or (dims and any(s.codes is None for s in styles)):
            raise ValueError("either every style has style codes of one length, or none has")
        self.code_dim = dims.pop() if dims else 0

    def _zoom(self, rng: np.random.Generator, hw: tuple[int, int]) -> float:
        need = self.options.crop * 1.25 / min(hw)  # the crop plus room for the camera move
        if need >= 1.0:
            return need  # a small source: upscale just enough
        lowest = max(self.options.min_zoom, need)
        return float(rng.uniform(lowest, 1.0)) if lowest < 1.0 else 1.0

    @staticmethod
    def _scaled(images: list[np.ndarray], zoom: float, flip: bool) -> list[np.ndarray]:
        import cv2

        out = []
        for im in images:
            if abs(zoom - 1.0) > 1e-3:
                size = (max(1, round(im.shape[1] * zoom)), max(1, round(im.shape[0] * zoom)))
                im = cv2.resize(im, size, interpolation=cv2.INTER_AREA if zoom < 1 else cv2.INTER_LINEAR)
            out.append(im[:, ::-1] if flip else im)
        return out

    def _moving_views(
        self, rng, images: list[np.ndarray]
    ) -> tuple[list[list[np.ndarray]], np.ndarray, np.ndarray]:
        """Render the same synthetic camera move over several aligned images (input, target)."""
        o = self.options
        images = self._scaled(images, self._zoom(rng, images[0].shape[:2]), bool(rng.integers(2)))
        hw = images[0].shape[:2]
        maps = random_camera_path(rng, hw, o.crop, o.clip_len, o.motion)
        views = [[render(np.ascontiguousarray(im), m, o.crop) for m in maps] for im in images]
        flows, masks = zip(
            *(exact_flow(maps[t - 1], maps[t], o.crop, hw) for t in range(1, o.clip_len)), strict=True
        )
        return views, np.stack(flows), np.stack(masks)

    def _real_clip(self, rng, seq: list[np.ndarray], targets: list[np.ndarray] | None):
        o = self.options
        step = int(rng.integers(1, 3)) if len(seq) >= 2 * o.clip_len else 1
        span = (o.clip_len - 1) * step + 1
        if len(seq) < span:
            step, span = 1, min(len(seq), o.clip_len)
        start = int(rng.integers(0, len(seq) - span + 1))
        idx = [min(start + t * step, len(seq) - 1) for t in range(o.clip_len)]
        zoom, flip = self._zoom(rng, seq[0].shape[:2]), bool(rng.integers(2))
        frames = self._scaled([seq[i] for i in idx], zoom, flip)
        tgts = self._scaled([targets[i] for i in idx], zoom, flip) if targets else None
        h, w = frames[0].shape[:2]
        y, x = int(rng.integers(0, h - o.crop + 1)), int(rng.integers(0, w - o.crop + 1))

        def cut(im):
            return np.ascontiguousarray(im[y : y + o.crop, x : x + o.crop])

        frames = [cut(f) for f in frames]
        tgts = [cut(f) for f in tgts] if tgts else None
        flows, masks = zip(
            *(estimated_flow(frames[t], frames[t - 1]) for t in range(1, o.clip_len)), strict=True
        )
        return frames, tgts, np.stack(flows), np.stack(masks)

    def sample(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        o, src = self.options, self.sources
        if self._style_p is not None:  # only then: an unweighted run keeps its clip sequence
            style_index = int(rng.choice(len(self.styles), p=self._style_p))
        else:
            style_index = int(rng.integers(len(self.styles)))
        style = self.styles[style_index]
        use_video = src.sequences and (not src.stills or rng.random() < o.video_fraction)
        stable = 1.0
        if use_video:
            k = int(rng.integers(len(src.sequences)))
            frames, targets, flows, masks = self._real_clip(
                rng, src.sequences[k], style.sequences[k] if style.distilled else None
            )
            stable = 0.0
        else:
            k = int(rng.integers(len(src.stills)))
            pair = [src.stills[k]] + ([style.stills[k]] if style.distilled else [])
            views, flows, masks = self._moving_views(rng, pair)
            frames, targets = views[0], (views[1] if style.distilled else None)
        if targets is None:  # perceptual mode: a moving crop of a style image is the "real" clip
            image = style.style_images[int(rng.integers(len(style.style_images)))]
            targets = self._moving_views(rng, [image])[0][0]
            stable = 1.0
        codes = {"code": style.codes[int(rng.integers(len(style.codes)))]} if self.code_dim else {}
        return {
            **codes,
            "frames": np.stack(frames),
            "targets": np.stack(targets),
            "flows": flows.astype(np.float32),
            "masks": masks.astype(np.float32),
            "style": np.int32(style_index),
            "has_target": np.float32(style.distilled),
            "has_style": np.float32(bool(style.style_images or style.perceptual_images)),
            "has_picture": np.float32(bool(style.style_images)),
            "stable": np.float32(stable),
        }

    def clips(self, seed: int, positions: Iterator[int]) -> Iterator[dict[str, np.ndarray]]:
        """The clips at these positions of the run's clip sequence: clip ``k`` is drawn from its
        own generator seeded by (seed, k), so it is the same clip whichever worker or pipeline
        draws it, and a resumed run continues the sequence where the checkpoint left it."""
        for k in positions:
            yield self.sample(np.random.default_rng([seed, k]))


def clip_positions(
    start_step: int, global_batch: int, share: tuple[int, int], lane: tuple[int, int]
) -> Iterator[int]:
    """Positions in the run's clip sequence that one parallel generator of one input pipeline draws.

    Step ``s`` trains on clips ``s * global_batch ...`` + ``global_batch - 1``, split into
    contiguous shares, one per input pipeline (``share`` = (this pipeline's offset, its clip
    count)); the pipeline's ``lanes`` parallel generators take every ``lanes``-th of its clips
    (``lane`` = (this generator, lanes)), so interleaving them restores the order.
    """
    offset, count = share
    index, lanes = lane
    k = index
    while True:
        step, j = divmod(k, count)
        yield (start_step + step) * global_batch + offset + j
        k += lanes


def make_dataset(
    sampler: ClipSampler,
    seed: int,
    batch_size: int,
    workers: int = 2,
    input_context=None,
    start_step: int = 0,
):
    """tf.data pipeline: ``workers`` parallel clip generators, batched, converted to float, prefetched.

    ``batch_size`` is the global batch. Under ``tf.distribute`` pass the ``InputContext``: each
    input pipeline (one per worker) draws its own contiguous share of every step's clips, in
    per-replica batches. Which clips a step trains on depends only on ``seed`` and the step, not
    on the number of workers or replicas: one machine and two see the same global batches.
    """
    import tensorflow as tf

    signature = {
        k: tf.TensorSpec(shape, getattr(tf, dtype))
        for k, (shape, dtype) in clip_signature(sampler.options, sampler.code_dim).items()
    }
    pipeline, pipelines, per_replica = 0, 1, batch_size
    if input_context is not None:
        pipeline, pipelines = input_context.input_pipeline_id, input_context.num_input_pipelines
        per_replica = input_context.get_per_replica_batch_size(batch_size)
    count = batch_size // pipelines  # this pipeline's clips per step (all of its replicas' batches)
    workers = max(1, workers)

    def worker_stream(i):
        def clips(i):
            lane = (int(i), workers)
            return sampler.clips(
                seed, clip_positions(start_step, batch_size, (pipeline * count, count), lane)
            )

        return tf.data.Dataset.from_generator(clips, args=(i,), output_signature=signature)

    ds = tf.data.Dataset.range(workers).interleave(
        worker_stream, cycle_length=workers, block_length=1, num_parallel_calls=workers, deterministic=True
    )

    def to_float(clip):
        clip = dict(clip)
        clip["frames"] = tf.cast(clip["frames"], tf.float32) / 255.0
        clip["targets"] = tf.cast(clip["targets"], tf.float32) / 255.0
        return clip

    return ds.batch(per_replica, drop_remainder=True).map(to_float).prefetch(2)
