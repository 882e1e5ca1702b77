"""Terms that lock texture to content: the same scene must give the same strokes.

A camera's frames of a still scene differ by sensor noise, and a moving camera's frames by a smooth,
non-rigid motion. A generator that paints strokes out of pixel noise, or out of where the stride
grid happens to fall, crawls on video even when each frame looks right. Each term here runs the
generator a second time on a perturbed copy of the clip and asks for the same output:

* ``shift``: a window moved by 0-32 px and re-noised (integer shifts: the stride grid);
* ``noise``: the same clip with fresh camera-like noise (MCCNet's noise consistency, Deng et al.
  2021): white noise plus a 2x2-correlated luminance part, at a random strength per clip;
* ``flow``: the clip warped by a smooth random flow plus a global shift and re-noised, against the
  output warped by the same flow (ReReVST's compound regularisation, Wang et al. 2020).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import tensorflow as tf

from edgestyle.train.flow import warp

if TYPE_CHECKING:
    from edgestyle.train.objective import StepContext

# The shift term's window is the crop less SHIFT_MARGIN pixels, placed anywhere inside it; the
# clip's own outer SHIFT_EDGE pixels are left out of the comparison.
SHIFT_MARGIN, SHIFT_EDGE = 32, 8
FLOW_GRID_PX = 64  # one random flow vector per this many pixels, interpolated smoothly between
FLOW_EDGE = 4  # pixels at the crop's border left out of the flow term (their source is clamped)


def sensor_noise(shape: tf.Tensor, low: float, high: float) -> tf.Tensor:
    """Camera-like noise for clips [B,T,H,W,3]: a strength drawn per clip from [low, high], half of
    its variance white per channel, half a luminance part constant over 2x2 pixels (demosaicing and
    compression correlate a real sensor's noise over neighbours)."""
    b, t, h, w = shape[0], shape[1], shape[2], shape[3]
    sigma = tf.random.uniform(tf.stack([b, 1, 1, 1, 1]), low, high) / tf.sqrt(2.0)
    white = tf.random.normal(shape)
    coarse = tf.random.normal(tf.stack([b * t, (h + 1) // 2, (w + 1) // 2, 1]))
    luma = tf.image.resize(coarse, tf.stack([h, w]) // 2 * 2, method="nearest")
    luma = tf.reshape(luma[:, :h, :w], tf.stack([b, t, h, w, 1]))
    return sigma * (white + luma)


def _renoised(ctx: StepContext, clip: tf.Tensor) -> tf.Tensor:
    c = ctx.config
    return tf.clip_by_value(
        clip + sensor_noise(tf.shape(clip), c.objective.pair_noise_min, c.objective.pair_noise_max), 0.0, 1.0
    )


def _masked_l1(a: tf.Tensor, b: tf.Tensor, mask: tf.Tensor) -> tf.Tensor:
    """Mean |a - b| per pixel and channel where ``mask`` (broadcastable, 0/1) is 1."""
    mask = tf.broadcast_to(mask, tf.shape(a[..., :1]))
    return tf.reduce_sum(tf.abs(a - b) * mask) / (tf.reduce_sum(mask) * 3.0 + 1e-6)


def _window(clip: tf.Tensor, dy: tf.Tensor, dx: tf.Tensor, size: int) -> tf.Tensor:
    """The size x size window of every frame at (dy, dx), with a static shape (XLA compiles it)."""
    return tf.slice(clip, tf.stack([0, 0, dy, dx, 0]), [-1, -1, size, size, -1])


def shift_term(ctx: StepContext) -> tf.Tensor:
    """|G(window) - G(clip) cut to the window|: a window of the clip, moved by 0-``SHIFT_MARGIN``
    px (not a multiple of the stride) and re-noised, must give the same output where it lies.

    Two things are learnt at once: texture locked to content (the same scene point gets the same
    stroke wherever the stride grid falls and whatever the sensor noise), and no frame-border
    artefacts: the window's own border runs through the clip's interior, so output that depends
    on being near an edge is penalised. Only pixels near the *clip's* border, whose reference is
    itself border output, are left out.
    """
    c = ctx.config
    stride = c.model.stride
    margin = max(stride, min(SHIFT_MARGIN, c.data.crop // 4 // stride * stride))  # small test crops
    edge = min(SHIFT_EDGE, margin // 2)
    size = c.data.crop - margin
    dy, dx = tf.unstack(tf.random.uniform([2], 0, margin + 1, tf.int32))
    window = _window(ctx.frames, dy, dx, size)
    noisy = tf.clip_by_value(window + tf.random.normal(tf.shape(window), stddev=c.data.noise), 0.0, 1.0)
    flows = _window(ctx.batch["flows"], dy, dx, size)
    moved = ctx.trainer.unroll(noisy, ctx.style, flows=flows)
    reference = _window(ctx.out, dy, dx, size)
    rows = tf.range(size) + dy
    cols = tf.range(size) + dx
    inside_rows = tf.cast((rows >= edge) & (rows < c.data.crop - edge), tf.float32)
    inside_cols = tf.cast((cols >= edge) & (cols < c.data.crop - edge), tf.float32)
    mask = inside_rows[:, None, None] * inside_cols[None, :, None]  # [size, size, 1]
    return _masked_l1(moved, reference, mask)


def noise_term(ctx: StepContext) -> tf.Tensor:
    """|G(clip + fresh noise) - G(clip as trained)|: strokes must not grow out of sensor noise."""
    moved = ctx.trainer.unroll(_renoised(ctx, ctx.frames), ctx.style, flows=ctx.batch["flows"])
    return tf.reduce_mean(tf.abs(moved - ctx.out))


def smooth_flow(batch: tf.Tensor, size: int, sigma: float, max_shift: float) -> tf.Tensor:
    """[B,size,size,2] random flows: Gaussian vectors (std ``sigma`` px) on a grid of one per
    ``FLOW_GRID_PX`` px, bilinearly interpolated, plus a global shift of up to ``max_shift`` px."""
    cells = max(2, size // FLOW_GRID_PX + 1)
    coarse = tf.random.normal(tf.stack([batch, cells, cells, 2]), stddev=sigma)
    flow = tf.image.resize(coarse, [size, size], method="bilinear")
    return flow + tf.random.uniform(tf.stack([batch, 1, 1, 2]), -max_shift, max_shift)


def flow_term(ctx: StepContext) -> tf.Tensor:
    """|G(warp(clip) + noise) - warp(G(clip))| under one smooth random flow per clip."""
    c = ctx.config
    flow = smooth_flow(tf.shape(ctx.frames)[0], c.data.crop, c.objective.flow_sigma, c.objective.flow_shift)

    def warped(clip):
        """Every frame of clips [B,T',H,W,C] warped by its clip's one flow."""
        frames, channels = clip.shape[1], clip.shape[-1]
        flat = tf.reshape(clip, [-1, c.data.crop, c.data.crop, channels])
        return tf.reshape(warp(flat, tf.repeat(flow, frames, axis=0)), tf.shape(clip))

    # the warped clip's own motion, for a carried state: each frame's flow sampled where the
    # smooth warp takes it (exact for the global shift, first-order for the smooth part)
    moved_flows = warped(ctx.batch["flows"]) if c.model.warp_state else None
    moved = ctx.trainer.unroll(_renoised(ctx, warped(ctx.frames)), ctx.style, flows=moved_flows)
    grid = tf.range(c.data.crop, dtype=tf.float32)
    x = grid[None, None, :] + flow[..., 0]
    y = grid[None, :, None] + flow[..., 1]
    low, high = float(FLOW_EDGE), float(c.data.crop - 1 - FLOW_EDGE)
    inside = tf.cast((x >= low) & (x <= high) & (y >= low) & (y <= high), tf.float32)
    return _masked_l1(moved, warped(ctx.out), inside[:, None, :, :, None])
