"""What each style is conditioned and judged on: pictures for the perceptual losses, colour
variants of the paintings, and the style codes of code-conditioned models.

Kept apart from ``run.py`` so the training entry point reads as a sequence of steps.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from edgestyle.train.config import TrainConfig
from edgestyle.train.styles import VARIANT_MARK, StyleSource, colour_variant, is_named_style, style_codes


def with_colour_variants(
    styles: list[StyleSource], pictures: dict[int, list[np.ndarray]], count: int, seed: int
) -> tuple[list[StyleSource], dict[int, list[np.ndarray]]]:
    """Append ``count`` palette-shifted copies of every style that has a picture (perceptual
    terms only, no teacher): many palettes with one set of strokes each, so the code -> look
    mapping generalises to paintings never seen."""
    if count <= 0:
        return styles, pictures
    rng = np.random.default_rng(seed + 101)
    out, images = list(styles), dict(pictures)
    for index, style in enumerate(styles):
        if index not in pictures or VARIANT_MARK in style.name:
            continue
        for k in range(count):
            images[len(out)] = [colour_variant(p, rng) for p in pictures[index]]
            out.append(replace(style, name=f"{style.name}{VARIANT_MARK}{k}", teacher=None))
    return out, images


def teacher_pictures(target, count: int) -> list[np.ndarray]:
    """``count`` of a teacher's outputs on the training stills, spread over them: the "picture" of
    a style that has none (a filter such as the cartoon teacher)."""
    stills = target.stills or []
    if not stills or count <= 0:
        return []
    picks = np.linspace(0, len(stills) - 1, min(count, len(stills))).round().astype(int)
    return [stills[i] for i in picks]


def perceptual_pictures(
    pictures: dict[int, list[np.ndarray]], targets: list[Any], config: TrainConfig
) -> dict[int, list[np.ndarray]]:
    """Per style, what its perceptual terms compare with: its own picture, else (when
    ``teacher_pictures`` > 0) some of its teacher's outputs; styles with neither get none."""
    out = dict(pictures)
    for index, target in enumerate(targets):
        if index not in out and (from_teacher := teacher_pictures(target, config.data.teacher_pictures)):
            target.perceptual_images = from_teacher
            out[index] = from_teacher
    return out


def attach_codes(
    names: list[str], targets: list[Any], pictures: dict[int, list[np.ndarray]], config: TrainConfig
) -> dict[str, list[float]]:
    """Give every style the codes of ``style_views`` views of its pictures (what training draws
    from) and return the named styles' codes to store: the whole picture's code, as
    ``--style-image`` would compute it on a board (the mean code for a style of several pictures)."""
    from edgestyle.runtime.style_code import StylePredictor

    predictor = StylePredictor(config.data.predictor)
    stored = {}
    for index, (name, target) in enumerate(zip(names, targets, strict=True)):
        shown = pictures.get(index) or []
        if not shown:
            raise ValueError(f"style {name} has no picture or teacher output to take a style code from")
        target.codes = style_codes(predictor, shown, config.data.style_views, config.schedule.seed + index)
        if is_named_style(name):
            code = target.codes[0] if len(shown) == 1 else target.codes.mean(axis=0)
            stored[name] = [float(v) for v in code]
    return stored


def predictor_info(config: TrainConfig) -> dict[str, Any]:
    """What a code-conditioned model's contract records about the predictor its codes come from."""
    from edgestyle.runtime.style_code import StylePredictor, file_sha256

    predictor = StylePredictor(config.data.predictor)
    return {
        "predictor": predictor.path.name,
        "sha256": file_sha256(predictor.path),
        "input_size": predictor.size,
        "dim": predictor.dim,
    }
