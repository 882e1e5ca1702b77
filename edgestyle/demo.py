"""``make demo``: see edgestyle work before training anything.

Stylizes real footage shipped in the package (3 s of Big Buck Bunny, CC BY 3.0, see
``models/demo/ATTRIBUTION.md``; no download, no camera) with the shipped default model — once per
trained style and, for a model that takes any picture as its style, once with a picture
(``--style-image``; by default an abstract composition drawn here, since no painting ships) — and
writes ``out/demo.mp4`` plus ``out/demo_sheet.png`` so a person can look at the result.
Runs with the runtime install alone (no TensorFlow).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from edgestyle.errors import EdgestyleError
from edgestyle.evaluation.contact_sheet import contact_sheet, pick_frames, write_png
from edgestyle.package_data import data_dir
from edgestyle.runtime.models import resolve_model
from edgestyle.runtime.style_code import StylePicture
from edgestyle.runtime.stylizer import Stylizer
from edgestyle.runtime.video_io import VideoFileWriter, probe_video, read_frames
from edgestyle.runtime.views import side_by_side
from edgestyle.synthetic import abstract_picture, moving_scene

DEMO_CLIP = "demo/big_buck_bunny_3s.mp4"  # under the shipped models/ folder


def _stylize_clip(model: Path, frames: list[np.ndarray], style: object) -> list[np.ndarray]:
    stylizer = Stylizer(model, style=style)
    return [stylizer.process(frame) for frame in frames]


def _style_choices(model: Path, picture: Path) -> dict[str, object]:
    """Label -> style choice: every named style, then the picture (models that take any picture)
    or an even blend of the first two styles (the others)."""
    contract = Stylizer(model).contract
    names = contract.style.names if contract.style else []
    choices: dict[str, object] = {name: name for name in names} or {"stylized": None}
    if contract.style is not None and contract.style.code:
        choices[f"picture {picture.name}"] = StylePicture(picture)
    elif len(names) >= 2:
        choices[f"{names[0]}+{names[1]}"] = {names[0]: 0.5, names[1]: 0.5}
    return choices


def demo_clip(frames: int, synthetic: bool) -> tuple[list[np.ndarray], float]:
    """The shipped footage (or a generated scene), at most ``frames`` frames, and its frame rate."""
    clip = data_dir("models") / DEMO_CLIP
    if synthetic or not clip.is_file():
        return moving_scene(frames=frames, width=384, height=288, seed=7), 30.0
    fps = probe_video(clip)[0] or 25.0
    return [frame for _, frame in zip(range(frames), read_frames(clip), strict=False)], fps


def demo_picture(out_dir: Path, given: str | None) -> Path:
    """The ``--style-image`` picture: the one given, else an abstract composition written to out/."""
    if given:
        return Path(given)
    import cv2

    path = out_dir / "demo_style.png"
    cv2.imwrite(str(path), abstract_picture(384, 384, seed=3))
    return path


def run_demo(
    out_dir: Path,
    model: str | None = None,
    frames: int = 75,
    style_image: str | None = None,
    synthetic: bool = False,
) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    model_path = resolve_model(model)
    clip, fps = demo_clip(frames, synthetic)
    picture = demo_picture(out_dir, style_image)
    columns = {"input": clip}
    for label, style in _style_choices(model_path, picture).items():
        path = resolve_model(model, style=style)  # a style's own shipped file where it has one
        print(f"demo: stylizing {len(clip)} frames with {path.name} [{label}]", file=sys.stderr)
        columns[label] = _stylize_clip(path, clip, style)
    video, sheet = out_dir / "demo.mp4", out_dir / "demo_sheet.png"
    first_style = list(columns)[1]
    with VideoFileWriter(video, fps, (clip[0].shape[1] * 2, clip[0].shape[0])) as writer:
        for frame, styled in zip(clip, columns[first_style], strict=True):
            writer.write(side_by_side(frame, styled))
    write_png(sheet, contact_sheet(columns, pick_frames(len(clip), 3), tile_width=192))
    return video, sheet


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("out"), help="output folder (default: out/)")
    parser.add_argument("--model", default=None, help="model .tflite (default: the shipped model)")
    parser.add_argument("--frames", type=int, default=75, help="frames of the clip to stylize")
    parser.add_argument("--style-image", default=None, help="a picture to use as a style as well")
    parser.add_argument("--synthetic", action="store_true", help="a generated scene instead of the footage")
    args = parser.parse_args(argv)
    try:
        video, sheet = run_demo(args.out, args.model, args.frames, args.style_image, args.synthetic)
    except EdgestyleError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"demo: wrote {video} (input | stylized) and {sheet}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
