"""What "any painting as a style" costs on the board: the style predictor, our student, Magenta.

In one run, per thread count, at 384x384 int8, timed round-robin (one call of each per round, so
load from other processes falls on all alike; ratios are medians of per-round ratios):

- the style predictor alone (``models/style_predict/``): one picture -> code, centre crop and
  resize included, what ``--style-image`` and each ``--style-dir`` switch cost once;
- our student alone: one frame through the Stylizer (state carried, style code set);
- student + one predictor call: the frame at which the style changes, if the predictor ran in
  the frame's own thread (``run --style-dir`` runs it in a worker thread instead);
- Magenta's int8 transfer network (``../shared/anchors/style_transfer_quantized_384.tflite``) on
  one frame with the same code: the per-frame peer.

The student is the shipped default model when it is conditioned on style codes; otherwise (or
with ``--untrained``) an untrained code-conditioned generator of the size the training recipe
uses (paint head, 24 base channels, 48 state channels, 5 blocks, 100-d code through a 32-wide
hidden layer), converted to int8 at 384x384 (needs the ``train`` extra; cached in
out/benchmarks/). Untrained weights time exactly like trained ones: same graph, same int8 ops.
Skips cleanly (exit 0, one line) when the anchors are absent.
Results: benchmarks/results/bench_style_code.{md,json}.
Run: python benchmarks/bench_style_code.py [--runs 30] [--threads 1,2] [--model X.tflite]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("EDGESTYLE_SHARED", REPO.parent / "shared"))
RESULTS = REPO / "benchmarks" / "results"
CACHE = REPO / "out" / "benchmarks" / "style_code_untrained"
SIZE = 384
LEAD_CONFIG = dict(
    head="paint", base_channels=24, state_channels=48, res_blocks=5, style_dim=100, style_hidden=32
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--anchors", type=Path, default=SHARED / "anchors", help="Magenta anchors folder")
    parser.add_argument("--model", type=Path, default=None, help="a code-conditioned int8 .tflite at 384x384")
    parser.add_argument(
        "--untrained", action="store_true", help="time the untrained stand-in even if one ships"
    )
    parser.add_argument("--picture", type=Path, default=SHARED / "styles" / "starry_night_van_gogh.jpg")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--out", type=Path, default=RESULTS)
    return parser.parse_args(argv)


def student_model(explicit: Path | None, untrained: bool) -> tuple[Path, str]:
    """(model, what it is): --model, else the shipped default if code-conditioned, else the stand-in."""
    from edgestyle.contract import load_contract
    from edgestyle.errors import EdgestyleError
    from edgestyle.runtime.models import default_model_path

    if explicit is not None:
        return explicit, f"--model {explicit.name}"
    if not untrained:
        try:
            shipped = default_model_path(prefer_size=SIZE)
            contract = load_contract(shipped)
            if contract and contract.style and contract.style.code and contract.input_size == (SIZE, SIZE):
                return shipped, f"shipped default {shipped.name}"
        except EdgestyleError:
            pass
    return untrained_student(), "untrained stand-in " + ", ".join(f"{k}={v}" for k, v in LEAD_CONFIG.items())


def untrained_student() -> Path:
    """The recipe-sized code-conditioned generator, untrained, as ``edgestyle convert`` makes it."""
    cached = CACHE / "export" / f"{CACHE.name}_{SIZE}x{SIZE}_int8.tflite"
    if cached.is_file():
        return cached
    from edgestyle.conversion.pipeline import convert_model_dir
    from edgestyle.runtime.style_code import StylePredictor, file_sha256
    from edgestyle.train.generator import GeneratorConfig
    from edgestyle.train.model_dir import make_untrained_model_dir

    predictor = StylePredictor()
    code = {"predictor": predictor.path.name, "sha256": file_sha256(predictor.path),
            "input_size": predictor.size, "dim": predictor.dim}  # fmt: skip
    rng = np.random.default_rng(0)
    vectors = {  # codes of noise pictures, so the int8 style input is calibrated on real code values
        name: predictor.code(rng.integers(0, 256, (256, 256, 3), dtype=np.uint8)).tolist() for name in "ab"
    }
    model_dir = make_untrained_model_dir(
        CACHE, GeneratorConfig(**LEAD_CONFIG), styles=tuple(vectors), style_code=code, vectors=vectors
    )
    result = convert_model_dir(model_dir, targets="cpu", input_size=(SIZE, SIZE), report=False)
    return Path(result.paths["cpu-int8"])


def time_round_robin(
    calls: dict[str, Callable[[], object]], runs: int, warmup: int
) -> dict[str, list[float]]:
    """Seconds of each call per round, the calls taken in turn within each round."""
    for _ in range(warmup):
        for call in calls.values():
            call()
    times: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(runs):
        for name, call in calls.items():
            t0 = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - t0)
    return times


def time_one_setting(
    student: Path,
    magenta: Path,
    picture: np.ndarray,
    frames: list[np.ndarray],
    threads: int,
    runs: int,
    warmup: int,
) -> dict[str, list[float]]:
    """Predictor, student, student + predictor and Magenta's transfer network, each with ``threads``."""
    from edgestyle.runtime.style_code import StylePredictor
    from edgestyle.runtime.stylizer import Stylizer

    predictor = StylePredictor(threads=threads)
    code = predictor.code(picture)
    ours = Stylizer(student, threads=threads, style=code)
    peer = Stylizer(magenta, threads=threads, style=code)
    counter = iter(range(1 << 30))

    def frame() -> np.ndarray:
        return frames[next(counter) % len(frames)]

    calls = {
        "predictor": lambda: predictor.code(picture),
        "student": lambda: ours.step(frame()),
        "student + predictor": lambda: (predictor.code(picture), ours.step(frame())),
        "magenta int8 transfer": lambda: peer.step(frame()),
    }
    return time_round_robin(calls, runs, warmup)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    magenta = args.anchors / "style_transfer_quantized_384.tflite"
    if not magenta.is_file():
        print(f"skipped: Magenta int8 transfer network not found at {magenta}")
        return 0
    from edgestyle.runtime.images import read_style_picture

    try:
        student, what = student_model(args.model, args.untrained)
    except ImportError:
        print(
            "skipped: no code-conditioned default model and no TensorFlow (train extra) to build the stand-in"
        )
        return 0

    from edgestyle.atomic import write_text_atomic
    from edgestyle.evaluation.machine import describe_machine, machine_info
    from edgestyle.evaluation.report import markdown_table, write_json
    from edgestyle.synthetic import moving_scene

    picture = read_style_picture(args.picture) if args.picture.is_file() else moving_scene(1, 512, 512)[0]
    frames = [f[:, :, ::-1].copy() for f in moving_scene(8, SIZE, SIZE)]  # RGB, model-sized
    machine = machine_info()
    print(f"machine: {describe_machine(machine)}; student: {what}", file=sys.stderr)
    rows, raw = [], {}
    for threads in [int(t) for t in dict.fromkeys(args.threads.split(","))]:
        times = time_one_setting(student, magenta, picture, frames, threads, args.runs, args.warmup)
        raw[threads] = times
        base = np.asarray(times["magenta int8 transfer"])
        for name, values in times.items():
            v = np.asarray(values)
            rows.append([
                name, str(threads), f"{np.median(v) * 1000:.1f}", f"{np.percentile(v, 90) * 1000:.1f}",
                f"{np.median(v / base):.3f}", f"{np.median(v / np.asarray(times['student'])):.2f}",
            ])  # fmt: skip
    header = ["what", "threads", "median ms", "p90 ms", "vs Magenta int8", "vs student"]
    text = "\n".join([
        "# Any painting as a style: predictor, student and Magenta in one run",
        "",
        f"Machine: {describe_machine(machine)}. {SIZE}x{SIZE}, XNNPACK, {args.runs} rounds after "
        f"{args.warmup} warm-up, calls interleaved; ratios are medians of per-round ratios.",
        f"Student: {what}. Picture: `{args.picture.name}`.",
        "",
        markdown_table(header, rows),
    ]) + "\n"  # fmt: skip
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(args.out / "bench_style_code.md", text)
    write_json(
        args.out / "bench_style_code.json",
        {"machine": machine, "student": what, "picture": str(args.picture), "size": SIZE,
         "seconds": {str(t): v for t, v in raw.items()}},
    )  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
