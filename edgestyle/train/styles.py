"""Styles to train: a name plus either a teacher (distillation) or a style image (perceptual mode).

On the command line a style is ``NAME=SPEC``: SPEC is a teacher spec (``cartoon``, ``stylization``,
``model.tflite``, a SavedModel dir, ``magenta:DIR@STYLE.jpg``) or an image file (perceptual mode).
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
    return StyleSource(name, teacher=spec)


def collect_styles(styles: list[str], teacher: str | None, style_image: str | None) -> list[StyleSource]:
    """The styles of a run from ``--style`` items and the single-style shortcuts."""
    out = [parse_style(s) for s in styles]
    if teacher:
        name = (
            Path(teacher.split("@")[0].removeprefix("magenta:")).stem
            if teacher not in ("cartoon", "stylization")
            else teacher
        )
        out.append(StyleSource(name or "style", teacher=teacher, style_image=style_image))
    elif style_image:
        out.append(StyleSource(Path(style_image).stem, style_image=style_image))
    if not out:
        raise EdgestyleError("no style given: use --teacher SPEC, --style-image IMAGE or --style NAME=SPEC")
    names = [s.name for s in out]
    if len(set(names)) != len(names):
        raise EdgestyleError(f"style names must be unique, got {names}")
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
