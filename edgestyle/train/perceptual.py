"""Perceptual losses: content, style statistics and palette, against a style image.

Per-pixel distillation from a per-frame teacher whose fine texture crawls teaches the *average*
texture, which is blur (benchmarks/fidelity_ceiling.py). Statistics are indifferent to where a
stroke lies, so they let a stable student paint strokes of its own:

* **style**: the distribution of a frozen feature network's activations at its taps (ReLU outputs
  at 1/2-1/16), matched either by a sliced Wasserstein distance over random projections (``swd``,
  Heitz et al. 2021: the whole distribution, not just second moments, so strokes come out crisp
  rather than as a tint) or by Gram matrices (``gram``, Gatys et al.); each tap's term is
  normalised by its target's energy so layers of any size weigh alike;
* **content**: the content tap of the output against the input's, normalised the same way;
* **colour**: sliced Wasserstein distance between the output's pixel colours and the style
  image's (the painting's palette, which Gram matrices of ReLU features only loosely pin down);
* **patches**: sliced Wasserstein distance between 5x5 pixel patches, each with its mean colour
  removed, of the output and of the style image at 1/1, 1/2 and 1/4 scale (GPDM, Elnekave & Weiss
  2022). The loss network's finest tap is at 1/2 and a camera frame's sensor grain and fine edges
  pass it; a painting at frame scale is flat there, with the occasional brush mark.

Targets are computed once per style image, scaled so its short side is ``style_size`` pixels (the
scale at which its strokes should appear in frames of about that size).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from edgestyle.train import losses

COLOUR_DIRECTIONS = 16
COLOUR_QUANTILES = 256
COLOUR_STRIDE = 4
STYLE_SAMPLES = 1024  # feature vectors per style and tap for the sliced Wasserstein target (and
# at most this many output positions per image are compared)
STYLE_DIRECTIONS = 32  # random projections per tap and step
STYLE_STATS = ("swd", "gram")
PATCH = 5
PATCH_LEVELS = 3
PATCH_SAMPLES = 4096  # patches per style and level in the target
PATCH_POSITIONS = 1024  # at most this many output patches per image and level are compared
PATCH_DIRECTIONS = 32
FeatureFn = Callable[[tf.Tensor], dict[str, tf.Tensor]]


@dataclass
class FeatureExtractor:
    """A frozen network: RGB [0, 1] -> {tap: features}, with which taps mean style and content."""

    features: FeatureFn
    style_taps: list[str]
    content_tap: str
    name: str


def tflite_extractor(path: str, style_taps: list[str] | None = None, content_tap: str | None = None):
    from edgestyle.train.lossnet import load_feature_network

    net = load_feature_network(path, style_taps, content_tap)
    return FeatureExtractor(net, net.style_taps, net.content_tap, f"tflite:{path}")


def vgg_extractor(weights: str | None):
    from edgestyle.train.vgg import CONTENT_LAYER, STYLE_LAYERS, build_vgg_features

    return FeatureExtractor(
        build_vgg_features(weights), list(STYLE_LAYERS), CONTENT_LAYER, f"vgg16:{weights or 'random'}"
    )


def colour_directions(seed: int = 0) -> np.ndarray:
    """[3, K] unit directions in RGB: the three axes, luminance, then fixed random ones."""
    rng = np.random.default_rng(seed)
    fixed = [np.eye(3)[i] for i in range(3)] + [np.ones(3) / np.sqrt(3)]
    extra = rng.standard_normal((COLOUR_DIRECTIONS - len(fixed), 3))
    d = np.concatenate([np.stack(fixed), extra / np.linalg.norm(extra, axis=1, keepdims=True)])
    return d.T.astype(np.float32)


def _quantiles(values: np.ndarray, count: int) -> np.ndarray:
    """Sorted values resampled at ``count`` evenly spaced quantiles, per column."""
    q = np.linspace(0.0, 1.0, count)
    return np.stack([np.quantile(values[:, k], q) for k in range(values.shape[1])], axis=1)


def patch_rows(rgb: np.ndarray, size: int = PATCH) -> np.ndarray:
    """All size x size patches of an [H,W,3] image as rows, each with its own mean colour removed,
    ordered (y, x, channel) like ``tf.image.extract_patches``."""
    windows = np.lib.stride_tricks.sliding_window_view(rgb, (size, size), axis=(0, 1))
    rows = windows.reshape(-1, 3, size * size)
    rows = rows - rows.mean(axis=-1, keepdims=True)
    return rows.transpose(0, 2, 1).reshape(len(rows), -1)


def patch_levels(rgb: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
    """PATCH_SAMPLES mean-removed patches of the image at each of PATCH_LEVELS 2x average-pooled scales
    (the same pooling the loss applies to the outputs)."""
    levels, image = [], rgb
    for _ in range(PATCH_LEVELS):
        rows = patch_rows(image)
        levels.append(rows[rng.choice(len(rows), PATCH_SAMPLES, replace=len(rows) < PATCH_SAMPLES)])
        h, w = image.shape[0] // 2 * 2, image.shape[1] // 2 * 2
        image = image[:h, :w].reshape(h // 2, 2, w // 2, 2, 3).mean(axis=(1, 3))
    return levels


def scaled_style_image(rgb: np.ndarray, short_side: int) -> np.ndarray:
    import cv2

    h, w = rgb.shape[:2]
    f = short_side / min(h, w)
    size = (max(8, round(w * f)), max(8, round(h * f)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_CUBIC)


class PerceptualLoss:
    """Per-style targets and the loss terms; styles without a style image get zero targets (and
    zero weight in the trainer's masks)."""

    def __init__(
        self,
        extractor: FeatureExtractor,
        style_images: list[list[np.ndarray] | None],
        style_size: int = 384,
        statistic: str = "swd",
        seed: int = 0,
        patch_term: bool = False,
    ):
        """``style_images[i]``: the picture(s) of style i, pooled into one target (several for a
        style given by a filter's outputs rather than one painting); None: no perceptual terms.
        ``patch_term``: also build the pixel-patch targets (they cost start-up time and memory, so
        only when the term has a weight), and report ``patches`` from :meth:`terms`."""
        if statistic not in STYLE_STATS:
            raise ValueError(f"style statistic must be one of {STYLE_STATS}, not {statistic!r}")
        self.extractor, self.statistic = extractor, statistic
        self.directions = tf.constant(colour_directions())
        rng = np.random.default_rng(seed)
        targets: dict[str, list[np.ndarray | None]] = {t: [] for t in extractor.style_taps}
        colours: list[np.ndarray | None] = []
        patches: list[np.ndarray | None] = []
        patch_rng = np.random.default_rng([seed, 1])  # its own stream: the other targets stay as without it
        for images in style_images:
            if not images:
                colours.append(None)
                patches.append(None)
                for tap in targets:
                    targets[tap].append(None)
                continue
            scaled = [scaled_style_image(im, style_size).astype(np.float32) / 255.0 for im in images]
            feats = [extractor.features(tf.constant(im[None])) for im in scaled]
            for tap in targets:
                if statistic == "gram":
                    targets[tap].append(np.mean([losses.gram(f[tap]).numpy()[0] for f in feats], axis=0))
                else:
                    rows = np.concatenate([f[tap].numpy()[0].reshape(-1, f[tap].shape[-1]) for f in feats])
                    pick = rng.choice(len(rows), STYLE_SAMPLES, replace=len(rows) < STYLE_SAMPLES)
                    targets[tap].append(rows[pick])
            pixels = np.concatenate([im.reshape(-1, 3) for im in scaled]) @ colour_directions()
            colours.append(_quantiles(pixels, COLOUR_QUANTILES))
            if patch_term:
                per_image = [patch_levels(im, patch_rng) for im in scaled]
                pooled = [np.concatenate(level) for level in zip(*per_image, strict=True)]
                patches.append(
                    np.stack(
                        [rows[patch_rng.choice(len(rows), PATCH_SAMPLES, replace=False)] for rows in pooled]
                    )
                )
        if all(c is None for c in colours):
            raise ValueError("PerceptualLoss needs at least one style image")
        # gram: [S, C, C] per tap; swd: [S, STYLE_SAMPLES, C] feature vectors per tap
        self.style_targets = {tap: tf.constant(_stack_or_zeros(items)) for tap, items in targets.items()}
        self.energy = {  # mean squared activation of each style's features: the swd term's scale
            tap: tf.reduce_mean(tf.square(t), axis=[1, 2]) + 1e-6 for tap, t in self.style_targets.items()
        }
        self.colour_targets = tf.constant(_stack_or_zeros(colours), tf.float32)  # [S, Q, K]
        # [S, L, M, 75] mean-removed patches per style and level, or None without the patch term
        self.patch_targets = tf.constant(_stack_or_zeros(patches)) if patch_term else None

    def terms(
        self,
        outputs: tf.Tensor,
        inputs: tf.Tensor,
        style_index: tf.Tensor,
        weights: tf.Tensor,
        patch_weights: tf.Tensor | None = None,
    ):
        """{content, style, colour[, patches]} for images [N,H,W,3]; ``style_index``/``weights`` are [N];
        ``patches`` when built with ``patch_term``, weighted by ``patch_weights`` (default ``weights``)
        so it can skip styles given by a filter's outputs: a flat-shaded toon has no fine patches to
        match, and the term pushed texture into it."""
        taps = self.extractor
        out_f = taps.features(outputs)
        in_f = taps.features(inputs)
        c_out, c_in = out_f[taps.content_tap], tf.stop_gradient(in_f[taps.content_tap])
        c_err = tf.reduce_mean(tf.square(c_out - c_in), axis=[1, 2, 3])
        c_norm = tf.reduce_mean(tf.square(c_in), axis=[1, 2, 3]) + 1e-6
        style = 0.0
        for tap in taps.style_taps:
            per_image = (
                self._gram(out_f[tap], tap, style_index)
                if self.statistic == "gram"
                else (self._swd(out_f[tap], tap, style_index))
            )
            style += losses._weighted_mean(per_image, weights)
        values = {
            "content": losses._weighted_mean(c_err / c_norm, weights),
            "style": style / len(taps.style_taps),
            "colour": losses._weighted_mean(self._colour(outputs, style_index), weights),
        }
        if self.patch_targets is not None:
            patch_weights = weights if patch_weights is None else patch_weights
            values["patches"] = losses._weighted_mean(self.patches(outputs, style_index), patch_weights)
        return values

    def patches(self, images: tf.Tensor, style_index: tf.Tensor) -> tf.Tensor:
        """Per image: sliced W1 between its mean-removed 5x5 patches and the style's, averaged over
        PATCH_LEVELS scales, on fresh random directions every call (a strided grid of at most
        PATCH_POSITIONS patches per level, with a random offset, keeps the sort cheap)."""
        total = 0.0
        level = images
        for index in range(PATCH_LEVELS):
            rows = grid_patch_rows(level)
            ours, theirs = _sorted_projections(
                rows, self.patch_targets[:, index], style_index, PATCH_DIRECTIONS
            )
            total += tf.reduce_mean(tf.abs(ours - theirs), axis=[1, 2])
            level = tf.nn.avg_pool2d(level, 2, 2, "VALID")
        return total / PATCH_LEVELS

    def _gram(self, features: tf.Tensor, tap: str, style_index: tf.Tensor) -> tf.Tensor:
        target = tf.gather(self.style_targets[tap], style_index)
        err = tf.reduce_mean(tf.square(losses.gram(features) - target), axis=[1, 2])
        return err / (tf.reduce_mean(tf.square(target), axis=[1, 2]) + 1e-8)

    def _swd(self, features: tf.Tensor, tap: str, style_index: tf.Tensor) -> tf.Tensor:
        """Sliced Wasserstein (squared, per image) between the output's feature vectors and the
        style's, on fresh random directions every call, relative to the style's feature energy.

        Sorting is the cost: at most STYLE_SAMPLES output positions (a strided grid with a random
        offset) are sorted, and each style's targets are projected once per call, not per image.
        """
        features = sparse_grid(
            features, max(1, int(np.sqrt(features.shape[1] * features.shape[2] / STYLE_SAMPLES)))
        )
        n, channels = tf.shape(features)[0], features.shape[-1]
        rows = tf.reshape(features, [n, -1, channels])
        ours, theirs = _sorted_projections(rows, self.style_targets[tap], style_index, STYLE_DIRECTIONS)
        err = tf.reduce_mean(tf.square(ours - theirs), axis=[1, 2])
        return err / tf.gather(self.energy[tap], style_index)

    def _colour(self, images: tf.Tensor, style_index: tf.Tensor) -> tf.Tensor:
        """Per image: mean |sorted projections - style quantiles| over directions (sliced W1).

        Sorting every pixel cost more than the rest of a training step; one pixel in
        ``COLOUR_STRIDE``^2, on a grid with a random offset per call, estimates the same quantiles.
        """
        n = tf.shape(images)[0]
        grid = sparse_grid(images, COLOUR_STRIDE)
        pixels = tf.reshape(grid, [n, -1, 3]) @ self.directions  # [N, P, K]
        ranked = tf.sort(pixels, axis=1)
        count = ranked.shape[1] if ranked.shape[1] is not None else tf.shape(ranked)[1]
        index = tf.cast(
            tf.round(tf.linspace(0.0, tf.cast(count - 1, tf.float32), COLOUR_QUANTILES)), tf.int32
        )
        sampled = tf.gather(ranked, index, axis=1)  # [N, Q, K]
        target = tf.gather(self.colour_targets, style_index)
        return tf.reduce_mean(tf.abs(sampled - target), axis=[1, 2])


def grid_patch_rows(images: tf.Tensor) -> tf.Tensor:
    """[N,P,75]: the mean-removed 5x5 patches of each image on a strided grid with a random offset
    (one offset for the whole batch), at most about PATCH_POSITIONS per image."""
    rows = tf.image.extract_patches(images, [1, PATCH, PATCH, 1], [1, 1, 1, 1], [1, 1, 1, 1], "VALID")
    stride = max(1, int(np.ceil(np.sqrt(rows.shape[1] * rows.shape[2] / PATCH_POSITIONS))))
    rows = sparse_grid(rows, stride)
    n = tf.shape(rows)[0]
    # extract_patches orders a row (y, x, channel): remove each channel's mean over the patch
    rows = tf.reshape(rows, [n, -1, PATCH * PATCH, 3])
    return tf.reshape(rows - tf.reduce_mean(rows, axis=2, keepdims=True), [n, -1, PATCH * PATCH * 3])


def sparse_grid(images: tf.Tensor, stride: int) -> tf.Tensor:
    """Every ``stride``-th position from a random offset (all of them for stride 1): what the
    sliced distances sort, since sorting every position costs more than the rest of a step."""
    if stride == 1:
        return images
    dy, dx = tf.unstack(tf.random.uniform([2], 0, stride, tf.int32))
    return _offset_grid(images, dy, dx, stride)


def random_directions(dim: int, count: int) -> tf.Tensor:
    """[dim, count] fresh random unit vectors: the projections of one sliced distance."""
    directions = tf.random.normal([dim, count])
    return directions / tf.norm(directions, axis=0, keepdims=True)


def _sorted_projections(
    rows: tf.Tensor, targets: tf.Tensor, style_index: tf.Tensor, count: int
) -> tuple[tf.Tensor, tf.Tensor]:
    """Output rows [N,P,D] and each style's target rows [S,M,D] projected on ``count`` fresh random
    unit directions and sorted: (ours [N,P,K], the style's quantiles at the same ranks [N,P,K]).
    Each style's targets are projected once per call, not per image."""
    directions = random_directions(rows.shape[-1], count)
    ours = tf.sort(rows @ directions, axis=1)
    theirs = tf.sort(targets @ directions, axis=1)
    positions = ours.shape[1] if ours.shape[1] is not None else tf.shape(ours)[1]
    samples = targets.shape[1]
    index = tf.cast(tf.round(tf.linspace(0.0, float(samples - 1), positions)), tf.int32)
    return ours, tf.gather(tf.gather(theirs, index, axis=1), style_index)


def _offset_grid(images: tf.Tensor, dy: tf.Tensor, dx: tf.Tensor, stride: int) -> tf.Tensor:
    """Every ``stride``-th position from a random offset, wrapping at the far edge: the same count
    of positions whatever the offset, so the shape is static (XLA compiles it)."""
    return tf.roll(images, shift=[-dy, -dx], axis=[1, 2])[:, ::stride, ::stride]


def _stack_or_zeros(items: list[np.ndarray | None]) -> np.ndarray:
    shape = next(i.shape for i in items if i is not None)
    return np.stack([i if i is not None else np.zeros(shape, np.float32) for i in items]).astype(np.float32)
