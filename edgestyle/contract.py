"""The model contract: how a converted model describes its tensors to the runtime.

One module, used by the converter (which writes it) and the runtime (which reads it). A model
declares its frame input and output, its recurrent state pairs (output -> input on the next
frame), an optional style input with a table of named style vectors, and its provenance. Tensor
names are *signature keys* (``frame``, ``state_in_0``, ...), never the generic tensor names a
SavedModel export produces. The contract is embedded in the .tflite as metadata entry
``edgestyle`` and mirrored in a sidecar JSON; plain image-to-image models without it are still
runnable through :func:`infer_contract`. See docs/model-format.md.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from edgestyle.errors import EdgestyleError
from edgestyle.tflite_file import read_metadata, with_metadata

FORMAT = "edgestyle.model/1"
METADATA_NAME = "edgestyle"


@dataclass
class TensorSpec:
    """One tensor as the model sees it: ``shape`` is NHWC, ``dtype`` a numpy name.

    ``value_range`` is what the float network means by a pixel (frames: [0, 1]); ``scale`` and
    ``zero_point`` map integer tensors to those float values (real = scale * (q - zero_point)).
    """

    name: str
    shape: list[int]
    dtype: str = "float32"
    scale: float | None = None
    zero_point: int | None = None
    value_range: list[float] = field(default_factory=lambda: [0.0, 1.0])

    @property
    def height(self) -> int:
        return int(self.shape[1])

    @property
    def width(self) -> int:
        return int(self.shape[2])


@dataclass
class StatePair:
    """A recurrent state: ``output`` of frame t is fed to ``input`` at frame t+1 (zeros at the start)."""

    input: str
    output: str
    shape: list[int]
    dtype: str = "float32"


@dataclass
class StyleSpec:
    """A style-vector input and the named vectors it was trained with (blends are linear mixes)."""

    input: str
    dim: int
    names: list[str] = field(default_factory=list)
    vectors: list[list[float]] = field(default_factory=list)
    default: str | None = None
    # Set when the input is a style *code*: the predictor that turns a picture into one
    # ({"predictor": file name, "sha256", "input_size", "dim"}); named vectors are codes too.
    code: dict[str, Any] | None = None
    # Per name, the mean RGB colour (0-255) of the picture the style was trained on, or None for a
    # style without one (a filter such as cartoon); empty in files older than this field.
    colours: list[list[float] | None] = field(default_factory=list)

    def vector(self, name: str) -> list[float]:
        if name not in self.names:
            raise EdgestyleError(f"unknown style {name!r}; this model has: {', '.join(self.names) or 'none'}")
        return self.vectors[self.names.index(name)]

    def blend_colour(self, weights: dict[str, float]) -> tuple[list[float], float] | None:
        """(mean colour, share) of a blend of named styles (weights summing to 1) for the palette
        anchor: the weighted mean over the styles that have a colour, and the weight they hold
        together, so that crossfading into a style without one (cartoon) fades the anchor out
        instead of dropping it at once. None when no style in the blend has a colour."""
        if len(self.colours) != len(self.names):
            return None
        coloured = {
            n: w for n, w in weights.items() if self.colours[self.names.index(n)] is not None and w > 0
        }
        share = sum(coloured.values())
        if share <= 0:
            return None
        mean = [
            sum(w * self.colours[self.names.index(n)][i] for n, w in coloured.items()) / share
            for i in range(3)
        ]
        return mean, share


@dataclass
class ModelContract:
    """Everything the runtime needs to drive a model frame by frame."""

    frame_input: TensorSpec
    frame_output: TensorSpec
    states: list[StatePair] = field(default_factory=list)
    style: StyleSpec | None = None
    baked_style: str | None = None
    baked_colour: list[float] | None = None  # the baked style's picture's mean RGB colour, 0-255
    name: str = "model"
    target: str | None = None
    stride: int = 1
    # the state is carried along the input's motion between frames (trained with model.warp_state)
    warp_state: bool = False
    provenance: dict[str, Any] = field(default_factory=dict)
    inferred: bool = False
    format: str = FORMAT

    # -- serialisation -------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelContract:
        try:
            if data.get("format") != FORMAT:
                raise EdgestyleError(f"unsupported model format {data.get('format')!r} (expected {FORMAT})")
            return cls(
                frame_input=TensorSpec(**data["frame_input"]),
                frame_output=TensorSpec(**data["frame_output"]),
                states=[StatePair(**s) for s in data.get("states", [])],
                style=StyleSpec(**data["style"]) if data.get("style") else None,
                baked_style=data.get("baked_style"),
                baked_colour=data.get("baked_colour"),
                name=data.get("name", "model"),
                target=data.get("target"),
                stride=int(data.get("stride", 1)),
                warp_state=bool(data.get("warp_state", False)),
                provenance=data.get("provenance", {}),
                inferred=bool(data.get("inferred", False)),
            )
        except (KeyError, TypeError) as exc:
            raise EdgestyleError(f"invalid model metadata: {exc}") from None

    @classmethod
    def from_json(cls, text: str) -> ModelContract:
        try:
            return cls.from_dict(json.loads(text))
        except json.JSONDecodeError as exc:
            raise EdgestyleError(f"invalid model metadata JSON: {exc}") from None

    # -- helpers -------------------------------------------------------------------------
    @property
    def input_size(self) -> tuple[int, int]:
        """(width, height) the model takes, the order OpenCV uses for sizes."""
        return self.frame_input.width, self.frame_input.height


def sidecar_path(model_path: str | Path) -> Path:
    """``foo_int8.tflite`` -> ``foo_int8.json``, ``foo_fp32.onnx`` -> ``foo_fp32.onnx.json``.

    The human-readable copy of the embedded contract. Other formats keep their suffix in the
    name so an ONNX file never shares a sidecar with the .tflite of the same precision.
    """
    path = Path(model_path)
    return (
        path.with_suffix(".json") if path.suffix.lower() == ".tflite" else path.with_name(path.name + ".json")
    )


def embed_contract(model_bytes: bytes, contract: ModelContract) -> bytes:
    """Return the .tflite bytes with the contract embedded as metadata entry ``edgestyle``."""
    return with_metadata(model_bytes, METADATA_NAME, contract.to_json().encode("utf-8"))


def read_embedded_contract(model_bytes: bytes) -> ModelContract | None:
    """The contract embedded in a .tflite, or None for a plain model."""
    payload = read_metadata(model_bytes).get(METADATA_NAME)
    return ModelContract.from_json(payload.decode("utf-8")) if payload else None


def load_contract(model_path: str | Path) -> ModelContract | None:
    """Embedded contract first, then the sidecar JSON; None when the model has neither."""
    path = Path(model_path)
    if not path.is_file():
        raise EdgestyleError(f"model file not found: {path}")
    contract = read_embedded_contract(path.read_bytes()) if path.suffix.lower() == ".tflite" else None
    if contract is None and sidecar_path(path).is_file():
        contract = ModelContract.from_json(sidecar_path(path).read_text())
    return contract


def infer_contract(
    inputs: list[dict[str, Any]], outputs: list[dict[str, Any]], name: str = "model"
) -> ModelContract:
    """Guess the contract of a plain image-to-image model from its tensor details.

    ``inputs``/``outputs`` are LiteRT-style details (``name``, ``shape``, ``dtype``,
    ``quantization``). The frame input is the largest 3-channel NHWC input, the frame output the
    largest 3-channel output; an extra input of shape [1, 1, 1, N] or [1, N] is taken as a style
    vector that the caller must supply. Float frames are assumed to be RGB in [0, 1].
    """

    def is_frame(d: dict[str, Any]) -> bool:
        shape = list(d["shape"])
        return len(shape) == 4 and shape[-1] == 3 and shape[1] > 1 and shape[2] > 1

    def spec(d: dict[str, Any]) -> TensorSpec:
        dtype = getattr(d["dtype"], "__name__", str(d["dtype"]))
        scale, zero = (d.get("quantization") or (0.0, 0))[:2]
        quantized = dtype in ("uint8", "int8") and scale
        return TensorSpec(
            name=d["name"],
            shape=[int(v) for v in d["shape"]],
            dtype=dtype,
            scale=float(scale) if quantized else None,
            zero_point=int(zero) if quantized else None,
        )

    frames_in = sorted((d for d in inputs if is_frame(d)), key=lambda d: -d["shape"][1] * d["shape"][2])
    frames_out = sorted((d for d in outputs if is_frame(d)), key=lambda d: -d["shape"][1] * d["shape"][2])
    if not frames_in or not frames_out:
        raise EdgestyleError(f"{name}: no NHWC 3-channel image input and output; not an image-to-image model")
    frame_in = frames_in[0]
    style = None
    for d in inputs:
        if d is frame_in:
            continue
        shape = [int(v) for v in d["shape"]]
        if shape[:-1] in ([1, 1, 1], [1]):
            style = StyleSpec(input=d["name"], dim=shape[-1])
        else:
            raise EdgestyleError(f"{name}: cannot tell what input {d['name']!r} {shape} is for")
    return ModelContract(
        frame_input=spec(frame_in), frame_output=spec(frames_out[0]), style=style, name=name, inferred=True
    )
