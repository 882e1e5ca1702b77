"""Any picture as a style: a CNN style code from Magenta's style predictor, on the board.

Models conditioned on style codes (their contract's ``style.code``) take the 100-value bottleneck
of the style predictor (a MobileNetV2, ``models/style_predict/``) instead of a learned vector per
name. The predictor runs once per style change, never per frame. Training computes its codes
with this same class, so a board reproduces exactly the codes the generator learnt from.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from edgestyle.errors import EdgestyleError
from edgestyle.runtime.images import center_square, read_style_picture, resize_rgb

if TYPE_CHECKING:
    from edgestyle.contract import ModelContract

PREDICTOR_FILE = "style_predict/style_predict_quantized_256.tflite"


def find_predictor(name: str | None = None) -> Path:
    """The style predictor shipped in ``models/`` (or the file ``name`` there / at that path)."""
    from edgestyle.runtime.models import models_dirs

    if name and Path(name).is_file():
        return Path(name)
    wanted = [PREDICTOR_FILE] if not name else [f"style_predict/{Path(name).name}", PREDICTOR_FILE]
    for folder in models_dirs():
        for relative in wanted:
            if (folder / relative).is_file():
                return folder / relative
    raise EdgestyleError(
        f"the style predictor models/{PREDICTOR_FILE} is not installed; it turns --style-image pictures "
        "into style codes (reinstall edgestyle, or copy the Magenta style_predict tflite there)"
    )


def file_sha256(path: str | os.PathLike) -> str:
    from edgestyle.runtime.decode import read_bytes

    return hashlib.sha256(read_bytes(path, "style predictor")).hexdigest()


class StylePredictor:
    """RGB picture -> style code (float32 [D]): the centre square, resized to the predictor's input."""

    def __init__(self, path: str | os.PathLike | None = None, threads: int | None = None):
        from edgestyle.runtime.backends.tflite import TFLiteModel

        self.path = find_predictor(str(path) if path else None)
        self.model = TFLiteModel(self.path, threads=threads)
        if len(self.model.inputs) != 1 or len(self.model.outputs) != 1:
            raise EdgestyleError(f"{self.path}: not a style predictor (one picture in, one code out)")
        (self._in,) = self.model.inputs.values()
        (self._out,) = self.model.outputs.values()
        self.size = int(self._in.shape[1])

    @property
    def dim(self) -> int:
        return int(np.prod(self._out.shape))

    def code(self, rgb: np.ndarray) -> np.ndarray:
        from edgestyle.runtime.backends.base import frame_to_tensor, from_tensor

        square = resize_rgb(center_square(rgb), self.size, self.size)
        self.model.set(self._in.key, frame_to_tensor(square, self._in)[None])
        self.model.invoke()
        return from_tensor(self.model.get(self._out.key), self._out).astype(np.float32).ravel()

    def code_of_file(self, path: str | os.PathLike) -> np.ndarray:
        return self.code(read_style_picture(path))


@dataclass(frozen=True)
class StylePicture:
    """A style choice that is a picture: the model paints the predictor's code of it (``--style-image``)."""

    path: Path

    @property
    def label(self) -> str:
        return self.path.name


def code_input(contract: ModelContract, model_name: str) -> dict[str, Any]:
    """The contract's ``style.code`` entry, or one ``error:`` line saying why this model cannot take a picture."""
    style = contract.style
    if style is not None and style.code:
        return style.code
    if style is None:
        baked = f" ({contract.baked_style!r})" if contract.baked_style else ""
        why = f"this one has no style input and always paints one style{baked}"
    elif style.names:
        why = f"this one has named styles only ({', '.join(style.names)}): use --style NAME"
    else:
        why = f"this one's {style.dim}-value style input does not say which network makes its codes"
    raise EdgestyleError(
        f"{model_name} cannot take a picture as its style (--style-image, --style-dir): only models "
        f"trained on style codes can; {why}"
    )


def _stderr(message: str) -> None:
    import sys

    print(message, file=sys.stderr, flush=True)


def predictor_for(
    code: dict[str, Any], threads: int | None = 1, warn: Callable[[str], None] = _stderr
) -> StylePredictor:
    """The predictor a code-conditioned model was trained with (found by file name in ``models/``).

    A different code length is an error; a file with another checksum gives codes the model never
    saw, which is said once through ``warn`` (the picture still runs: it may be a re-download).
    """
    predictor = StylePredictor(code.get("predictor"), threads=threads)
    if code.get("dim") and int(code["dim"]) != predictor.dim:
        raise EdgestyleError(
            f"{predictor.path} makes {predictor.dim}-value codes; the model takes {code['dim']} "
            f"(it was trained with {code.get('predictor')})"
        )
    if _not_the_trained_one(predictor.path, code):
        warn(
            f"warning: {predictor.path} is not the {code.get('predictor')} the model was trained with "
            "(sha256 differs); its codes may paint differently"
        )
    return predictor


def _not_the_trained_one(predictor: Path, code: dict[str, Any]) -> bool:
    """The installed predictor is another file than the one the model's codes came from."""
    return bool(code.get("sha256")) and file_sha256(predictor) != code["sha256"]


def describe_style_input(model: str | os.PathLike) -> tuple[str, bool | None]:
    """What a model takes as its style, and whether ``--style-image`` works with it here (``doctor``)."""
    from edgestyle.contract import load_contract

    try:
        contract = load_contract(model)
    except EdgestyleError as exc:
        return str(exc), False
    style = contract.style if contract else None
    if contract is None or style is None:
        what = f"one style ({contract.baked_style})" if contract and contract.baked_style else "its one style"
        return f"{what if contract else 'a plain model'}; no --style-image", None
    named = f"styles {', '.join(style.names)}" if style.names else "no named styles"
    if not style.code:
        return f"{named}; no --style-image (not trained on style codes)", None
    wanted = style.code.get("predictor") or Path(PREDICTOR_FILE).name
    try:
        predictor = find_predictor(wanted)
    except EdgestyleError:
        return f"{named}; any picture, but its style predictor {wanted} is not installed", False
    if _not_the_trained_one(predictor, style.code):
        return f"{named}; any picture, but {predictor} is not the {wanted} it was trained with", False
    return f"{named} or any picture (--style-image, --style-dir)", True
