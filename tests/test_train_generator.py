# ruff: noqa: E402
"""The generator's shared I/O contract, its edge budget and the model directory round trip."""

from __future__ import annotations

import keras
import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from edgestyle.errors import EdgestyleError
from edgestyle.train.generator import (
    GeneratorConfig,
    build_generator,
    deployment_generator,
    tiny_config,
    zero_states,
)
from edgestyle.train.macs import generator_cost
from edgestyle.train.model_dir import (
    load_generator_config,
    load_model_dir,
    make_untrained_model_dir,
    read_metadata,
)


@pytest.mark.parametrize("cell,n_states", [("gru", 1), ("lstm", 2)])
def test_dict_io_and_bounded_states(cell: str, n_states: int) -> None:
    config = tiny_config(cell=cell)
    model = build_generator(config)
    assert sorted(model.input) == sorted(["frame", "style"] + [f"state_in_{k}" for k in range(n_states)])
    assert sorted(model.output) == sorted(["stylized"] + [f"state_out_{k}" for k in range(n_states)])
    rng = np.random.default_rng(0)
    states = {
        k: rng.uniform(-1, 1, v.shape).astype(np.float32) for k, v in zero_states(config, 2, 16, 24).items()
    }
    for _ in range(3):  # states fed back stay bounded
        out = model(
            {"frame": rng.random((2, 16, 24, 3), np.float32), "style": rng.normal(0, 5, (2, 4)), **states}
        )
        states = {f"state_in_{k}": np.asarray(out[f"state_out_{k}"]) for k in range(n_states)}
        assert out["stylized"].shape == (2, 16, 24, 3)
        assert states["state_in_0"].shape == (2, 4, 6, config.trunk_channels)
        for s in states.values():
            assert np.abs(s).max() <= 1.0 + 1e-6
        assert 0.0 <= float(np.min(out["stylized"])) and float(np.max(out["stylized"])) <= 1.0


def test_default_fits_the_edge_budget_and_has_no_transposed_conv() -> None:
    config = GeneratorConfig()
    macs, params = generator_cost(config)
    assert 1e8 < macs <= 1.0e9
    assert params > 1000
    names = {type(layer).__name__ for layer in build_generator(config, 64, 64).layers}
    assert "Conv2DTranspose" not in names and "UpSampling2D" not in names


def test_unstyled_model_has_no_style_input() -> None:
    assert "style" not in build_generator(tiny_config(style_dim=0)).input


def test_bad_size_is_refused() -> None:
    with pytest.raises(ValueError, match="stride"):
        build_generator(tiny_config(), 30, 32)


def test_model_dir_round_trip(tmp_path) -> None:
    path = make_untrained_model_dir(tmp_path / "m", styles=("a", "b"))
    model, meta = load_model_dir(path)
    assert meta["style"]["names"] == ["a", "b"] and len(meta["style"]["vectors"][0]) == 4
    assert meta["macs_per_frame"] > 0 and (path / "saved_model" / "saved_model.pb").is_file()
    config = load_generator_config(meta)
    fixed = deployment_generator(model, config, 32, 32)
    x = np.random.default_rng(1).random((1, 32, 32, 3), np.float32)
    outs = [
        np.asarray(
            fixed({"frame": x, "style": np.array([v], np.float32), **zero_states(config, 1, 32, 32)})[
                "stylized"
            ]
        )
        for v in meta["style"]["vectors"]
    ]
    assert np.abs(outs[0] - outs[1]).mean() > 1e-3  # styles give different pictures


def test_missing_model_dir_is_one_clear_error(tmp_path) -> None:
    with pytest.raises(EdgestyleError, match="not an edgestyle model directory"):
        read_metadata(tmp_path)


@pytest.mark.parametrize("head", ["split", "concat"])
def test_every_head_starts_as_a_sharp_copy_of_the_frame(head: str) -> None:
    """Training starts from sigmoid(4x - 2) of the frame, whatever the head."""
    config = tiny_config(head=head)
    model = build_generator(config, 32, 32)
    x = np.random.default_rng(2).random((1, 32, 32, 3), np.float32)
    out = np.asarray(
        model({"frame": x, "style": np.zeros((1, 4), np.float32), **zero_states(config, 1, 32, 32)})[
            "stylized"
        ]
    )
    near_identity = 1 / (1 + np.exp(-(4 * x - 2)))
    assert np.abs(out - near_identity).mean() < 0.05
    assert np.corrcoef(out.ravel(), x.ravel())[0, 1] > 0.9


def test_split_head_keeps_full_resolution_work_to_three_channels() -> None:
    """The split head's full-resolution layers see 3 channels; the concat head's see the features too."""

    def widest_full_res_input(head: str) -> int:
        model = build_generator(tiny_config(head=head), 32, 32)
        return max(
            layer.input.shape[-1]
            for layer in model.layers
            if not isinstance(layer.input, list) and tuple(layer.input.shape[1:3]) == (32, 32)
        )

    assert widest_full_res_input("split") == 3
    assert widest_full_res_input("concat") > 3
    assert generator_cost(GeneratorConfig())[0] < generator_cost(GeneratorConfig(head="concat"))[0]


