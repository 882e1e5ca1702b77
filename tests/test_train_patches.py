"""The pixel-patch style term: the same patches as the style picture score near 0, the ordering of
patch values agrees between the numpy targets and TensorFlow's patches, and it can be descended."""

from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from edgestyle.train.perceptual import FeatureExtractor, PerceptualLoss  # noqa: E402


def _tiny_extractor() -> FeatureExtractor:
    kernel = tf.constant(np.random.default_rng(0).standard_normal((3, 3, 3, 4)), tf.float32)

    def features(images: tf.Tensor) -> dict[str, tf.Tensor]:
        return {"a": tf.nn.relu(tf.nn.conv2d(images, kernel, 2, "SAME"))}

    return FeatureExtractor(features, ["a"], "a", "tiny")


def _grain(size: int, channel: int, seed: int = 0) -> np.ndarray:
    """Mid-grey with random grain in one channel only (uint8 RGB): not periodic, so a strided
    sample of its patches has the same distribution as all of them."""
    image = np.full((size, size, 3), 128.0)
    image[..., channel] += 50 * np.random.default_rng(seed).standard_normal((size, size))
    return np.clip(image, 0, 255).astype(np.uint8)


def _loss(style: np.ndarray) -> PerceptualLoss:
    return PerceptualLoss(_tiny_extractor(), [[style]], style_size=64, patch_term=True)


def test_the_style_pictures_own_patches_score_lowest_and_channels_keep_their_order() -> None:
    loss = _loss(_grain(64, channel=0))
    index = tf.zeros([1], tf.int32)

    def score(image: np.ndarray) -> float:
        return float(loss.patches(tf.constant(image[None].astype(np.float32) / 255.0), index)[0])

    same = score(_grain(64, channel=0, seed=1))
    other_channel = score(_grain(64, channel=2, seed=1))
    flat = score(np.full((64, 64, 3), 128, np.uint8))
    assert same < 0.5 * other_channel
    assert same < 0.2 * flat


def test_descending_the_term_takes_noise_towards_the_flat_painting() -> None:
    flat_painting = np.full((96, 96, 3), 90, np.uint8)
    loss = _loss(flat_painting)
    index = tf.zeros([1], tf.int32)
    image = tf.Variable(
        0.5 + 0.2 * np.random.default_rng(1).standard_normal((1, 48, 48, 3)).astype(np.float32)
    )
    start = float(loss.patches(image, index)[0])
    for _ in range(30):
        with tf.GradientTape() as tape:
            value = tf.reduce_sum(loss.patches(image, index))
        image.assign_sub(0.01 * tf.sign(tape.gradient(value, image)))
    assert float(loss.patches(image, index)[0]) < 0.5 * start


def test_the_group_reports_patches_only_when_asked() -> None:
    images = tf.fill([2, 48, 48, 3], 0.5)
    args = (images, images, tf.zeros([2], tf.int32), tf.ones([2]))
    without = PerceptualLoss(_tiny_extractor(), [[_grain(64, channel=1)]], style_size=64)
    assert without.patch_targets is None and "patches" not in without.terms(*args)
    assert "patches" in _loss(_grain(64, channel=1)).terms(*args)


def test_a_style_given_by_several_pictures_pools_them_into_one_target() -> None:
    loss = PerceptualLoss(
        _tiny_extractor(),
        [[_grain(64, 0, seed=s) for s in range(3)], [_grain(64, 1)], None],
        style_size=64,
        patch_term=True,
    )
    images = tf.fill([3, 48, 48, 3], 0.5)
    assert loss.patches(images, tf.constant([0, 1, 2])).shape == (3,)


def test_patch_weights_leave_out_styles_given_by_a_filter() -> None:
    loss = _loss(_grain(64, channel=1))
    images = tf.fill([2, 48, 48, 3], 0.5)
    args = (images, images, tf.zeros([2], tf.int32), tf.ones([2]))
    assert float(loss.terms(*args)["patches"]) > 0
    assert float(loss.terms(*args, patch_weights=tf.zeros([2]))["patches"]) == 0
