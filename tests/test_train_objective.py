"""The objective table and the texture-locking terms: what is built, what it measures."""

# ruff: noqa: E402
from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from edgestyle.train import objective
from edgestyle.train.config import config_from_dict
from edgestyle.train.consistency import sensor_noise, smooth_flow
from edgestyle.train.data import ClipOptions, clip_signature
from edgestyle.train.flow import burn_in_order, carried_state
from edgestyle.train.generator import tiny_config
from edgestyle.train.loop import Trainer


def tiny_trainer(tmp_path, **weights) -> Trainer:
    config = config_from_dict(
        {
            "model": tiny_config(),
            "data": {"clip_len": 3, "crop": 32, "batch": 2, "max_side": 96},
            "runtime": {"workers": 1},
        }
    )
    for key, value in weights.items():
        setattr(config.objective.weights, key, value)
    return Trainer(config, ["a", "b"], None, tmp_path)


def random_batch(trainer: Trainer, seed: int = 0) -> dict[str, tf.Tensor]:
    """A batch of the sampler's shape: random frames, zero flow (a still scene), all pixels valid."""
    rng = np.random.default_rng(seed)
    c = trainer.config
    batch = {}
    for key, (shape, dtype) in clip_signature(
        ClipOptions(clip_len=c.data.clip_len, crop=c.data.crop)
    ).items():
        full = (c.data.batch, *shape)
        if key in ("frames", "targets"):
            batch[key] = tf.constant(rng.random(full), tf.float32)
        elif key == "masks":
            batch[key] = tf.ones(full)
        elif key == "style":
            batch[key] = tf.constant(rng.integers(0, 2, full), tf.int32)
        else:
            batch[key] = tf.zeros(full, getattr(tf, dtype)) if key == "flows" else tf.ones(full)
    return batch


def test_terms_at_weight_zero_are_not_built_and_the_rest_are_reported(tmp_path) -> None:
    trainer = tiny_trainer(tmp_path, l2=0.0, gan=0.0, temporal_gan=0.0, noise=2.0, flow=3.0, shift=0.0)
    names = [name for term in trainer.terms for name in term.names]
    assert "l2" not in names and "gan" not in names and "shift" not in names
    assert "noise" in names and "flow" in names
    assert "content" not in names  # no style pictures: the perceptual group is unavailable
    assert trainer.d_vars == []  # no GAN term: no discriminator is trained
    losses = trainer.train_step(random_batch(trainer))
    assert {"noise", "flow", "temporal", "l1"} <= set(losses)
    assert not {"l2", "gan", "d_spatial", "d_temporal", "shift"} & set(losses)
    assert losses["noise"] > 0 and losses["flow"] > 0


def test_the_total_is_the_weighted_sum_with_the_stability_ramp(tmp_path) -> None:
    trainer = tiny_trainer(tmp_path, temporal=4.0, l1=2.0)
    trainer.config.schedule.stability_ramp, trainer.config.schedule.stability_floor = 100, 0.25
    values = {"temporal": tf.constant(1.0), "l1": tf.constant(1.0)}
    assert float(trainer.stability_scale()) == pytest.approx(0.25)
    assert float(
        objective.weighted_total(values, trainer.config.objective.weights, trainer.stability_scale())
    ) == (pytest.approx(4.0 * 0.25 + 2.0))
    trainer.step.assign(50)
    assert float(trainer.stability_scale()) == pytest.approx(0.625)
    trainer.step.assign(400)
    assert float(trainer.stability_scale()) == pytest.approx(1.0)


