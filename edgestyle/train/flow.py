"""Motion for the temporal loss: synthetic camera moves with exact flow, DIS flow for real clips, warping.

Conventions: a *backward flow* ``f_t`` for frame t maps every pixel p of frame t to where the same
scene point was in frame t-1, ``p + f_t(p)`` (x then y, in pixels). ``warp(prev, f_t)`` samples
frame t-1 there, so a perfectly stable output satisfies ``O_t == warp(O_{t-1}, f_t)`` wherever the
occlusion mask is 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class MotionRange:
    """Per-frame limits of a random camera move (a still photo becomes a short clip)."""

    shift: float = 4.0  # pixels per frame, each axis
    zoom: float = 0.02  # relative scale change per frame
    rotate: float = 1.0  # degrees per frame


def _affine(cx: float, cy: float, angle_deg: float, scale: float, tx: float, ty: float) -> np.ndarray:
    """3x3 matrix: rotate/scale about (cx, cy), then translate."""
    a = np.deg2rad(angle_deg)
    c, s = np.cos(a) * scale, np.sin(a) * scale
    return np.array(
        [[c, -s, cx - c * cx + s * cy + tx], [s, c, cy - s * cx - c * cy + ty], [0, 0, 1]], np.float64
    )


def random_camera_path(
    rng: np.random.Generator,
    image_hw: tuple[int, int],
    crop: int,
    frames: int,
    motion: MotionRange,
) -> list[np.ndarray]:
    """3x3 maps from crop pixel coordinates to image coordinates, one per frame, for a smooth move.

    The crop starts at a random place at the image's own scale (resize the image first to choose
    the zoom: rendering a downscaled view with bilinear sampling would alias and flicker), then
    drifts with a constant random velocity, zoom rate and rotation rate, so consecutive frames are
    related by an exact affine motion.
    """
    h, w = image_hw
    x0 = rng.uniform(0, max(0.0, w - crop))
    y0 = rng.uniform(0, max(0.0, h - crop))
    start = np.array([[1.0, 0, x0], [0, 1.0, y0], [0, 0, 1]], np.float64)
    vx, vy = rng.uniform(-motion.shift, motion.shift, 2)
    dzoom = rng.uniform(-motion.zoom, motion.zoom)
    drot = rng.uniform(-motion.rotate, motion.rotate)
    c = (crop - 1) / 2.0
    step = _affine(c, c, drot, 1.0 + dzoom, vx, vy)
    paths, m = [], start
    for _ in range(frames):
        paths.append(m)
        m = m @ step
    return paths


def render(image: np.ndarray, crop_to_image: np.ndarray, crop: int) -> np.ndarray:
    """The crop x crop view of ``image`` under a crop->image map (bilinear, reflected borders)."""
    import cv2

    return cv2.warpAffine(
        image,
        crop_to_image[:2].astype(np.float32),
        (crop, crop),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REFLECT_101,
    )


def exact_flow(
    prev_map: np.ndarray, cur_map: np.ndarray, crop: int, image_hw: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Backward flow from frame t (``cur_map``) to t-1 (``prev_map``) and its validity mask.

    A pixel is valid when it maps inside frame t-1 and both views see real image content (not
    the reflected border).
    """
    ys, xs = np.mgrid[0:crop, 0:crop].astype(np.float64)
    pts = np.stack([xs.ravel(), ys.ravel(), np.ones(xs.size)])
    in_image = cur_map @ pts
    in_prev = np.linalg.inv(prev_map) @ in_image
    flow = (in_prev[:2] - pts[:2]).T.reshape(crop, crop, 2)
    h, w = image_hw
    valid = (
        (in_prev[0] >= 0)
        & (in_prev[0] <= crop - 1)
        & (in_prev[1] >= 0)
        & (in_prev[1] <= crop - 1)
        & (in_image[0] >= 0)
        & (in_image[0] <= w - 1)
        & (in_image[1] >= 0)
        & (in_image[1] <= h - 1)
    )
    return flow.astype(np.float32), valid.reshape(crop, crop, 1).astype(np.float32)


def warp_numpy(image: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """Sample ``image`` at ``p + flow(p)`` (bilinear, replicated border)."""
    import cv2

    h, w = flow.shape[:2]
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return cv2.remap(
        image, xs + flow[..., 0], ys + flow[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )


def estimated_flow(cur: np.ndarray, prev: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Backward flow t -> t-1 from DIS on the input frames, and the validity mask.

    The same flow and occlusion/motion-boundary test as the evaluation's warping error
    (``edgestyle.evaluation.warping.flow_pair``), so training optimises what is measured.
    """
    from edgestyle.evaluation.warping import flow_pair

    pair = flow_pair(prev, cur)
    h, w = cur.shape[:2]
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    flow = pair.source_map - np.stack([xs, ys], axis=-1)
    return flow.astype(np.float32), pair.valid[..., None].astype(np.float32)


def warp(images, flow):
    """TensorFlow bilinear warp: ``images`` [B,H,W,C] sampled at ``p + flow(p)``; differentiable in images."""
    import tensorflow as tf

    shape = tf.shape(images)
    b, h, w = shape[0], shape[1], shape[2]
    ys, xs = tf.meshgrid(tf.range(h, dtype=tf.float32), tf.range(w, dtype=tf.float32), indexing="ij")
    x = tf.clip_by_value(xs[None] + flow[..., 0], 0.0, tf.cast(w - 1, tf.float32))
    y = tf.clip_by_value(ys[None] + flow[..., 1], 0.0, tf.cast(h - 1, tf.float32))
    x0, y0 = tf.floor(x), tf.floor(y)
    wx, wy = (x - x0)[..., None], (y - y0)[..., None]
    x0i, y0i = tf.cast(x0, tf.int32), tf.cast(y0, tf.int32)
    x1i, y1i = tf.minimum(x0i + 1, w - 1), tf.minimum(y0i + 1, h - 1)
    batch = tf.broadcast_to(tf.range(b)[:, None, None], tf.shape(x0i))

    def at(yi, xi):
        return tf.gather_nd(images, tf.stack([batch, yi, xi], axis=-1))

    top = at(y0i, x0i) * (1 - wx) + at(y0i, x1i) * wx
    bottom = at(y1i, x0i) * (1 - wx) + at(y1i, x1i) * wx
    return top * (1 - wy) + bottom * wy


def carried_state(state, flow, stride: int):
    """A recurrent state [B,H/s,W/s,C] carried along a frame's backward flow [B,H,W,2] (pixels of
    the frame): the flow averaged over each stride x stride cell and scaled to state pixels."""
    import tensorflow as tf

    coarse = tf.nn.avg_pool2d(flow, stride, stride, "VALID") / float(stride)
    return warp(state, coarse)


def burn_in_order(clip_len: int, frames: int) -> list[int]:
    """The clip's frame indices for a burn-in of ``frames`` steps that ends beside frame 0: the clip
    played backwards and forwards (4 steps of a 3-frame clip: 0 1 2 1, then the clip 0 1 2), so
    every step between two frames is a real motion of the clip, forwards or reversed."""
    period = 2 * (clip_len - 1)
    if period == 0:
        return [0] * frames
    return [min(j % period, period - j % period) for j in range(frames, 0, -1)]


def step_flow(flows, previous: int, current: int):
    """Backward flow from frame ``current`` to frame ``previous`` of clips whose flows [B,T-1,H,W,2]
    go from each frame to the one before: exact forwards, the negated flow backwards (first order)."""
    if current == previous + 1:
        return flows[:, previous]
    if current == previous - 1:
        return -flows[:, current]
    raise ValueError(f"frames {previous} and {current} are not neighbours")
