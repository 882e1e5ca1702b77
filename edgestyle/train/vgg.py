"""VGG16 features for the perceptual (content + Gram style) losses.

``weights="imagenet"`` downloads Keras' VGG16 weights once (cached under ~/.keras); offline
machines pass a local ``.h5`` file (``--vgg-weights FILE.h5``); tests use ``None`` (random
weights: the loss path runs, the numbers mean nothing).
"""

from __future__ import annotations

from pathlib import Path

from edgestyle.errors import EdgestyleError

STYLE_LAYERS = ("block1_conv2", "block2_conv2", "block3_conv3")
CONTENT_LAYER = "block3_conv3"
_BGR_MEAN = (103.939, 116.779, 123.68)


def build_vgg_features(weights: str | None = "imagenet"):
    """A frozen model: RGB in [0, 1] -> {layer name: features} for the style and content layers."""
    import keras
    import tensorflow as tf

    if weights not in (None, "imagenet") and not Path(weights).is_file():
        raise EdgestyleError(f"VGG16 weights file not found: {weights}")
    try:
        vgg = keras.applications.VGG16(include_top=False, weights=weights, input_shape=(None, None, 3))
    except Exception as exc:  # download failure or a wrong .h5
        hint = "; pass --vgg-weights FILE.h5 (VGG16 notop)" if weights == "imagenet" else ""
        raise EdgestyleError(
            f"cannot load VGG16 weights {weights!r}: {str(exc).splitlines()[0]}{hint}"
        ) from None
    vgg.trainable = False
    names = sorted(set(STYLE_LAYERS) | {CONTENT_LAYER})
    features = keras.Model(vgg.input, {n: vgg.get_layer(n).output for n in names}, name="vgg16_features")
    features.trainable = False
    mean = tf.constant(_BGR_MEAN, tf.float32)

    def extract(rgb01):
        bgr = tf.reverse(rgb01, axis=[-1]) * 255.0 - mean  # keras' "caffe" preprocessing
        return features(bgr, training=False)

    return extract
