"""What part of the cartoon style gap does the `toon` filter's luminance staircase carry?

`edgestyle eval --style cartoon --teacher toon` scores a model's frames against the filter's own
frames (colours and 5x5 patches at three scales, sliced Wasserstein): the filter scores 1, the
input 0. This script scores *variants of the filter* on the same measure, so a student's figure
can be read against what each ingredient is worth: without its luminance bands (``bins`` so high
that no band is left), those unbanded frames through the generator's band layer (``model.bands``,
which draws the bands before the ink lines where the filter draws them after), with soft band
edges, and blurred by 1 px.

    python benchmarks/toon_gap_bound.py [--shared ../shared] [--frames 40]

Skips cleanly (exit 0, one line) when ../shared is absent.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from edgestyle.atomic import write_text_atomic
from edgestyle.evaluation.machine import describe_machine, machine_info
from edgestyle.evaluation.runner import load_clip
from edgestyle.evaluation.scoring import style_frames
from edgestyle.evaluation.style_distance import gap_closed, style_distance
from edgestyle.teachers.opencv import TOON_BINS, TOON_SHARPNESS, toon_filter

SIZE = 384
RESULTS = Path(__file__).resolve().parent / "results"
CLIPS = ("box_webcam_opencv.mp4", "big_buck_bunny_132f.mp4", "sintel_mountain_2")


def generator_bands(rgb: np.ndarray) -> np.ndarray:
    """The unbanded filter's frame through the generator's own band layer (``model.bands=6``): what
    a cartoon student with that layer reaches if it draws everything else exactly."""
    from edgestyle.train.layers import LuminanceBands

    unbanded = toon_filter(rgb, bins=1000).astype(np.float32)[None] / 255.0
    banded = np.asarray(LuminanceBands(TOON_BINS, TOON_SHARPNESS)(unbanded))[0]
    return np.clip(banded * 255.0 + 0.5, 0, 255).astype(np.uint8)


VARIANTS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "toon without its luminance bands": lambda rgb: toon_filter(rgb, bins=1000),
    "the same through the generator's band layer (model.bands=6)": generator_bands,
    "toon with soft band edges (sharpness 0.1)": lambda rgb: toon_filter(rgb, sharpness=0.1),
    "toon blurred by 1 px": lambda rgb: cv2.GaussianBlur(toon_filter(rgb), (0, 0), 1.0),
}


def filtered(frames: list[np.ndarray], fn: Callable[[np.ndarray], np.ndarray]) -> list[np.ndarray]:
    return [cv2.cvtColor(fn(cv2.cvtColor(f, cv2.COLOR_BGR2RGB)), cv2.COLOR_RGB2BGR) for f in frames]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[1] / ".." / "shared")
    parser.add_argument("--frames", type=int, default=40)
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for toon_gap_bound.md")
    args = parser.parse_args()
    video = args.shared / "data" / "video"
    if not video.is_dir():
        print(f"skip: {video} not found (pass --shared)")
        return 0
    lines = [
        f"Machine: {describe_machine(machine_info())}.",
        "",
        "| clip | variant | style gap closed | colour | 1/1 | 1/2 | 1/4 |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    print("\n".join(lines))
    for clip in CLIPS:
        # the eval's own frames, and only those its style statistics pool (a per-frame filter commutes)
        frames = style_frames(load_clip(video / clip, args.frames, (SIZE, SIZE)).frames)
        reference = filtered(frames, toon_filter)
        start = style_distance(frames, reference).distance
        for name, fn in {"input": None, **VARIANTS}.items():
            score = style_distance(frames if fn is None else filtered(frames, fn), reference)
            gap = gap_closed(start, score.distance, 0.0)
            levels = " | ".join(f"{v:.4f}" for v in score.levels.values())
            lines.append(f"| {clip} | {name} | {gap:.2f} | {levels} |")
            print(lines[-1])
    args.out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(args.out / "toon_gap_bound.md", "\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
