"""Losses and flow: the temporal loss separates a stable pair from a flickering one; GAN pair signs."""

# ruff: noqa: E402
from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from edgestyle.synthetic import moving_scene
from edgestyle.train import losses
from edgestyle.train.flow import MotionRange, exact_flow, random_camera_path, render, warp, warp_numpy


def _moving_pair(seed: int = 0, crop: int = 64):
    """Two frames of a smooth scene under an exact synthetic camera move, with flow and mask."""
    rng = np.random.default_rng(seed)
    image = np.ascontiguousarray(moving_scene(frames=1, width=160, height=120, seed=seed)[0])
    import cv2

    image = cv2.GaussianBlur(image, (0, 0), 1.5)  # band-limited, so bilinear resampling is near exact
    maps = random_camera_path(rng, image.shape[:2], crop, 2, MotionRange(shift=3, zoom=0.02, rotate=1))
    frames = [render(image, m, crop).astype(np.float32) / 255 for m in maps]
    flow, mask = exact_flow(maps[0], maps[1], crop, image.shape[:2])
    return frames, flow, mask


def _clip(frames, flow, mask):
    outputs = tf.constant(np.stack(frames)[None])
    return outputs, tf.constant(flow[None, None]), tf.constant(mask[None, None])


def test_temporal_loss_is_near_zero_for_a_perfectly_warped_pair_and_positive_for_flicker() -> None:
    frames, flow, mask = _moving_pair()
    assert mask.mean() > 0.5
    stable = float(losses.temporal_loss(*_clip(frames, flow, mask)))
    rng = np.random.default_rng(1)
    flicker = [
        frames[0],
        np.clip(frames[1] + rng.normal(0, 0.05, frames[1].shape) + 0.05, 0, 1).astype(np.float32),
    ]
    flickering = float(losses.temporal_loss(*_clip(flicker, flow, mask)))
    unwarped = float(losses.temporal_loss(*_clip(frames, np.zeros_like(flow), mask)))
    assert stable < 0.01
    assert flickering > 5 * stable and flickering > 0.03
    assert unwarped > 2 * stable  # ignoring the motion would be wrong too


def test_tensorflow_warp_matches_opencv_remap() -> None:
    frames, flow, _ = _moving_pair(seed=2)
    ours = warp(tf.constant(frames[0][None]), tf.constant(flow[None])).numpy()[0]
    theirs = warp_numpy(frames[0], flow)
    assert np.abs(ours - theirs)[4:-4, 4:-4].max() < 0.01


def test_gan_pair_has_the_right_signs() -> None:
    confident_real, confident_fake = tf.fill([2, 4, 4, 1], 8.0), tf.fill([2, 4, 4, 1], -8.0)
    assert float(losses.d_loss(confident_real, confident_fake)) < 0.01
    assert float(losses.d_loss(confident_fake, confident_real)) > 10
    assert float(losses.g_loss(confident_real)) < float(losses.g_loss(confident_fake))
    # a zero weight removes a sample from the mean
    per = tf.constant([[1.0], [3.0]])
    assert float(losses.l1(per, tf.zeros_like(per), tf.constant([0.0, 1.0]))) == pytest.approx(3.0)


def test_tv_and_gram() -> None:
    flat = tf.fill([1, 8, 8, 3], 0.5)
    noisy = flat + tf.random.stateless_uniform([1, 8, 8, 3], seed=[1, 2], minval=-0.2, maxval=0.2)
    assert float(losses.tv_loss(flat)) == 0.0 and float(losses.tv_loss(noisy)) > 0.05
    g = losses.gram(tf.ones([2, 4, 4, 5]))
    assert g.shape == (2, 5, 5) and np.allclose(g.numpy(), 1.0)


def test_l2_prefers_the_mean_where_l1_prefers_the_median() -> None:
    """Two teacher samples, 0 and 1, for the same input: L2 is lowest at 0.5, L1 is flat between them."""
    targets = tf.constant([[0.0], [1.0]])
    at_mean, at_mode = tf.fill([2, 1], 0.5), tf.constant([[0.0], [0.0]])
    assert float(losses.l2(at_mean, targets)) == pytest.approx(0.25)
    assert float(losses.l2(at_mode, targets)) == pytest.approx(0.5)
    assert float(losses.l1(at_mean, targets)) == pytest.approx(float(losses.l1(at_mode, targets)))
    per = tf.constant([[1.0], [3.0]])
    assert float(losses.l2(per, tf.zeros_like(per), tf.constant([0.0, 1.0]))) == pytest.approx(9.0)
