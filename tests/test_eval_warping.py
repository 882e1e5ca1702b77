"""Temporal warping error: ~0 for exactly shifted frames with matching outputs, grows with flicker."""

from __future__ import annotations

import numpy as np
import pytest

from edgestyle.errors import EdgestyleError
from edgestyle.evaluation.warping import flow_pairs, warping_error, warping_error_map, warping_errors

SHIFT = 4  # pixels per frame, content moves left
W, H, FRAMES = 96, 72, 6


@pytest.fixture(scope="module")
def panning():
    """Frames that are exact crops of one textured image, and a 'stylized' version cropped the same way."""
    import cv2

    rng = np.random.default_rng(3)
    world_w = W + SHIFT * FRAMES
    coarse = rng.integers(0, 256, size=(H // 6, world_w // 6, 3), dtype=np.uint8)
    world = cv2.resize(coarse, (world_w, H), interpolation=cv2.INTER_CUBIC)
    world = cv2.add(world, rng.integers(0, 30, size=world.shape, dtype=np.uint8))
    styled_world = cv2.applyColorMap(cv2.cvtColor(world, cv2.COLOR_BGR2GRAY), cv2.COLORMAP_JET)
    frames = [world[:, t * SHIFT : t * SHIFT + W].copy() for t in range(FRAMES)]
    outputs = [styled_world[:, t * SHIFT : t * SHIFT + W].copy() for t in range(FRAMES)]
    return frames, outputs, flow_pairs(frames)


def test_matching_output_of_a_pure_shift_has_near_zero_error(panning):
    frames, outputs, pairs = panning
    assert warping_error(frames, pairs) < 2e-4
    assert warping_error(outputs, pairs) < 5e-4


def test_flicker_raises_the_error(panning):
    frames, outputs, pairs = panning
    rng = np.random.default_rng(0)
    flicker = [np.clip(o.astype(int) + int(rng.integers(-40, 41)), 0, 255).astype(np.uint8) for o in outputs]
    steady = warping_error(outputs, pairs)
    assert warping_error(flicker, pairs) > 10 * steady + 1e-3
    noisy = [
        np.clip(o.astype(int) + rng.integers(-30, 31, o.shape), 0, 255).astype(np.uint8) for o in outputs
    ]
    assert warping_error(noisy, pairs) > 10 * steady


def test_error_map_is_bright_only_where_the_output_crawls(panning):
    frames, outputs, pairs = panning
    rng = np.random.default_rng(1)
    crawling = []
    for o in outputs:  # noise that does not follow the motion, in the left half only
        o = o.astype(int)
        o[:, : W // 2] += rng.integers(-30, 31, o[:, : W // 2].shape)
        crawling.append(np.clip(o, 0, 255).astype(np.uint8))
    error = warping_error_map(crawling, pairs)
    assert error.shape == (H, W) and error.dtype == np.float32
    assert error[:, 4 : W // 2 - 4].mean() > 20 * error[:, W // 2 + 4 : W - 2 * SHIFT].mean()
    assert warping_error_map(outputs, pairs).max() < 0.02  # a following output stays dark
    assert not error[:, -SHIFT:].any()  # never valid: entered the frame
    with pytest.raises(EdgestyleError, match="outputs for"):
        warping_error_map(outputs[:-1], pairs)


def test_pixels_that_enter_the_frame_are_masked_out(panning):
    _, _, pairs = panning
    for pair in pairs:
        # The last SHIFT columns of frame t were outside frame t-1: nothing to compare them with.
        assert not pair.valid[:, -SHIFT:].any()
        assert pair.valid[:, : W - 2 * SHIFT].mean() > 0.9


def test_static_output_on_moving_input_is_not_stable(panning):
    frames, outputs, pairs = panning
    frozen = [outputs[0]] * len(outputs)  # does not follow the motion: flow says it should have moved
    assert warping_error(frozen, pairs) > 10 * warping_error(outputs, pairs)


def test_length_and_size_mismatches_are_clear_errors(panning):
    frames, outputs, pairs = panning
    with pytest.raises(EdgestyleError, match="outputs for"):
        warping_errors(outputs[:-1], pairs)
    with pytest.raises(EdgestyleError, match="differs from the input"):
        warping_errors([o[:10] for o in outputs], pairs)


def test_pixels_uncovered_by_a_moving_object_are_masked_out():
    import cv2

    from edgestyle.evaluation.warping import flow_pair

    rng = np.random.default_rng(3)
    coarse = rng.integers(0, 256, size=(16, 21, 3), dtype=np.uint8)
    background = cv2.add(
        cv2.resize(coarse, (128, 96), interpolation=cv2.INTER_CUBIC),
        rng.integers(0, 30, (96, 128, 3), dtype=np.uint8),
    )
    square = cv2.GaussianBlur(rng.integers(0, 256, size=(32, 32, 3), dtype=np.uint8), (5, 5), 0)

    def frame(x: int) -> np.ndarray:
        f = background.copy()
        f[32:64, x : x + 32] = square
        return f

    pair = flow_pair(frame(30), frame(40))  # the square moves 10 px right over a still background
    assert pair.valid[34:62, 31:39].mean() < 0.2  # background it uncovered: hidden in the previous frame
    assert pair.valid[:, 90:].mean() > 0.95  # still background far from it