def test_model_dirs_from_before_the_head_option_load_the_concat_head() -> None:
    meta = {"generator": {k: v for k, v in tiny_config().to_dict().items() if k != "head"}}
    assert load_generator_config(meta).head == "concat"
    assert load_generator_config({"generator": tiny_config().to_dict()}).head == "split"
    with pytest.raises(ValueError, match="head"):
        tiny_config(head="pixelshuffle")


@pytest.mark.parametrize(
    "overrides",
    [{"head": "paint"}, {"head": "split", "cell": "lstm"}, {"head": "concat", "stride": 8}, {"bands": 6}],
)
def test_deployment_form_is_the_same_function(overrides) -> None:
    """Every conv over a concatenation split into a sum over its parts (for int8) must compute
    the same outputs from the same trained weights."""
    config = tiny_config(**overrides)
    model = build_generator(config)
    _randomise(model)
    deployed = deployment_generator(model, config, 32, 32, state_deadband=0.0)
    assert not [layer.name for layer in deployed.layers if isinstance(layer, keras.layers.Concatenate)]
    rng = np.random.default_rng(3)
    inputs = {
        "frame": rng.random((1, 32, 32, 3), np.float32),
        "style": rng.normal(size=(1, 4)).astype(np.float32),
        **{
            k: rng.uniform(-1, 1, v.shape).astype(np.float32)
            for k, v in zero_states(config, 1, 32, 32).items()
        },
    }
    want, got = model(inputs), deployed(inputs)
    for key in want:
        np.testing.assert_allclose(np.asarray(got[key]), np.asarray(want[key]), atol=2e-5)
    assert float(np.asarray(want["stylized"]).std()) > 0.01  # not a trivially flat picture


def _randomise(model) -> None:
    """Weights well away from the identity start, so every layer matters to the output."""
    rng = np.random.default_rng(2)
    for layer in model.layers:
        if layer.weights:
            layer.set_weights([rng.normal(0, 0.3, w.shape).astype(np.float32) for w in layer.get_weights()])


def test_activation_noise_only_in_training() -> None:
    """The int8-like noise moves the output in training, never at inference or in the export."""
    config = tiny_config(head="paint", activation_noise=1.0)
    model = build_generator(config)
    _randomise(model)
    rng = np.random.default_rng(4)
    inputs = {
        "frame": rng.random((1, 32, 32, 3), np.float32),
        "style": rng.normal(size=(1, 4)).astype(np.float32),
        **zero_states(config, 1, 32, 32),
    }
    still = [np.asarray(model(inputs, training=False)["stylized"]) for _ in range(2)]
    noisy = np.asarray(model(inputs, training=True)["stylized"])
    assert np.array_equal(still[0], still[1]) and np.abs(noisy - still[0]).mean() > 1e-4
    deployed = deployment_generator(model, config, 32, 32, state_deadband=0.0)
    assert not [layer for layer in deployed.layers if type(layer).__name__.startswith("Noisy")]
    assert [v.path for v in model.weights] == [
        v.path for v in build_generator(tiny_config(head="paint")).weights
    ]
    np.testing.assert_allclose(np.asarray(deployed(inputs)["stylized"]), still[0], atol=2e-5)
    assert config.architecture() == tiny_config(head="paint").architecture()  # resumes either way


def test_bands_put_luma_on_the_toon_staircase_without_weights_or_a_vanishing_gradient() -> None:
    """model.bands: the output's luma takes the `toon` filter's band levels, the weights (and so
    the checkpoints) are those of the model without it, and gradients pass straight through."""
    import cv2
    import tensorflow as tf

    from edgestyle.teachers.opencv import TOON_SHARPNESS, soft_staircase
    from edgestyle.train.layers import LuminanceBands

    grey = np.repeat(np.linspace(0, 1, 256, dtype=np.float32)[:, None], 3, axis=1).reshape(1, 16, 16, 3)
    banded = np.asarray(LuminanceBands(6, TOON_SHARPNESS)(grey))[0, ..., 0].ravel()
    lab = cv2.cvtColor(grey[0], cv2.COLOR_RGB2Lab)
    lab[..., 0] = soft_staircase(lab[..., 0], 6, TOON_SHARPNESS)
    toon = cv2.cvtColor(lab, cv2.COLOR_Lab2RGB)[..., 0].ravel()
    error = np.abs(banded - toon)  # (a tanh in L* is not quite a tanh in encoded luma)
    assert error.max() < 0.03 and error.mean() < 0.006
    assert np.unique(np.round(banded * 255)).size < 128  # plateaus, not a ramp

    config = tiny_config(head="paint", bands=6)
    plain = tiny_config(head="paint")
    assert config.architecture() == plain.architecture()  # resumes a checkpoint of the plain model
    model = build_generator(config)
    assert [v.path for v in model.weights] == [v.path for v in build_generator(plain).weights]
    frame = tf.constant(np.random.default_rng(5).random((1, 32, 32, 3), np.float32))
    with tf.GradientTape() as tape:
        tape.watch(frame)
        out = LuminanceBands(6, TOON_SHARPNESS)(frame)
    np.testing.assert_allclose(tape.gradient(out, frame).numpy(), 1.0)
    with pytest.raises(ValueError, match="bands"):
        tiny_config(bands=1)
