"""Styles to train: a name plus either a teacher (distillation) or a style image (perceptual mode).

On the command line a style is ``NAME=SPEC``: SPEC is a teacher spec (``cartoon``, ``model.tflite``,
``magenta:DIR@STYLE.jpg``, ...: :mod:`edgestyle.teachers`) or an image file (perceptual mode).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edgestyle.errors import EdgestyleError
from edgestyle.runtime.video_io import IMAGE_SUFFIXES

NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


@dataclass
class StyleSource:
    name: str
    teacher: str | None = None  # teacher spec (distillation)
    style_image: str | None = None  # image path (perceptual mode, or the Magenta teacher's style)

    def describe(self) -> str:
        return self.teacher or f"style image {self.style_image}"


VARIANT_MARK = "~"  # variant styles are named "<painting>~<k>" and are not saved as named styles
TRAINING_ONLY_PREFIX = "_"  # --style _NAME=SPEC: drawn in training, not saved as a named style


def is_named_style(name: str) -> bool:
    """Whether a style of the run becomes a named style of the model. Colour variants and
    ``_``-prefixed styles (e.g. extra pictures that teach a code-conditioned model the code -> look
    mapping) are training material: a user picks them by ``--style-image``, not by name."""
    return VARIANT_MARK not in name and not name.startswith(TRAINING_ONLY_PREFIX)


def parse_style(text: str) -> StyleSource:
    """``NAME=SPEC`` -> StyleSource; image files mean perceptual mode, anything else is a teacher."""
    if "=" not in text:
        raise EdgestyleError(f"--style {text!r} must look like NAME=SPEC (e.g. cartoon=cartoon)")
    name, spec = (part.strip() for part in text.split("=", 1))
    if not NAME.match(name):
        raise EdgestyleError(f"style name {name!r} may only use letters, digits, '_', '-' and '.'")
    if spec.startswith("image:"):
        return StyleSource(name, style_image=spec.removeprefix("image:"))
    if "@" not in spec and Path(spec).suffix.lower() in IMAGE_SUFFIXES:
        return StyleSource(name, style_image=spec)
    return StyleSource(name, teacher=spec, style_image=_teacher_style_image(spec))


def _teacher_style_image(spec: str) -> str | None:
    """The ``@IMAGE`` of a teacher spec such as ``magenta:DIR@IMAGE`` (its style image)."""
    from edgestyle.teachers import split_spec

    return split_spec(spec)[1]


def collect_styles(styles: list[str], teacher: str | None, style_image: str | None) -> list[StyleSource]:
    """The styles of a run from ``--style`` items and the single-style shortcuts."""
    out = [parse_style(s) for s in styles]
    if teacher:
        from edgestyle.teachers import teacher_style_name

        out.append(StyleSource(teacher_style_name(teacher), teacher=teacher, style_image=style_image))
    elif style_image:
        out.append(StyleSource(Path(style_image).stem, style_image=style_image))
    if not out:
        raise EdgestyleError("no style given: use --teacher SPEC, --style-image IMAGE or --style NAME=SPEC")
    names = [s.name for s in out]
    if len(set(names)) != len(names):
        raise EdgestyleError(f"style names must be unique, got {names}")
    if not any(is_named_style(name) for name in names):
        raise EdgestyleError("every style is training-only (named _...): the model needs one named style")
    return out


def initial_vectors(features: list[np.ndarray | None], dim: int, seed: int) -> np.ndarray:
    """Starting style vectors [S, dim]: a fixed random projection of CNN style features where a style
    has them (Magenta's style-predictor bottleneck), random otherwise; unit variance either way.
    The vectors are then learned with the generator."""
    rng = np.random.default_rng(seed + 7)
    out = []
    for feat in features:
        if feat is not None and feat.size:
            projection = np.random.default_rng(seed + 11).normal(size=(feat.size, dim))
            v = (feat.ravel() - feat.mean()) @ projection
        else:
            v = rng.normal(size=dim)
        out.append(v / (v.std() + 1e-8))
    return np.asarray(out, np.float32).reshape(len(features), dim)


# -- style codes (code-conditioned models) ---------------------------------------------------------


def picture_views(rgb: np.ndarray, count: int, rng: np.random.Generator) -> list[np.ndarray]:
    """The whole picture, then ``count - 1`` random square crops (half to all of its short side,
    sometimes mirrored): the style code of one painting varies with what the predictor sees, and
    training on that spread teaches the generator the code -> look mapping, not one code."""
    h, w = rgb.shape[:2]
    views = [rgb]
    for _ in range(max(0, count - 1)):
        side = int(min(h, w) * rng.uniform(0.5, 1.0))
        y, x = int(rng.integers(0, h - side + 1)), int(rng.integers(0, w - side + 1))
        view = rgb[y : y + side, x : x + side]
        views.append(np.ascontiguousarray(view[:, ::-1] if rng.random() < 0.5 else view))
    return views


def colour_variant(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The same painting with its palette moved: hue rotated by 40-320 degrees, saturation scaled
    0.7-1.3x. Strokes and composition stay; palette and code change, so a code-conditioned
    generator learns to follow the palette a code describes instead of memorising three."""
    import cv2

    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV).astype(np.int32)
    hsv[..., 0] = (hsv[..., 0] + int(rng.uniform(20, 160))) % 180  # OpenCV hue is 0-179
    hsv[..., 1] = np.clip(hsv[..., 1] * rng.uniform(0.7, 1.3), 0, 255)
    return cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2RGB)


def style_codes(predictor, pictures: list[np.ndarray], views: int, seed: int) -> np.ndarray:
    """[V, D] codes of ``views`` views spread over ``pictures`` (a painting, or a filter's outputs)."""
    rng = np.random.default_rng(seed)
    per_picture = max(1, -(-views // len(pictures)))
    codes = [
        predictor.code(view) for picture in pictures for view in picture_views(picture, per_picture, rng)
    ]
    return np.stack(codes[: max(views, len(pictures))]).astype(np.float32)
