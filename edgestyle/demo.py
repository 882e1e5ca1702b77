"""``make demo``: see edgestyle work before training anything.

Generates its own clip (no download, no camera), stylizes it with the shipped default model —
once per trained style and once with a live 50/50 blend for multi-style models — and writes
``out/demo.mp4`` plus ``out/demo_sheet.png`` so a person can look at the result.
Runs with the runtime install alone (no TensorFlow).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from edgestyle.errors import EdgestyleError
from edgestyle.evaluation.contact_sheet import contact_sheet, pick_frames, write_png
from edgestyle.runtime.models import resolve_model
from edgestyle.runtime.stylizer import Stylizer
from edgestyle.runtime.video_io import VideoFileWriter
from edgestyle.runtime.views import side_by_side
from edgestyle.synthetic import moving_scene

FPS = 30.0


def _stylize_clip(model: Path, frames: list[np.ndarray], style: object) -> list[np.ndarray]:
    stylizer = Stylizer(model, style=style)
    return [stylizer.process(frame) for frame in frames]


def _style_choices(model: Path) -> dict[str, object]:
    """Label -> style choice: every named style, plus an even blend of the first two."""
    contract = Stylizer(model).contract
    names = contract.style.names if contract.style else []
    choices: dict[str, object] = {name: name for name in names} or {"stylized": None}
    if len(names) >= 2:
        choices[f"{names[0]}+{names[1]}"] = {names[0]: 0.5, names[1]: 0.5}
    return choices


def run_demo(out_dir: Path, model: str | None = None, frames: int = 90) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    model_path = resolve_model(model)
    clip = moving_scene(frames=frames, width=384, height=288, seed=7)
    columns = {"input": clip}
    for label, style in _style_choices(model_path).items():
        print(f"demo: stylizing {len(clip)} frames with {model_path.name} [{label}]", file=sys.stderr)
        columns[label] = _stylize_clip(model_path, clip, style)
    video, sheet = out_dir / "demo.mp4", out_dir / "demo_sheet.png"
    first_style = list(columns)[1]
    with VideoFileWriter(video, FPS, (clip[0].shape[1] * 2, clip[0].shape[0])) as writer:
        for frame, styled in zip(clip, columns[first_style], strict=True):
            writer.write(side_by_side(frame, styled))
    write_png(sheet, contact_sheet(columns, pick_frames(len(clip), 4), tile_width=256))
    return video, sheet


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("out"), help="output folder (default: out/)")
    parser.add_argument("--model", default=None, help="model .tflite (default: the shipped model)")
    parser.add_argument("--frames", type=int, default=90, help="length of the generated clip")
    args = parser.parse_args(argv)
    try:
        video, sheet = run_demo(args.out, args.model, args.frames)
    except EdgestyleError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"demo: wrote {video} (input | stylized) and {sheet}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
