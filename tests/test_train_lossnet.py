"""The perceptual loss network rebuilt from a TFLite file: faithful to the file, differentiable,
with named taps; and one clear line for files it cannot use."""

# ruff: noqa: E402
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from edgestyle.errors import EdgestyleError
from edgestyle.train.lossnet import load_feature_network, network_output

TINY = Path(__file__).parent / "data" / "tiny_features.tflite"


def _interpreter_output(path: Path, x: np.ndarray) -> np.ndarray:
    from edgestyle.runtime.interpreter import interpreter_backend

    interpreter = interpreter_backend()[1](model_path=str(path))
    interpreter.allocate_tensors()
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], x)
    interpreter.invoke()
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])


def test_float_rebuild_reproduces_the_quantized_file() -> None:
    x = np.random.default_rng(3).random((1, 64, 64, 3)).astype(np.float32)
    rebuilt = network_output(TINY)(x).numpy().ravel()
    reference = _interpreter_output(TINY, x).ravel()
    assert np.corrcoef(rebuilt, reference)[0, 1] > 0.995
    assert np.linalg.norm(rebuilt - reference) / np.linalg.norm(reference) < 0.1


def test_default_taps_are_relu_layers_at_falling_resolutions_and_a_residual_sum() -> None:
    net = load_feature_network(TINY)
    assert [net.resolutions[t] for t in net.style_taps] == [2, 4, 8, 16]
    assert net.content_tap.endswith("Add") and net.resolutions[net.content_tap] == 8
    x = tf.random.uniform([2, 64, 64, 3])
    features = net(x)
    assert set(features) == set(net.taps)
    for tap, factor in net.resolutions.items():
        assert features[tap].shape[1] == 64 // factor
        if tap in net.style_taps:
            assert float(tf.reduce_min(features[tap])) >= 0.0  # ReLU6 outputs


def test_gradients_reach_the_image_and_named_taps_can_be_chosen() -> None:
    net = load_feature_network(TINY)
    chosen = load_feature_network(TINY, style_taps=net.style_taps[:2], content_tap=net.style_taps[2])
    assert chosen.style_taps == net.style_taps[:2]
    x = tf.Variable(tf.random.uniform([1, 64, 64, 3]))
    with tf.GradientTape() as tape:
        loss = tf.add_n([tf.reduce_mean(tf.square(f)) for f in chosen(x).values()])
    grad = tape.gradient(loss, x)
    assert grad is not None and np.isfinite(grad.numpy()).all() and float(tf.reduce_max(tf.abs(grad))) > 0


def _truncated(tmp_path: Path) -> Path:
    path = tmp_path / "cut.tflite"
    path.write_bytes(TINY.read_bytes()[:400])
    return path


def _not_tflite(tmp_path: Path) -> Path:
    path = tmp_path / "photo.tflite"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    return path


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda tmp: tmp / "missing.tflite", "loss network not found"),
        (_not_tflite, "not a TFLite model"),
        (_truncated, "corrupt TFLite file"),
        (lambda tmp: Path(__file__).parent / "data" / "tiny_plain.tflite", "no usable feature layers"),
    ],
    ids=["missing", "not-tflite", "truncated", "no-feature-layers"],
)
def test_unusable_files_fail_with_one_line_naming_the_file(tmp_path, make, message) -> None:
    path = make(tmp_path)
    with pytest.raises(EdgestyleError) as caught:
        load_feature_network(path)
    text = str(caught.value)
    assert message in text and str(path) in text and "\n" not in text


def test_an_unknown_tap_name_is_refused() -> None:
    with pytest.raises(EdgestyleError, match="no layer named nope"):
        load_feature_network(TINY, style_taps=["nope"])
