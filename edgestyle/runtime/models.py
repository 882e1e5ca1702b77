"""Find the model to run when the user names none: the default shipped in the package's ``models/``.

One function so ``edgestyle run``, ``edgestyle stylize`` and the demo agree on what "the default
model" is: the ``*_int8.tflite`` files of ``models/default/`` (a folder, a symlink, or a one-line
text file naming a path relative to ``models/``), else of any ``models/*/``; of several sizes the
largest, unless a board profile asks for its own size or variant. A style that paints better from
a file of its own (a specialist: ``models/cartoon/`` holding a model baked with ``--style cartoon``)
is served by that file when the user names that style alone and no model.
"""

from __future__ import annotations

import os
from pathlib import Path

from edgestyle.errors import EdgestyleError
from edgestyle.package_data import data_dir


def models_dirs() -> list[Path]:
    """Where shipped models live: ``./models`` (the working directory), then the package's own."""
    dirs = [Path.cwd() / "models", data_dir("models")]
    return [
        d for i, d in enumerate(dirs) if d.is_dir() and d.resolve() not in {x.resolve() for x in dirs[:i]}
    ]


def _candidates(models: Path, pattern: str) -> list[Path]:
    """Models matching ``pattern`` in the ``default`` entry if there is one, else in any subfolder."""
    pointer = models / "default"
    if pointer.is_file() and not pointer.is_symlink():  # a one-line text file naming a file or folder
        pointer = (models / pointer.read_text().strip()).resolve()
    else:
        pointer = pointer.resolve()
    if pointer.is_file():
        return [pointer] if pointer.match(pattern) else []
    if pointer.is_dir() and (found := sorted(pointer.glob(pattern))):
        return found
    return sorted(models.glob(f"*/{pattern}"))


def _contract(path: Path):
    """The model's contract, or None when it has none or cannot be read (it is then not chosen)."""
    from edgestyle.contract import load_contract

    try:
        return load_contract(path)
    except EdgestyleError:
        return None


def _input_side(path: Path) -> int | None:
    contract = _contract(path)
    return contract.frame_input.height if contract else None


def _pick(candidates: list[Path], prefer_size: int | None) -> Path:
    """The candidate whose input side is closest to ``prefer_size``, else the largest one."""
    sides = {p: _input_side(p) or 0 for p in candidates}
    if prefer_size:
        return min(candidates, key=lambda p: (abs(sides[p] - prefer_size), -sides[p]))
    return max(candidates, key=lambda p: sides[p])


def default_model_path(pattern: str = "*_int8.tflite", prefer_size: int | None = None) -> Path:
    """The default model, or one clear error telling the user to pass ``--model``.

    ``pattern`` picks the variant (a profile asks for ``*_edgetpu.tflite``); among several sizes
    of it, the one closest to ``prefer_size`` (a profile's model side) wins, else the largest
    input (best quality).
    """
    for models in models_dirs():
        candidates = _candidates(models, pattern)
        if not candidates:
            continue
        return _pick(candidates, prefer_size)
    raise EdgestyleError(f"no --model given and no default model in models/ (expected models/*/{pattern})")


def specialist_path(
    style: object, pattern: str = "*_int8.tflite", prefer_size: int | None = None
) -> Path | None:
    """The shipped model baked for the named ``style`` alone (``models/STYLE/``), if there is one.

    A style the joint model paints poorly can ship as its own small file; only a model whose
    contract says it is baked for exactly this style counts, so an unrelated folder of that name
    is never picked up.
    """
    if not isinstance(style, str) or not style or "/" in style or style.startswith("."):
        return None
    for models in models_dirs():
        found = [  # strict glob: no other variant stands in for the profile's
            path
            for path in sorted((models / style).glob(pattern))
            if (contract := _contract(path)) is not None and contract.baked_style == style
        ]
        if found:
            return _pick(found, prefer_size)
    return None


def models_in_folder(path: Path, pattern: str = "*_int8.tflite") -> list[Path]:
    """The ``pattern`` models of a folder (else any .tflite), looking in its ``export/`` too:
    ``edgestyle train --out model/`` then ``edgestyle convert model/`` leaves them in model/export/."""
    for folder in (path, path / "export"):
        if folder.is_dir() and (found := sorted(folder.glob(pattern)) or sorted(folder.glob("*.tflite"))):
            return found
    return []


def resolve_model(
    model: str | os.PathLike | None,
    pattern: str = "*_int8.tflite",
    prefer_size: int | None = None,
    style: object = None,
) -> Path:
    """The user's ``--model`` if given (it must exist), else the shipped specialist of ``style``
    (a single named style) if one ships, else the shipped default."""
    if model is None or str(model) == "":
        return specialist_path(style, pattern, prefer_size) or default_model_path(pattern, prefer_size)
    path = Path(model)
    if path.is_dir():  # a converted-model folder: its int8 model, as `edgestyle convert` names it
        found = models_in_folder(path, pattern)
        if not found:
            hint = (
                f" or {path / 'export'} (a training folder: convert it first with `edgestyle convert {path}`)"
                if (path / "edgestyle.json").is_file() or (path / "generator.keras").exists()
                else ""
            )
            raise EdgestyleError(f"no .tflite model in folder: {path}{hint}")
        return _pick(found, prefer_size)
    if not path.is_file():
        raise EdgestyleError(f"model file not found: {path}")
    return path


def shipped_models() -> list[tuple[str, Path]]:
    """``(models/NAME, its model)`` for each model folder shipped in ``models/`` (not the style
    predictor): the int8 model of the largest size, the one a board runs (``doctor`` lists them)."""
    found: dict[Path, tuple[str, Path]] = {}
    for models in models_dirs():
        for folder in sorted(p for p in models.iterdir() if p.is_dir() and p.name != "style_predict"):
            candidates = models_in_folder(folder)
            if candidates and folder.resolve() not in found:
                found[folder.resolve()] = (f"models/{folder.name}", _pick(candidates, None))
    return list(found.values())
