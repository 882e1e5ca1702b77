"""Which flow the stabilizer should carry the picture along: flicker of every shipped model per setting.

The stabilizer (``edgestyle/runtime/stabilize.py``) carries the last shown frame, and a
``warp_state`` model its state, along the input's optical flow; texture stays only as still as
that flow is right. This script runs each shipped int8 model (the joint default with ``starry``
and every specialist) over the webcam, Big Buck Bunny and Sintel clips (40 frames, 384x384, the
runtime defaults otherwise) once per flow setting, and scores the same outputs twice:

- with ``edgestyle eval``'s flicker measure (warping error over the input's, DIS *medium* flow);
- with TV-L1 flow (``cv2.optflow``, from opencv-contrib) when it is installed: a different
  algorithm that neither the stabilizer nor the evaluation uses, so a setting cannot score well
  merely by agreeing with the flow it is graded by.

    python benchmarks/stabilizer_flow.py [--shared ../shared] [--frames 40] [--models starry,default]

Skips cleanly (exit 0, one line) when ../shared is absent. TV-L1 costs about 40 s per clip.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from edgestyle.atomic import write_text_atomic
from edgestyle.evaluation import warping
from edgestyle.evaluation.machine import describe_machine, machine_info
from edgestyle.evaluation.runner import load_clip, open_tflite, run_over_clip
from edgestyle.evaluation.warping import FlowPair, flow_pairs, warping_error

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
CLIPS = {"webcam": "box_webcam_opencv.mp4", "BBB": "big_buck_bunny_132f.mp4", "Sintel": "sintel_mountain_2"}
SETTINGS = {
    "light": "light (ultrafast, half size)",
    "fine": "fine (fast, full size; default)",
}  # --stabilize-flow
SIZE = 384


def shipped_models(names: list[str] | None) -> dict[str, tuple[Path, str | None]]:
    """name -> (int8 file at 384x384, style to pick); the joint default paints ``starry``."""
    models = {"default (starry)": (REPO / "models/default/default_384x384_int8.tflite", "starry")}
    for card in sorted((REPO / "models").glob("*/default_384x384_*_int8.tflite")):
        models[card.parent.name] = (card, None)
    if names:
        models = {k: v for k, v in models.items() if k.split(" ")[0] in names}
    return {k: v for k, v in models.items() if v[0].exists()}


def tvl1_pairs(frames: list[np.ndarray]) -> list[FlowPair] | None:
    """The evaluation's flow pairs (same occlusion and boundary checks) with TV-L1 in place of DIS."""
    import cv2

    if not hasattr(cv2, "optflow"):
        return None
    tvl1 = cv2.optflow.DualTVL1OpticalFlow_create()
    original = warping.dis_flow
    warping.dis_flow = lambda first, second: tvl1.calc(first, second, None)
    try:
        return flow_pairs(frames)
    finally:
        warping.dis_flow = original


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", type=Path, default=REPO / ".." / "shared")
    parser.add_argument("--frames", type=int, default=40)
    parser.add_argument("--models", help="comma-separated model folder names (default: all shipped)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for stabilizer_flow.md")
    args = parser.parse_args()
    video = args.shared / "data" / "video"
    if not video.is_dir():
        print(f"skip: {video} not found (pass --shared)")
        return 0
    models = shipped_models(args.models.split(",") if args.models else None)
    names = list(SETTINGS.values())
    lines = [
        f"Machine: {describe_machine(machine_info())}. Flicker = warping error / the input's, "
        f"{args.frames} frames at {SIZE}x{SIZE}, int8, runtime defaults; eval's DIS flow, then TV-L1.",
        "",
        f"| clip | model | {' | '.join(names)} | change | TV-L1: {' | '.join(names)} | TV-L1 change |",
        "| --- | --- |" + " --- |" * (2 * len(names) + 2),
    ]
    print("\n".join(lines))
    for clip_name, file in CLIPS.items():
        clip = load_clip(video / file, args.frames, (SIZE, SIZE))
        # each grader's flow pairs and the input's own warping error on them, measured once per clip
        graders = [
            (p, warping_error(clip.frames, p))
            for p in (flow_pairs(clip.frames), tvl1_pairs(clip.frames))
            if p is not None
        ]
        for label, (path, style) in models.items():
            runs = [
                run_over_clip(open_tflite(path, style=style, stabilize_flow=flow), clip).outputs
                for flow in SETTINGS
            ]
            cells = []
            for pairs, input_error in graders:
                values = [warping_error(outputs, pairs) / input_error for outputs in runs]
                cells += [f"{v:.2f}x" for v in values] + [f"{values[-1] / values[0] - 1:+.0%}"]
            cells += ["-"] * (len(names) + 1) * (2 - len(graders))  # no TV-L1 without opencv-contrib
            lines.append(f"| {clip_name} | {label} | {' | '.join(cells)} |")
            print(lines[-1], flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(args.out / "stabilizer_flow.md", "\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
