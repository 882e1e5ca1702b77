"""What the live pipeline costs on top of the model: model-only FPS vs whole-pipeline FPS, same model.

* **model only**: the interpreter invoked back to back with its inputs already set (no decode,
  no resize, no state copies): the ceiling.
* **pipeline**: ``edgestyle run CLIP -o null``'s path: decode, resize to the model and BGR->RGB
  in the capture thread; scene-cut check, quantize, invoke and state carry in the inference
  thread; resize back and the null sink in the display thread; one-slot queues between them.

Target: the pipeline keeps at least 90% of the model-only throughput on a model heavy enough to
matter (the default model in models/, else Magenta's 384x384 transfer network from
../shared/anchors). The tiny test model is listed too: at ~0.1 ms per frame it shows the
pipeline's fixed per-frame overhead, not a realistic ratio. The two are timed in alternating
rounds in one process, so background load falls on both; quote the ratio, not the FPS.
Results: benchmarks/results/bench_pipeline.{md,json}. Skips a model that is absent.
Run: python benchmarks/bench_pipeline.py [--frames 10] [--rounds 7] [--threads N] [--model PATH ...]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("EDGESTYLE_SHARED", REPO.parent / "shared"))
RESULTS = REPO / "benchmarks" / "results"
TINY = REPO / "tests" / "data" / "tiny_stateful_int8.tflite"
MAGENTA = SHARED / "anchors" / "style_transfer_quantized_384.tflite"


def candidate_models(explicit: list[Path] | None) -> list[tuple[str, Path]]:
    from edgestyle.errors import EdgestyleError
    from edgestyle.runtime.models import default_model_path

    if explicit:
        return [(path.name, path) for path in explicit if path.is_file()]
    models = [("tiny test model (overhead only)", TINY)]
    try:
        models.append((f"default {default_model_path().name}", default_model_path()))
    except EdgestyleError:
        if MAGENTA.is_file():
            models.append(("Magenta transfer int8-weights 384 (plain model)", MAGENTA))
    return [(label, path) for label, path in models if path.is_file()]


def make_stylizer(path: Path, threads: int):
    """A Stylizer; plain models with an unnamed style input (Magenta) get a fixed random bottleneck."""
    from edgestyle.runtime.interpreter import TFLiteModel
    from edgestyle.runtime.stylizer import Stylizer, load_model_contract

    spec = load_model_contract(TFLiteModel(path, threads=1)).style
    style = None
    if spec is not None and not spec.names:
        style = np.random.default_rng(0).random(spec.dim).astype(np.float32)
    return Stylizer(path, threads=threads, style=style)


def model_only_fps(stylizer, frames: int) -> float:
    """Back-to-back invokes with inputs set once: the interpreter's ceiling."""
    stylizer.step(np.zeros((*stylizer.input_size[::-1], 3), np.uint8))  # sets every input
    start = time.perf_counter()
    for _ in range(frames):
        stylizer.model.invoke()
    return frames / (time.perf_counter() - start)


def pipeline_fps(stylizer, clip: Path, frames: int) -> tuple[float, dict]:
    """Steady-state FPS at the sink (the last 60 frames), the clip looped as long as needed."""
    from edgestyle.runtime.pipeline import Pipeline
    from edgestyle.runtime.sinks import NullSink
    from edgestyle.runtime.sources import open_source

    stylizer.reset()
    pipeline = Pipeline(open_source(str(clip), loop=True), stylizer, NullSink(), max_frames=frames)
    stats = pipeline.run()
    return stats.fps, vars(stats)


