"""The motion-compensated stabilizer: texture travels with the picture, uncovered content shows at once."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from edgestyle.contract import embed_contract, read_embedded_contract
from edgestyle.errors import EdgestyleError
from edgestyle.evaluation.warping import flow_pairs, warping_error
from edgestyle.runtime.stabilize import (
    DEFAULT_STRENGTH,
    FINE_FLOW,
    LIGHT_FLOW,
    FlowSetting,
    MotionStabilizer,
    MotionTracker,
)
from edgestyle.runtime.stylizer import Stylizer
from edgestyle.synthetic import moving_scene

DEV_MODEL = Path(__file__).parent / "data" / "tiny_stateful_dev.tflite"


def _swimming_texture(frames: list[np.ndarray], seed: int = 0) -> list[np.ndarray]:
    """A stand-in generator whose strokes do not follow motion: the frame plus fresh blotches each time."""
    rng = np.random.default_rng(seed)
    out = []
    for frame in frames:
        blotches = cv2.GaussianBlur(rng.normal(0, 40, frame.shape).astype(np.float32), (0, 0), 2)
        out.append(np.clip(frame.astype(np.float32) + blotches, 0, 255).astype(np.uint8))
    return out


def test_swimming_texture_on_a_panning_scene_flickers_far_less():
    frames = moving_scene(16, 96, 96, seed=1)
    outputs = _swimming_texture(frames)
    stabilizer = MotionStabilizer()
    shown = [stabilizer(cv2.cvtColor(f, cv2.COLOR_BGR2RGB), o) for f, o in zip(frames, outputs, strict=True)]
    pairs = flow_pairs(frames)
    raw, steady = warping_error(outputs, pairs), warping_error(shown, pairs)
    assert steady < 0.5 * raw
    assert all(s.dtype == np.uint8 and s.shape == o.shape for s, o in zip(shown, outputs, strict=True))


def test_uncovered_content_shows_the_new_output_without_trails():
    """Wherever the carried input misses the new input, the new output shows as it is."""
    first, second = np.full((64, 64, 3), 40, np.uint8), moving_scene(1, 64, 64, seed=9)[0]
    stabilizer = MotionStabilizer(0.9)
    stabilizer(first, np.full((64, 64, 3), 20, np.uint8))
    new_output = np.full((64, 64, 3), 230, np.uint8)
    shown = stabilizer(second, new_output)
    uncovered = np.abs(cv2.cvtColor(second, cv2.COLOR_RGB2GRAY).astype(int) - 40) > 40
    assert uncovered.mean() > 0.3
    assert np.abs(shown[uncovered].astype(int) - 230).max() <= 1
    matching = ~uncovered & (np.abs(cv2.cvtColor(second, cv2.COLOR_RGB2GRAY).astype(int) - 40) < 2)
    if matching.any():  # where the input agrees, history is carried: 0.9 of the old 20
        assert np.abs(shown[matching].astype(int) - (0.9 * 20 + 0.1 * 230)).max() <= 12


def test_a_still_picture_keeps_showing_the_model_output_without_drifting():
    still = moving_scene(1, 64, 64, seed=4)[0]
    output = cv2.GaussianBlur(still, (0, 0), 1)
    stabilizer = MotionStabilizer()
    for _ in range(10):
        shown = stabilizer(still, output)
    assert np.abs(shown.astype(int) - output).mean() < 1.0


def test_strength_zero_tiny_frames_and_reset_pass_the_output_as_it_is():
    frame = np.full((32, 32, 3), 100, np.uint8)
    off = MotionStabilizer(0.0)
    assert off(frame, frame) is frame
    tiny = np.zeros((8, 8, 3), np.uint8)
    assert MotionStabilizer()(tiny, tiny) is tiny
    stabilizer = MotionStabilizer()
    stabilizer(frame, frame)
    stabilizer.reset()
    other = frame + 50
    assert np.array_equal(stabilizer(frame, other), other)


def test_the_stylizer_stabilizes_our_models_and_leaves_plain_ones(tiny_plain_tflite):
    assert Stylizer(DEV_MODEL).stabilizer.strength == DEFAULT_STRENGTH
    assert Stylizer(DEV_MODEL, stabilize=0).stabilizer.strength == 0
    assert Stylizer(tiny_plain_tflite).stabilizer.strength == 0
    assert Stylizer(tiny_plain_tflite, stabilize=0.5).stabilizer.strength == 0.5
    with pytest.raises(EdgestyleError, match="the stabilizer strength must be a number from 0 to 0.9"):
        Stylizer(DEV_MODEL, stabilize=1.5)


def test_a_scene_cut_resets_the_carried_frame():
    stylizer = Stylizer(DEV_MODEL, style="a")
    frames = moving_scene(3, 32, 32, seed=5)
    for frame in frames:
        stylizer.process(frame)
    assert stylizer.stabilizer._shown is not None
    stylizer.reset()
    assert stylizer.stabilizer._shown is None


@pytest.mark.parametrize("flow", [FINE_FLOW, LIGHT_FLOW, FlowSetting("medium", 0.5)], ids=str)
def test_the_tracker_says_where_each_pixel_was_on_the_frame_and_on_a_coarser_grid(flow):
    scene = moving_scene(1, 320, 320, seed=3)[0]
    tracker = MotionTracker(flow)
    tracker.update(np.ascontiguousarray(scene[32:160, 40:168]), 128, 128)
    assert tracker.source is None and tracker.source_at(32, 32) is None  # no motion before a second frame
    tracker.update(np.ascontiguousarray(scene[32:160, 32:160]), 128, 128)  # the view moves 8 px left
    flow = tracker.source - np.stack(np.meshgrid(np.arange(128), np.arange(128)), axis=-1)
    assert np.median(flow[..., 0]) == pytest.approx(-8.0, abs=0.5)  # each pixel was 8 px further left
    assert np.median(flow[..., 1]) == pytest.approx(0.0, abs=0.5)
    coarse = tracker.source_at(32, 32) - np.stack(np.meshgrid(np.arange(32), np.arange(32)), axis=-1)
    assert np.median(coarse[..., 0]) == pytest.approx(-2.0, abs=0.15)  # 8 px is 2 cells of 4 px
    tracker.reset()
    assert tracker.source is None


def test_the_stabilizer_measures_motion_with_the_fine_flow_unless_told_otherwise():
    """Full-size DIS 'fast' by default: on real clips it leaves 6-43% less flicker than the light
    flow under an independent flow (benchmarks/stabilizer_flow.py); the light one stays for slow CPUs."""
    assert MotionStabilizer().motion.flow == FINE_FLOW == FlowSetting("fast", 1.0)
    assert Stylizer(DEV_MODEL).stabilizer.motion.flow == FINE_FLOW
    assert MotionStabilizer(flow=LIGHT_FLOW).motion.flow == LIGHT_FLOW
    assert Stylizer(DEV_MODEL, stabilize_flow="light").stabilizer.motion.flow == LIGHT_FLOW
    with pytest.raises(EdgestyleError, match="the stabilizer flow must be one of fine, light, not 'slow'"):
        Stylizer(DEV_MODEL, stabilize_flow="slow")


def _with_warp_state(tmp_path: Path) -> Path:
    """The dev model with a contract that asks for its state to be carried along the motion."""
    data = DEV_MODEL.read_bytes()
    contract = read_embedded_contract(data)
    contract.warp_state = True
    path = tmp_path / "warped_state.tflite"
    path.write_bytes(embed_contract(data, contract))
    return path


def test_a_warp_state_model_gets_its_state_carried_along_the_motion(tmp_path):
    raw = {"style": "a", "stabilize": 0, "hold": 0}  # the model's own outputs
    plain, warped = Stylizer(DEV_MODEL, **raw), Stylizer(_with_warp_state(tmp_path), **raw)
    assert warped.contract.warp_state and not plain.contract.warp_state
    scene = moving_scene(1, 96, 96, seed=6)[0]
    first, second = np.ascontiguousarray(scene[16:48, 24:56]), np.ascontiguousarray(scene[16:48, 16:48])
    for stylizer in (plain, warped):
        stylizer.step(first)
    np.testing.assert_array_equal(warped._states[0], plain._states[0])  # one frame: nothing moved yet
    state = plain._states[0]
    carried = warped._links[0].moved(state, _tracked(first, second).source_at(*state.shape[1:3]))
    assert not np.array_equal(carried, plain._states[0])
    plain._states = [carried]  # what the warp_state model should run on
    np.testing.assert_array_equal(warped.step(second), plain.step(second))
    assert warped.stabilizer.motion.source is not None  # tracked even with the stabilizer off


def _tracked(*frames: np.ndarray) -> MotionTracker:
    tracker = MotionTracker()
    for frame in frames:
        tracker.update(frame, *frame.shape[:2])
    return tracker
