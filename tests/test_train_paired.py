"""The paired distribution term: a frame scores 0 against itself, a shifted copy of the teacher's
frame (the same bands and lines, elsewhere) scores far below a blurred one, and it can be descended."""

from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from edgestyle.train.paired import paired_distance  # noqa: E402


def _toon_like(size: int = 64, seed: int = 0) -> np.ndarray:
    """Flat colour blocks with dark lines between them: what a toon filter draws, in [0, 1]."""
    rng = np.random.default_rng(seed)
    blocks = rng.uniform(0.2, 1.0, (size // 16, size // 16, 3))
    image = np.kron(blocks, np.ones((16, 16, 1)))
    image[::16] = image[:, ::16] = 0.05
    return image.astype(np.float32)


def _blurred(image: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.GaussianBlur(image, (0, 0), 2.0)


def test_own_frame_scores_zero_and_position_matters_less_than_crispness() -> None:
    # shifted by a multiple of the sampling grid's strides (4 for colours): a strided sample of a
    # 16-pixel pattern shifted otherwise would see its lines in another proportion
    target = _toon_like()
    batch = tf.constant(np.stack([target, np.roll(target, (8, 12), axis=(0, 1)), _blurred(target)]))
    same, shifted, blurred = paired_distance(batch, tf.constant(np.stack([target] * 3))).numpy()
    assert same == pytest.approx(0.0, abs=1e-7)
    assert shifted < 0.5 * blurred, (shifted, blurred)


def test_descending_it_sharpens_a_blurred_frame() -> None:
    target = tf.constant(_toon_like(seed=1)[None])
    image = tf.Variable(_blurred(_toon_like(seed=1))[None])
    tf.random.set_seed(0)
    start = float(paired_distance(image, target)[0])
    optimizer = tf.keras.optimizers.Adam(0.01)
    for _ in range(60):
        with tf.GradientTape() as tape:
            value = tf.reduce_sum(paired_distance(image, target))
        optimizer.apply_gradients([(tape.gradient(value, image), image)])
    assert float(paired_distance(image, target)[0]) < 0.6 * start
