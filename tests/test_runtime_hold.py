"""The output hold: shown frames stay within ``levels`` of the model's output and stop crawling."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from edgestyle.errors import EdgestyleError
from edgestyle.runtime.hold import DEFAULT_LEVELS, OutputHold
from edgestyle.runtime.stylizer import Stylizer
from edgestyle.synthetic import moving_scene

DEV_MODEL = Path(__file__).parent / "data" / "tiny_stateful_dev.tflite"


def test_small_changes_are_held_and_large_ones_pass_less_the_band():
    rng = np.random.default_rng(0)
    base = rng.integers(10, 240, (8, 8, 3)).astype(np.uint8)
    hold = OutputHold(3)
    assert np.array_equal(hold(base), base)  # the first frame is shown as it is
    jitter = (base.astype(int) + rng.integers(-3, 4, base.shape)).astype(np.uint8)
    assert np.array_equal(hold(jitter), base)  # rounding-sized flips: nothing moves
    jump = base.copy()
    jump[0, 0] = [250, 0, 128]
    shown = hold(jump)
    expected = np.clip(jump.astype(int) - np.sign(jump.astype(int) - base) * 3, 0, 255)
    changed = np.abs(jump.astype(int) - base) > 3
    assert np.array_equal(shown[changed], expected[changed].astype(np.uint8))
    assert np.abs(shown.astype(int) - jump).max() <= 3


def test_the_shown_frame_never_leaves_the_band_and_saturates_safely():
    rng = np.random.default_rng(1)
    hold = OutputHold(5)
    for _ in range(30):
        frame = rng.integers(0, 256, (6, 10, 3)).astype(np.uint8)
        frame[0] = 0
        frame[1] = 255
        assert np.abs(hold(frame).astype(int) - frame).max() <= 5


def test_zero_levels_and_reset_show_the_output_as_it_is():
    frame = np.full((4, 4, 3), 100, np.uint8)
    off = OutputHold(0)
    assert off(frame) is frame
    hold = OutputHold(3)
    hold(frame)
    hold.reset()
    nudged = frame + 2
    assert np.array_equal(hold(nudged), nudged)


def test_the_stylizer_holds_our_models_and_leaves_plain_ones(tiny_plain_tflite):
    assert Stylizer(DEV_MODEL).output_hold.levels == DEFAULT_LEVELS
    assert Stylizer(DEV_MODEL, hold=0).output_hold.levels == 0
    assert Stylizer(tiny_plain_tflite).output_hold.levels == 0
    with pytest.raises(EdgestyleError, match="the output hold must be a number from 0 to 32"):
        Stylizer(DEV_MODEL, hold=40)


def test_a_noisy_still_scene_crawls_less_and_stays_within_the_band():
    """A real int8 model on one frame plus fresh sensor noise each time (a camera on a wall)."""
    still = cv2.cvtColor(moving_scene(1, 32, 32, seed=3)[0], cv2.COLOR_BGR2RGB)
    rng = np.random.default_rng(2)
    noisy = [np.clip(still + rng.normal(0, 3, still.shape), 0, 255).astype(np.uint8) for _ in range(12)]
    # The stabilizer off: this is about the hold alone (tests/test_runtime_stabilize.py has its own).
    raw_model = Stylizer(DEV_MODEL, style="a", hold=0, stabilize=0)
    held_model = Stylizer(DEV_MODEL, style="a", stabilize=0)
    raw = [raw_model.step(f) for f in noisy]
    held = [held_model.step(f) for f in noisy]
    for r, h in zip(raw, held, strict=True):
        assert np.abs(r.astype(int) - h).max() <= DEFAULT_LEVELS

    def crawl(frames):
        return np.mean(
            [np.abs(b.astype(int) - a).mean() for a, b in zip(frames[:-1], frames[1:], strict=True)]
        )

    assert crawl(raw) > 0 and crawl(held) < 0.5 * crawl(raw)
