"""The model contract of a converted file, read off its real tensors (not assumed from the preset)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from edgestyle.contract import ModelContract, StatePair, StyleSpec, TensorSpec


def _spec(info: Any, value_range: list[float]) -> TensorSpec:
    quantized = info.quantized
    return TensorSpec(
        name=info.key,
        shape=list(info.shape),
        dtype=info.dtype.name,
        scale=float(info.scale) if quantized else None,
        zero_point=int(info.zero_point) if quantized else None,
        value_range=value_range,
    )


def build_contract(
    model_path: Path, source: Any, target: str, baked_style: str | None, calibration: str
) -> ModelContract:
    """The contract of ``model_path`` (a converted step of ``source``) for the runtime."""
    from edgestyle import __version__
    from edgestyle.runtime.backends import open_model

    model = open_model(model_path, delegate="cpu", threads=1)
    states = [
        StatePair(
            input=key_in,
            output=key_out,
            shape=list(model.inputs[key_in].shape),
            dtype=model.inputs[key_in].dtype.name,
        )
        for key_in, key_out in source.state_pairs()
    ]
    style = None
    table = source.style
    if table and baked_style is None and "style" in model.inputs:
        style = StyleSpec(
            input="style",
            dim=int(table["dim"]),
            names=list(table["names"]),
            vectors=[list(map(float, v)) for v in table["vectors"]],
            default=table.get("default"),
            code=table.get("code"),
            colours=list(table.get("colours") or []),
        )
    meta = source.meta
    return ModelContract(
        frame_input=_spec(model.inputs["frame"], [0.0, 1.0]),
        frame_output=_spec(model.outputs["stylized"], [0.0, 1.0]),
        states=states,
        style=style,
        baked_style=baked_style or meta.get("baked_style"),  # --style, or a single-style model's one style
        baked_colour=_baked_colour(table, baked_style) if baked_style else meta.get("baked_colour"),
        name=source.name,
        target=target,
        stride=source.stride,
        warp_state=bool((meta.get("generator") or {}).get("warp_state", False)),
        provenance={
            "edgestyle_version": __version__,
            "generator": meta.get("generator"),
            "macs_per_frame": meta.get("macs_per_frame"),
            "macs_size": meta.get("macs_size"),
            "params": meta.get("params"),
            "training": meta.get("training"),
            "teacher": meta.get("teacher"),
            "calibration": calibration,
        },
    )


def _baked_colour(table: dict[str, Any] | None, name: str) -> list[float] | None:
    """The picture colour of the style ``--style`` bakes in, from the model directory's table."""
    if not table or name not in table.get("names", []):
        return None
    colours = table.get("colours") or []
    return colours[table["names"].index(name)] if len(colours) == len(table["names"]) else None
