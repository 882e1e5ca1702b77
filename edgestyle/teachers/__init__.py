"""Per-frame teachers: the stylizations a recurrent student is distilled from (and evaluated against).

A teacher maps one RGB uint8 frame (HxWx3) to a stylized RGB uint8 frame of the same size. It has
no memory of earlier frames, so it flickers; the student learns its look plus temporal stability.
One module per kind, registered below by its spec prefix (the order help texts list them):

=============================  ====================================================================
``cartoon``, ``stylization``   built-in OpenCV filters (``opencv.py``)
``colour-transfer@STYLE.jpg``  Reinhard colour transfer to a style picture per frame, a baseline
``magenta:DIR@STYLE.jpg``      Magenta predictor + transfer pair; a bare DIR in that layout too
``MODEL.tflite``               any image-to-image LiteRT model (``tflite:FILE``); ``?range=-1,1``
a SavedModel DIR               its ``serving_default`` (``savedmodel:DIR``); imports TensorFlow
=============================  ====================================================================

Only the SavedModel teacher imports TensorFlow (when built); the rest run on a board's runtime.
Importing this package loads neither numpy nor OpenCV (the CLI's help texts come from it). A new
kind is a module with a ``build(TeacherSpec) -> Teacher`` function plus one registration.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edgestyle.teachers.registry import (
    TeacherKind,
    TeacherRegistry,
    is_magenta_dir,
    is_saved_model_dir,
    is_tflite_file,
)
from edgestyle.teachers.spec import TeacherSpec, split_spec

if TYPE_CHECKING:
    from edgestyle.teachers.base import Teacher

TEACHERS = TeacherRegistry()
# The registry: one line per kind, in the order help texts list them.
TEACHERS.register(TeacherKind("cartoon", "cartoon", "edgestyle.teachers.opencv:build_cartoon"))
TEACHERS.register(TeacherKind("toon", "toon", "edgestyle.teachers.opencv:build_toon"))
TEACHERS.register(TeacherKind("stylization", "stylization", "edgestyle.teachers.opencv:build_stylization"))
TEACHERS.register(
    TeacherKind("colour-transfer", "colour-transfer@STYLE.jpg", "edgestyle.teachers.colour_transfer:build")
)
TEACHERS.register(
    TeacherKind("magenta", "magenta:DIR@STYLE.jpg", "edgestyle.teachers.magenta:build", is_magenta_dir)
)
TEACHERS.register(TeacherKind("tflite", "MODEL.tflite", "edgestyle.teachers.tflite:build", is_tflite_file))
TEACHERS.register(
    TeacherKind("savedmodel", "a SavedModel DIR", "edgestyle.teachers.saved_model:build", is_saved_model_dir)
)


def register_teacher(kind: TeacherKind) -> TeacherKind:
    """Make ``kind`` loadable by :func:`load_teacher`, ``edgestyle train`` and ``edgestyle eval``."""
    return TEACHERS.register(kind)


def load_teacher(spec: str, style_image: str | os.PathLike | None = None) -> Teacher:
    """Build a teacher from a spec (see the module table); bad specs raise one clear line.

    ``style_image`` (``--style-image``) wins over the spec's own ``@IMAGE``.
    """
    kind, parsed = TEACHERS.resolve(str(spec))
    if style_image:
        parsed = replace(parsed, style_image=Path(style_image))
    return kind.build(parsed)


def teacher_help() -> str:
    """The teacher specs understood, for ``--help`` texts."""
    return TEACHERS.help()


def builtin_teachers() -> list[str]:
    """Teachers that are a bare name (``cartoon``, ``stylization``)."""
    return TEACHERS.builtin_names()


def teacher_style_name(spec: str) -> str:
    """The style name a lone ``--teacher SPEC`` trains under."""
    return TEACHERS.style_name(spec)


_LAZY = {
    "Teacher": "edgestyle.teachers.base",
    "TeacherFn": "edgestyle.teachers.base",
    "frame_hash": "edgestyle.teachers.base",
    "CachedTeacher": "edgestyle.teachers.cache",
}


def __getattr__(name: str) -> Any:
    """The numpy-backed names on first use, so that importing the registry stays cheap."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "TEACHERS",
    "CachedTeacher",
    "Teacher",
    "TeacherFn",
    "TeacherKind",
    "TeacherSpec",
    "builtin_teachers",
    "frame_hash",
    "load_teacher",
    "register_teacher",
    "split_spec",
    "teacher_help",
    "teacher_style_name",
]