def test_sensor_noise_has_the_asked_strength_and_a_correlated_luminance_part() -> None:
    tf.random.set_seed(0)
    noise = sensor_noise(tf.constant([64, 1, 32, 32, 3]), 0.02, 0.02).numpy()
    assert noise.std() == pytest.approx(0.02, rel=0.05)
    channels = noise.reshape(-1, 3)
    assert np.corrcoef(channels[:, 0], channels[:, 1])[0, 1] == pytest.approx(0.5, abs=0.05)  # half shared
    horizontal = np.corrcoef(noise[:, :, :, 0:32:2].ravel(), noise[:, :, :, 1:32:2].ravel())[0, 1]
    assert horizontal == pytest.approx(0.5, abs=0.05)  # the luminance half is constant over 2x2


def test_smooth_flow_is_smooth_and_bounded() -> None:
    tf.random.set_seed(1)
    flow = smooth_flow(tf.constant(16), 128, sigma=3.0, max_shift=8.0).numpy()
    assert flow.shape == (16, 128, 128, 2)
    assert np.abs(np.diff(flow, axis=1)).max() < 0.5  # no jumps between neighbours
    spread = flow - flow.mean(axis=(1, 2), keepdims=True)
    assert 0.5 < spread.std() < 6.0  # a deformation, not only a shift
    assert np.abs(flow.mean(axis=(1, 2))).max() <= 8.0 + 3 * 3.0


def test_a_carried_state_moves_with_the_frame() -> None:
    """A global backward flow of (+8, 0) frame pixels moves a stride-4 state by two cells to the left."""
    state = np.zeros((1, 8, 8, 2), np.float32)
    state[0, :, 5] = 1.0
    flow = np.zeros((1, 32, 32, 2), np.float32)
    flow[..., 0] = 8.0  # every pixel of frame t was 8 px to the right in frame t-1
    carried = carried_state(tf.constant(state), tf.constant(flow), 4).numpy()
    assert np.allclose(carried[0, :, 3], 1.0) and carried.sum() == pytest.approx(state.sum())


def test_unroll_carries_the_state_along_the_flows_only_when_asked(tmp_path) -> None:
    trainer = tiny_trainer(tmp_path)
    batch = random_batch(trainer)
    moving = tf.fill(tf.shape(batch["flows"]), 6.0)
    plain = trainer.unroll(batch["frames"], trainer.style_input(batch), flows=moving).numpy()
    trainer.config.model.warp_state = True
    still = trainer.unroll(batch["frames"], trainer.style_input(batch), flows=batch["flows"]).numpy()
    carried = trainer.unroll(batch["frames"], trainer.style_input(batch), flows=moving).numpy()
    np.testing.assert_allclose(still, plain, atol=1e-6)  # zero flow: nothing moves
    assert np.allclose(carried[:, 0], plain[:, 0], atol=1e-6)  # the first frame has no state yet
    assert np.abs(carried[:, 1:] - plain[:, 1:]).max() > 1e-5  # an untrained model leans little on its state
    losses = trainer.train_step(batch)  # every term runs with the carried state
    assert np.isfinite(losses["g_total"])


def test_the_burn_in_plays_the_clip_back_and_forth_and_ends_beside_frame_0() -> None:
    assert burn_in_order(3, 0) == []
    assert burn_in_order(3, 2) == [2, 1]
    assert burn_in_order(3, 4) == [0, 1, 2, 1]
    assert burn_in_order(2, 3) == [1, 0, 1]


def test_a_burn_in_starts_the_clip_from_a_state_that_has_seen_it(tmp_path) -> None:
    trainer = tiny_trainer(tmp_path, noise=1.0, flow=1.0, shift=1.0)
    batch = random_batch(trainer)
    cold = trainer.unroll(batch["frames"], trainer.style_input(batch)).numpy()
    trainer.config.data.burn_in = 2
    warm = trainer.unroll(batch["frames"], trainer.style_input(batch)).numpy()
    assert np.abs(warm[:, 0] - cold[:, 0]).max() > 1e-5  # frame 0 no longer starts from zeros
    losses = trainer.train_step(batch)
    assert np.isfinite(losses["g_total"]) and {"noise", "flow", "shift"} <= set(losses)
