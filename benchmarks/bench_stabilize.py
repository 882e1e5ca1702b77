"""What the runtime's steadying costs beside the model it steadies, per frame, at the model's size.

In one run, round-robin over the frames of a real clip (one call of each per frame, so load from
other processes falls on all alike; ratios are medians of per-frame ratios):

- the shipped int8 model alone (``Stylizer.step`` with the hold and the stabilizer off; 1 and 2
  threads): the peer every other row is quoted against;
- the output hold (``edgestyle/runtime/hold.py``) on that frame's output;
- the motion-compensated stabilizer (``edgestyle/runtime/stabilize.py``): DIS flow, two remaps,
  the blend; with its default fine flow (``fast`` preset, full size) and the light one
  (``ultrafast``, half size);
- carrying the model's state along that flow (``Stylizer.carry_state``, what a ``warp_state``
  model adds: the flow put on the state's grid, one integer-domain remap per state tensor).

The clip is ``../shared/data/video/big_buck_bunny_132f.mp4`` when present, else generated footage
(a panning scene). Results: benchmarks/results/bench_stabilize.{md,json}.
Run: python benchmarks/bench_stabilize.py [--frames 60] [--model X.tflite]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("EDGESTYLE_SHARED", REPO.parent / "shared"))
RESULTS = REPO / "benchmarks" / "results"
CLIP = SHARED / "data" / "video" / "big_buck_bunny_132f.mp4"
MODEL = REPO / "models" / "default" / "default_384x384_int8.tflite"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=MODEL)
    parser.add_argument("--clip", type=Path, default=CLIP)
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--out", type=Path, default=RESULTS)
    return parser.parse_args(argv)


def model_frames(clip: Path, count: int, size: tuple[int, int]) -> tuple[list[np.ndarray], str]:
    """RGB uint8 frames at the model's size: the clip's when it exists, else generated footage."""
    import cv2

    from edgestyle.evaluation.runner import load_clip
    from edgestyle.synthetic import moving_scene

    if clip.exists():
        frames, source = load_clip(clip, count, size).frames, clip.name
    else:
        frames, source = moving_scene(count, *size), "generated panning scene"
    return [cv2.cvtColor(f, cv2.COLOR_BGR2RGB) for f in frames], source


def timed(call, *args) -> tuple[float, object]:
    start = time.perf_counter()
    result = call(*args)
    return time.perf_counter() - start, result


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from edgestyle.runtime.hold import OutputHold
    from edgestyle.runtime.stabilize import LIGHT_FLOW, MotionStabilizer
    from edgestyle.runtime.stylizer import Stylizer

    if not args.model.exists():
        print(f"skip: {args.model} not found")
        return 0
    models = {t: Stylizer(args.model, threads=t, hold=0, stabilize=0) for t in (1, 2)}
    frames, source = model_frames(args.clip, args.frames, models[1].input_size)
    hold, stabilizer, light = OutputHold(), MotionStabilizer(), MotionStabilizer(flow=LIGHT_FLOW)
    times: dict[str, list[float]] = {
        "model, 1 thread": [],
        "model, 2 threads": [],
        "hold": [],
        "stabilizer (fine flow, default)": [],
        "stabilizer (light flow)": [],
        "state carried along the flow": [],
    }
    for frame in frames:
        seconds, output = timed(models[1].step, frame)
        times["model, 1 thread"].append(seconds)
        times["model, 2 threads"].append(timed(models[2].step, frame)[0])
        times["stabilizer (fine flow, default)"].append(timed(stabilizer, frame, output)[0])
        times["stabilizer (light flow)"].append(timed(light, frame, output)[0])
        times["state carried along the flow"].append(timed(models[1].carry_state, stabilizer.motion)[0])
        times["hold"].append(timed(hold, output)[0])
    peer = times["model, 1 thread"]
    rows = []
    for name, values in times.items():
        ratios = [v / p for v, p in zip(values[1:], peer[1:], strict=True)]  # frame 0: no flow yet
        rows.append(
            {
                "part": name,
                "median_ms": 1000 * statistics.median(values[1:]),
                "vs_model_1_thread": statistics.median(ratios),
            }
        )
    size = "x".join(map(str, models[1].input_size))
    title = f"{args.model.name} at {size}, {len(frames)} frames of {source}"
    lines = [f"# Steadying cost beside the model ({title})", "", "| part | median ms | vs model, 1 thread |"]
    lines.append("| --- | --- | --- |")
    lines += [f"| {r['part']} | {r['median_ms']:.2f} | {r['vs_model_1_thread']:.3f}x |" for r in rows]
    text = "\n".join(lines) + "\n"
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench_stabilize.md").write_text(text)
    (args.out / "bench_stabilize.json").write_text(
        json.dumps({"title": title, "rows": rows}, indent=2) + "\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