def write_clip(folder: Path, frames: int, size: tuple[int, int]) -> Path:
    from edgestyle.runtime.video_io import VideoFileWriter
    from edgestyle.synthetic import moving_scene

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "clip.mp4"
    with VideoFileWriter(path, 30, size) as writer:
        for frame in moving_scene(frames, *size):
            writer.write(frame)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--model",
        type=Path,
        action="append",
        default=None,
        help="a model to measure (repeatable; default: see above)",
    )
    parser.add_argument(
        "--frames", type=int, default=10, help="frames per round, at least (fast models get more)"
    )
    parser.add_argument(
        "--rounds", type=int, default=7, help="alternating rounds (short, so load shifts hit both alike)"
    )
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="interpreter threads")
    parser.add_argument(
        "--sizes", default="640x480,model", help="clip sizes: WIDTHxHEIGHT or 'model' (the model's own size)"
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    models = candidate_models(args.model)
    if not models:
        print("skipped: no model to measure")
        return 0
    from edgestyle.atomic import write_text_atomic
    from edgestyle.evaluation.machine import describe_machine, machine_info
    from edgestyle.evaluation.report import markdown_table

    machine = machine_info()
    rows, records = [], []
    with tempfile.TemporaryDirectory() as tmp:
        clips: dict[tuple[int, int], Path] = {}
        for label, path in models:
            stylizer = make_stylizer(path, args.threads)
            estimate = model_only_fps(stylizer, 3)  # warm-up; rounds last >= ~0.5 s even for tiny models
            frames = max(args.frames, min(600, int(estimate * 0.5)))
            for size_text in args.sizes.split(","):
                size = (
                    stylizer.input_size
                    if size_text == "model"
                    else tuple(int(v) for v in size_text.split("x"))
                )
                if size not in clips:
                    clips[size] = write_clip(Path(tmp) / f"{size[0]}x{size[1]}", 30, size)
                solo, piped, stats = [], [], {}
                for _ in range(args.rounds):
                    solo.append(model_only_fps(stylizer, frames))
                    fps, stats = pipeline_fps(stylizer, clips[size], frames)
                    piped.append(fps)
                m, p = statistics.median(solo), statistics.median(piped)
                w, h = stylizer.input_size
                rows.append(
                    [
                        label, f"{w}x{h}", f"{size[0]}x{size[1]}", f"{m:.1f}", f"{p:.1f}", f"{p / m:.2f}",
                        f"{stats['capture_ms']:.1f} / {stats['infer_ms']:.1f} / {stats['display_ms']:.1f}",
                        "yes" if p / m >= 0.9 else "no",
                    ]
                )  # fmt: skip
                records.append(
                    {"model": label, "path": str(path), "clip": list(size), "model_fps": solo, "pipeline_fps": piped,
                     "stats": stats}
                )  # fmt: skip
                print(
                    f"{label} @ {size}: model {m:.1f} fps, pipeline {p:.1f} fps, ratio {p / m:.2f}",
                    file=sys.stderr,
                )
    headers = [
        "model",
        "input",
        "frames in",
        "model-only FPS",
        "pipeline FPS",
        "ratio",
        "capture / inference / display ms",
        ">= 0.90",
    ]
    text = "\n".join(
        [
            "# Pipeline overhead: model-only vs file -> stylizer -> null sink",
            "",
            f"Machine: {describe_machine(machine)}. Clip: generated, looped; >= {args.frames} frames per round, "
            f"{args.rounds} alternating rounds (medians), {args.threads} interpreter threads, XNNPACK. "
            f"Load average at the end: {os.getloadavg()[0]:.1f} (other processes share these cores).",
            "",
            markdown_table(headers, rows),
            "",
            "Model-only = back-to-back invoke() with inputs preset. Pipeline = decode + resize + colour + "
            "quantize + state carry + invoke + dequantize + resize back, in three threads. Stage times are "
            "the last round's means (capture includes decode). Pipeline FPS is the steady state at the sink "
            "(its last 60 frames), so thread start-up is not counted. Frames at the model's size are what "
            "picam:0 delivers (its video configuration is sized for the model); 640x480 is a typical USB camera.",
        ]
    )
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(args.out / "bench_pipeline.md", text + "\n")
    write_text_atomic(
        args.out / "bench_pipeline.json", json.dumps({"machine": machine, "runs": records}, indent=2) + "\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
