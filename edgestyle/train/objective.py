"""The generator's objective as a table: each term is a name, a function of one step's context and
a weight in ``LossWeights`` of the same name.

Terms whose weight is 0 are never built into the step graph (they cost nothing), and the progress
line and TensorBoard show whatever terms are active, so adding a term is one function here, one
entry in :data:`TERMS` and one field (default) in :class:`~edgestyle.train.config.LossWeights`.
A *group* computes several weighted values at once (the perceptual terms share one pass of the
loss network) and is skipped when all of its weights are 0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import tensorflow as tf

from edgestyle.train import losses
from edgestyle.train.consistency import flow_term, noise_term, shift_term
from edgestyle.train.discriminators import stack_frames
from edgestyle.train.paired import paired_distance

if TYPE_CHECKING:
    from edgestyle.train.loop import Trainer


@dataclass
class StepContext:
    """What every term may look at in one generator step (all images in [0, 1])."""

    trainer: Trainer
    batch: dict[str, tf.Tensor]
    frames: tf.Tensor  # [B,T,H,W,3] clean input clip
    noisy: tf.Tensor  # the clip as the generator saw it (sensor noise added)
    out: tf.Tensor  # the generator's output clip
    style: tf.Tensor | None  # the generator's style input

    @property
    def config(self):
        return self.trainer.config

    @property
    def distilled(self) -> tf.Tensor:
        """Clips whose style has a teacher and no picture: full-resolution distillation."""
        return self.batch["has_target"] * (1.0 - self.batch["has_picture"])

    @property
    def guided(self) -> tf.Tensor:
        """Clips whose style has a teacher *and* a picture: low-pass distillation only."""
        return self.batch["has_target"] * self.batch["has_picture"]

    def first_and_last(self, clip: tf.Tensor) -> tf.Tensor:
        """[2B,H,W,6]: the first and last frame of every clip beside its input, for D(y | x)."""
        last = self.config.data.clip_len - 1
        x = tf.concat([self.frames[:, 0], self.frames[:, last]], 0)
        y = tf.concat([clip[:, 0], clip[:, last]], 0)
        return tf.concat([x, y], -1)


def lowpass(clip: tf.Tensor, crop: int) -> tf.Tensor:
    """4x4 mean pooling of every frame: the colour layout without the texture."""
    return tf.nn.avg_pool2d(tf.reshape(clip, [-1, crop, crop, 3]), 4, 4, "VALID")


def _l1(ctx: StepContext) -> tf.Tensor:
    return losses.l1(ctx.out, ctx.batch["targets"], ctx.distilled)


def _l2(ctx: StepContext) -> tf.Tensor:
    return losses.l2(ctx.out, ctx.batch["targets"], ctx.distilled)


def _lowpass(ctx: StepContext) -> tf.Tensor:
    crop = ctx.config.data.crop
    per_frame = tf.repeat(ctx.guided, ctx.config.data.clip_len)
    return losses.l1(lowpass(ctx.out, crop), lowpass(ctx.batch["targets"], crop), per_frame)


def _paired(ctx: StepContext) -> tf.Tensor:
    crop = ctx.config.data.crop
    flat = [-1, crop, crop, 3]
    per_frame = tf.repeat(ctx.distilled, ctx.config.data.clip_len)
    distance = paired_distance(tf.reshape(ctx.out, flat), tf.reshape(ctx.batch["targets"], flat))
    return losses._weighted_mean(distance, per_frame)


def _temporal(ctx: StepContext) -> tf.Tensor:
    return losses.temporal_loss(ctx.out, ctx.batch["flows"], ctx.batch["masks"])


def _tv(ctx: StepContext) -> tf.Tensor:
    crop = ctx.config.data.crop
    return losses.tv_loss(tf.reshape(ctx.out, [-1, crop, crop, 3]))


def _gan(ctx: StepContext) -> tf.Tensor:
    stable = ctx.batch["stable"]
    pair_weights = tf.concat([tf.ones_like(stable), tf.ones_like(stable)], 0)
    return losses.g_loss(ctx.trainer.patch_d(ctx.first_and_last(ctx.out), training=True), pair_weights)


def _temporal_gan(ctx: StepContext) -> tf.Tensor:
    return losses.g_loss(ctx.trainer.temporal_d(stack_frames(ctx.out), training=True))


PERCEPTUAL_MARGIN = 16


def perceptual_margin(crop: int, stride: int) -> int:
    """Pixels left out at each side of a crop before the perceptual losses see it.

    With the whole crop in the statistics, the generator learnt to put the painting's missing
    colours and contrast into a band along the frame border (zero padding tells it where that
    is): a cheap way to match a palette that reads as a glowing frame. The statistics of the
    interior alone give no reason to; the shift term then keeps the border like the interior.
    """
    return min(PERCEPTUAL_MARGIN, crop // 8 // stride * stride)


def perceptual_frames(clip_len: int, count: int) -> list[int]:
    """Which frames of a clip get the perceptual losses: ``count`` spread from the first (zero
    state, as at the start of a video) to the last (the most evolved state). The loss network costs
    more than the generator, and the temporal loss carries the look to the frames in between."""
    count = max(1, min(count, clip_len))
    return sorted({round(i * (clip_len - 1) / max(1, count - 1)) for i in range(count)})


def _perceptual(ctx: StepContext) -> dict[str, tf.Tensor]:
    """content, style and colour on the loss network (and pixel patches), for the frames that get them."""
    c, batch = ctx.config, ctx.batch
    picked = perceptual_frames(c.data.clip_len, c.objective.perceptual_frames)
    n = len(picked)
    m = perceptual_margin(c.data.crop, c.model.stride)
    flat = [-1, c.data.crop - 2 * m, c.data.crop - 2 * m, 3]

    def interior(clip):
        return tf.reshape(
            tf.gather(clip, picked, axis=1)[:, :, m : c.data.crop - m, m : c.data.crop - m], flat
        )

    return ctx.trainer.perceptual.terms(
        interior(ctx.out),
        interior(ctx.frames),
        tf.repeat(batch["style"], n),
        tf.repeat(batch["has_style"], n),
        patch_weights=tf.repeat(batch["has_picture"], n),  # paintings only, not a filter's outputs
    )


@dataclass(frozen=True)
class Term:
    """One entry of the objective: ``names`` are the ``LossWeights`` fields it produces."""

    names: tuple[str, ...]
    compute: Callable[[StepContext], Any]  # a scalar, or {name: scalar} for a group
    available: Callable[[Trainer], bool] = lambda trainer: True


TERMS: tuple[Term, ...] = (
    Term(("l1",), _l1),
    Term(("l2",), _l2),
    Term(("lowpass",), _lowpass),
    Term(("paired",), _paired),
    Term(("temporal",), _temporal),
    Term(("tv",), _tv),
    Term(("gan",), _gan),
    Term(("temporal_gan",), _temporal_gan),
    Term(("shift",), shift_term),
    Term(("noise",), noise_term),
    Term(("flow",), flow_term),
    Term(
        ("content", "style", "colour", "patches"), _perceptual, lambda trainer: trainer.perceptual is not None
    ),
)

# Terms that hold texture still: what ``schedule.stability_ramp`` scales up over training.
STABILITY_TERMS = frozenset({"temporal", "shift", "noise", "flow"})


def active_terms(trainer: Trainer) -> list[Term]:
    """The table's entries that this run computes: available, and with a weight other than 0."""
    weights = trainer.config.objective.weights
    return [
        term
        for term in TERMS
        if term.available(trainer) and any(getattr(weights, name) for name in term.names)
    ]


def evaluate(ctx: StepContext, terms: list[Term]) -> dict[str, tf.Tensor]:
    """{name: unweighted value} of every active term."""
    values: dict[str, tf.Tensor] = {}
    for term in terms:
        result = term.compute(ctx)
        values.update(result if isinstance(result, dict) else {term.names[0]: result})
    return values


def weighted_total(values: dict[str, tf.Tensor], weights: Any, stability_scale: tf.Tensor) -> tf.Tensor:
    """sum of weight x value; stability terms are scaled by the schedule's current factor."""
    parts = []
    for name, value in values.items():
        weight = getattr(weights, name)
        if not weight:
            continue
        scale = stability_scale if name in STABILITY_TERMS else 1.0
        parts.append(weight * scale * value)
    return tf.add_n(parts) if parts else tf.constant(0.0)
