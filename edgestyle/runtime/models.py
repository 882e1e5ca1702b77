"""Find the model to run when the user names none: the default shipped in the repo's ``models/``.

One function so ``edgestyle run``, ``edgestyle stylize`` and the demo agree on what "the default
model" is: ``models/default`` (a symlink or a one-line text file holding a path relative to
``models/``) wins, else the first ``models/*/*_int8.tflite`` by name.
"""

from __future__ import annotations

import os
from pathlib import Path

from edgestyle.errors import EdgestyleError

PACKAGE_ROOT = Path(__file__).resolve().parents[2]


def models_dirs() -> list[Path]:
    """Where shipped models live: ``./models`` (the working directory) and the repo checkout's."""
    dirs = [Path.cwd() / "models", PACKAGE_ROOT / "models"]
    return [
        d for i, d in enumerate(dirs) if d.is_dir() and d.resolve() not in {x.resolve() for x in dirs[:i]}
    ]


def _from_pointer(models: Path) -> Path | None:
    pointer = models / "default"
    if pointer.is_symlink() or pointer.is_dir():
        target = pointer.resolve()
        if target.is_dir():
            found = sorted(target.glob("*_int8.tflite")) or sorted(target.glob("*.tflite"))
            return found[0] if found else None
        return target if target.is_file() else None
    if pointer.is_file():
        target = (models / pointer.read_text().strip()).resolve()
        return target if target.is_file() else None
    return None


def _input_side(path: Path) -> int | None:
    from edgestyle.contract import load_contract

    try:
        contract = load_contract(path)
    except EdgestyleError:
        return None
    return contract.frame_input.height if contract else None


def default_model_path(pattern: str = "*_int8.tflite", prefer_size: int | None = None) -> Path:
    """The default model, or one clear error telling the user to pass ``--model``.

    A board profile narrows the choice: ``pattern`` picks the variant (``*_edgetpu.tflite``) and
    ``prefer_size`` the input size among several shipped models.
    """
    for models in models_dirs():
        candidates = sorted(models.glob(f"*/{pattern}"))
        if prefer_size:
            sized = [p for p in candidates if _input_side(p) == prefer_size]
            if sized:
                return sized[0]
        pointed = _from_pointer(models) if pattern == "*_int8.tflite" else None
        found = pointed or next(iter(candidates), None)
        if found is not None:
            return found
    raise EdgestyleError(f"no --model given and no default model in models/ (expected models/*/{pattern})")


def resolve_model(
    model: str | os.PathLike | None, pattern: str = "*_int8.tflite", prefer_size: int | None = None
) -> Path:
    """The user's ``--model`` if given (it must exist), else the shipped default."""
    if model is None or str(model) == "":
        return default_model_path(pattern, prefer_size)
    path = Path(model)
    if path.is_dir():  # a model folder: take its int8 model, as the convert command names it
        found = sorted(path.glob("*_int8.tflite")) or sorted(path.glob("*.tflite"))
        if not found:
            raise EdgestyleError(f"no .tflite model in folder: {path}")
        return found[0]
    if not path.is_file():
        raise EdgestyleError(f"model file not found: {path}")
    return path
