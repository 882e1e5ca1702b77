"""Regenerate tiny_stateful_dev.tflite: a 32x32 recurrent, two-style, full-integer model with our contract.

The runtime's own fixture (committed, a few KB) so runtime tests need no TensorFlow: dict inputs
{frame, state_in_0, style} -> {stylized, state_out_0}, the state at stride 2 and bounded by tanh,
the style a FiLM-like bias. Every output depends on the carried state, so tests can tell a
stateful run from a stateless one.
Run: python tests/data/make_tiny_stateful_dev.py
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SIZE, STRIDE, STATE_CH, STYLE_DIM = 32, 2, 4, 2


def build():
    import keras

    frame = keras.Input((SIZE, SIZE, 3), batch_size=1, name="frame")
    state = keras.Input((SIZE // STRIDE, SIZE // STRIDE, STATE_CH), batch_size=1, name="state_in_0")
    style = keras.Input((STYLE_DIM,), batch_size=1, name="style")
    feat = keras.layers.Conv2D(8, 3, strides=STRIDE, padding="same", activation="relu")(frame)
    mixed = keras.layers.Concatenate()([feat, state])
    state_out = keras.layers.Conv2D(STATE_CH, 3, padding="same", activation="tanh", name="gru")(mixed)
    bias = keras.layers.Reshape((1, 1, 8))(keras.layers.Dense(8)(style))
    up = keras.layers.UpSampling2D(STRIDE)(keras.layers.Add()([keras.layers.Conv2D(8, 1)(state_out), bias]))
    x = keras.layers.Concatenate()([up, frame])
    stylized = keras.layers.Conv2D(3, 3, padding="same", activation="sigmoid")(x)
    return keras.Model(
        {"frame": frame, "state_in_0": state, "style": style},
        {"stylized": stylized, "state_out_0": state_out},
    )


def main() -> None:
    import numpy as np
    import tensorflow as tf

    from edgestyle.contract import ModelContract, StatePair, StyleSpec, TensorSpec, embed_contract
    from edgestyle.runtime.interpreter import TFLiteModel

    model = build()
    rng = np.random.default_rng(0)

    def samples():
        for _ in range(16):
            yield {
                "frame": rng.random((1, SIZE, SIZE, 3), np.float32),
                "state_in_0": rng.uniform(-1, 1, (1, SIZE // STRIDE, SIZE // STRIDE, STATE_CH)).astype(
                    np.float32
                ),
                "style": rng.random((1, STYLE_DIM), np.float32),
            }

    with tempfile.TemporaryDirectory() as tmp:
        model.export(tmp, format="tf_saved_model", verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(tmp)
        converter.representative_dataset = samples
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.uint8
        converter.inference_output_type = tf.uint8
        data = converter.convert()
        raw = Path(tmp) / "raw.tflite"
        raw.write_bytes(data)
        interp = TFLiteModel(raw, delegate="cpu")

    def spec(key: str, info) -> TensorSpec:
        return TensorSpec(key, list(info.shape), info.dtype.name, info.scale or None, info.zero_point)

    state_in = interp.inputs["state_in_0"]
    contract = ModelContract(
        frame_input=spec("frame", interp.inputs["frame"]),
        frame_output=spec("stylized", interp.outputs["stylized"]),
        states=[StatePair("state_in_0", "state_out_0", list(state_in.shape), state_in.dtype.name)],
        style=StyleSpec("style", STYLE_DIM, ["a", "b"], [[1.0, 0.0], [0.0, 1.0]], default="a"),
        name="tiny_stateful_dev",
        target="cpu-int8",
        stride=STRIDE,
        provenance={"made_by": "tests/data/make_tiny_stateful_dev.py", "trained": False},
    )
    out = Path(__file__).with_name("tiny_stateful_dev.tflite")
    out.write_bytes(embed_contract(data, contract))
    out.with_suffix(".json").write_text(contract.to_json() + "\n")
    for key, t in {**interp.inputs, **interp.outputs}.items():
        print(key, t.shape, t.dtype, t.scale, t.zero_point)


if __name__ == "__main__":
    main()
