"""The ONNX path against LiteRT for the same shipped model: fidelity and CPU latency in one run.

Fidelity: the default model's fp32 .tflite is converted to ONNX the way ``--targets onnx`` does
(tf2onnx's TFLite front end, I/O renamed to the signature keys); both run 30 frames recurrently
(state fed back) through the runtime's Stylizer, and the ONNX outputs are compared with the
float .tflite's in uint8 (PSNR over the clip and its worst frame). The clip is the Sintel clip
from ../shared when present, else a generated pan.
Speed: one ``edgestyle bench`` run of the int8 .tflite (LiteRT, XNNPACK), the fp32 .tflite
(LiteRT, XNNPACK) and the fp32 .onnx (onnxruntime, CPU provider), per thread count.

Skips cleanly (exit 0, one line) without tf2onnx/onnxruntime or the shipped fp32 model. Results:
benchmarks/results/bench_onnx.{md,json}; the converted model goes to out/benchmarks/.
Run: python benchmarks/bench_onnx.py [--size 384] [--runs 20] [--threads 1,2]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("EDGESTYLE_SHARED", REPO.parent / "shared"))
RESULTS = REPO / "benchmarks" / "results"
WORK = REPO / "out" / "benchmarks"
FRAMES = 30


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=384, help="input side of the shipped model to use")
    parser.add_argument("--clip", type=Path, default=SHARED / "data" / "video" / "sintel_mountain_2")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", default=f"1,{os.cpu_count() or 1}")
    parser.add_argument("--out", type=Path, default=RESULTS)
    return parser.parse_args(argv)


def clip_frames(clip: Path, size: tuple[int, int]) -> tuple[list, str]:
    """30 RGB uint8 frames at the model size: the real clip if present, else a generated pan."""
    import cv2

    from edgestyle.synthetic import moving_scene

    if clip.exists():
        from edgestyle.runtime.video_io import read_frames

        frames = [f for _, f in zip(range(FRAMES), read_frames(clip), strict=False)]
        label = f"{len(frames)} frames of {clip.name}"
    else:
        frames, label = moving_scene(FRAMES, *size), f"{FRAMES} generated frames"
    rgb = [cv2.cvtColor(cv2.resize(f, size, interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB) for f in frames]
    return rgb, label


def fidelity(fp32: Path, onnx_path: Path, frames: list) -> dict:
    from edgestyle.evaluation.scoring import fidelity as scores
    from edgestyle.runtime.stylizer import Stylizer

    runs = {}
    for path in (fp32, onnx_path):
        stylizer = Stylizer(path, scene_cut_threshold=None)
        runs[path.suffix] = [stylizer.step(f) for f in frames]
    return scores(runs[".onnx"], runs[".tflite"])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    missing = [m for m in ("tf2onnx", "onnx", "onnxruntime") if importlib.util.find_spec(m) is None]
    if missing:
        print(f"skip: needs {', '.join(missing)} (pip install -e '.[onnx]')")
        return 0
    from edgestyle.conversion.onnx_export import convert_tflite_file
    from edgestyle.errors import EdgestyleError
    from edgestyle.runtime.models import default_model_path

    try:
        fp32 = default_model_path("*_fp32.tflite", prefer_size=args.size)
        int8 = default_model_path("*_int8.tflite", prefer_size=args.size)
    except EdgestyleError as exc:
        print(f"skip: {exc}")
        return 0
    WORK.mkdir(parents=True, exist_ok=True)
    onnx_path = convert_tflite_file(fp32, WORK / fp32.with_suffix(".onnx").name)
    frames, label = clip_frames(args.clip, (args.size, args.size))
    scores = fidelity(fp32, onnx_path, frames)
    bench_json = WORK / "bench_onnx_bench.json"
    bench = [sys.executable, "-c", "from edgestyle.cli import main; main()", "bench", str(int8), str(fp32)]
    bench += [
        str(onnx_path),
        "--threads",
        args.threads,
        "--runs",
        str(args.runs),
        "--warmup",
        str(args.warmup),
    ]
    subprocess.run([*bench, "--json", str(bench_json)], check=True)
    speed = json.loads(bench_json.read_text())

    from edgestyle.evaluation.report import bench_table, markdown_table

    lines = [
        "# ONNX (onnxruntime) vs LiteRT, same model",
        "",
        f"- machine: {speed['machine_line']}",
        f"- models: {int8.name} (LiteRT int8), {fp32.name} (LiteRT fp32), {onnx_path.name} "
        "(converted from that fp32 .tflite by tf2onnx's TFLite front end)",
        f"- command: `python benchmarks/bench_onnx.py --size {args.size} --runs {args.runs} --threads {args.threads}`",
        "",
        "## Fidelity: ONNX vs the fp32 .tflite, run recurrently",
        "",
        f"{label}, style: the model's default; uint8 outputs compared frame by frame.",
        "",
        "| PSNR over the clip | worst frame | mean SSIM |",
        "| --- | --- | --- |",
        f"| {scores['psnr']:.2f} dB | {scores['psnr_min']:.2f} dB | {scores['ssim']:.5f} |",
        "",
        f"## CPU latency, one `edgestyle bench` run ({args.runs} runs after {args.warmup} warm-up)",
        "",
        markdown_table(*bench_table(speed["rows"], speed["models"])),
        "",
        "TensorRT and CUDA were not measured: no GPU on this machine.",
    ]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench_onnx.md").write_text("\n".join(lines) + "\n")
    (args.out / "bench_onnx.json").write_text(
        json.dumps({"fidelity": scores, "clip": label, "bench": speed}, indent=2)
    )
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
