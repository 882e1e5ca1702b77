"""Shareable video files: ``edgestyle stylize`` end to end with the PyAV writer (H.264 MP4, audio copied)
against the OpenCV writer (MPEG-4 Part 2, no audio), same clip, same model, alternating in one run.

The clip is generated (no download): ``--frames`` frames of :func:`edgestyle.synthetic.moving_scene`
at ``--size`` and ``--fps`` with a stereo AAC tone as long as the video, written by PyAV under a
temporary folder (``--clip`` reuses one). Each round runs ``edgestyle stylize CLIP -o OUT.mp4``
once per backend (``EDGESTYLE_VIDEO_BACKEND``), in alternating order, and every output is probed
with PyAV: decoded frame count, video and audio duration against the input's.

Columns: ``loop fps`` is the summary line's frames per second (decode + model + encode, model
already loaded); ``wall s`` the whole command; ``CPU ms/frame`` user+system time of the command
per frame (all threads), which background load disturbs least; ``vs OpenCV`` the median over
rounds of PyAV's loop time / OpenCV's loop time in the same round (target: <= 1.10).
Synthetic noise compresses unlike camera footage: quote file sizes from real clips, not these.
Results: benchmarks/results/bench_video.{md,json}. Needs PyAV; skips (exit 0) without it.
Run: python benchmarks/bench_video.py [--frames 300] [--size 1920x1080] [--rounds 2] [--clip PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
CLI = [sys.executable, "-c", "from edgestyle.cli import main; main()"]
SUMMARY = re.compile(r"wrote (\d+) frames .* in ([\d.]+) s \(([\d.]+) fps\)")


def media_facts(path: Path) -> dict:
    """Codec names, decoded video frames, and stream durations (s) as the container states them."""
    import av

    facts: dict = {"bytes": path.stat().st_size}
    with av.open(str(path)) as container:
        for stream in container.streams:
            seconds = float(stream.duration * stream.time_base) if stream.duration else None
            facts[f"{stream.type}_codec"] = stream.codec_context.codec.canonical_name
            facts[f"{stream.type}_s"] = seconds
        facts["video_frames"] = sum(1 for _ in container.decode(video=0))
    return facts


def cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def stylize(clip: Path, out: Path, backend: str, threads: int | None) -> dict:
    env = {**os.environ, "EDGESTYLE_VIDEO_BACKEND": backend}
    extra = ["--threads", str(threads)] if threads else []
    cpu, start = cpu_of_children(), time.perf_counter()
    proc = subprocess.run(
        [*CLI, "stylize", str(clip), "-o", str(out), *extra], env=env, capture_output=True, text=True
    )
    wall, cpu = time.perf_counter() - start, cpu_of_children() - cpu
    if proc.returncode != 0:
        raise SystemExit(f"stylize failed with {backend}: {proc.stderr.strip()}")
    frames, loop_s, fps = SUMMARY.search(proc.stderr).groups()
    return {"backend": backend, "wall_s": wall, "loop_s": float(loop_s), "loop_fps": float(fps),
            "cpu_ms_per_frame": 1000 * cpu / int(frames), **media_facts(out)}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=None, help="interpreter threads (default: all cores)")
    parser.add_argument("--clip", type=Path, default=None, help="use this clip instead of generating one")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    try:
        import av  # noqa: F401
    except ImportError:
        print("skipped: PyAV is not installed (pip install av)")
        return 0
    from edgestyle.atomic import write_text_atomic
    from edgestyle.evaluation.machine import describe_machine, machine_info
    from edgestyle.evaluation.report import markdown_table
    from edgestyle.sizes import parse_size
    from edgestyle.synthetic import write_clip_with_audio

    machine = machine_info()
    with tempfile.TemporaryDirectory(prefix="bench_video.") as tmp:
        clip = args.clip
        if clip is None:
            clip = Path(tmp) / "clip.mp4"
            write_clip_with_audio(str(clip), args.frames, parse_size(args.size), args.fps)
        source = media_facts(clip)
        runs = []
        for round_index in range(args.rounds):
            order = ("pyav", "opencv") if round_index % 2 == 0 else ("opencv", "pyav")
            for backend in order:
                run = stylize(clip, Path(tmp) / f"out_{backend}.mp4", backend, args.threads)
                runs.append({"round": round_index, **run})
                print(
                    f"round {round_index + 1}/{args.rounds} {backend}: {run['loop_fps']:.2f} fps",
                    file=sys.stderr,
                )

    def same(run: dict, key: str) -> str:
        mine, theirs = run.get(key), source.get(key)
        if mine is None:
            return "none"
        return f"{mine:.3f}" + (
            " (=)" if theirs is not None and abs(mine - theirs) < 1e-6 else f" (input {theirs})"
        )

    ratios = [
        next(r for r in runs if r["round"] == i and r["backend"] == "pyav")["loop_s"]
        / next(r for r in runs if r["round"] == i and r["backend"] == "opencv")["loop_s"]
        for i in range(args.rounds)
    ]
    headers = [
        "round",
        "writer",
        "codecs",
        "frames",
        "video s",
        "audio s",
        "MB",
        "loop fps",
        "wall s",
        "CPU ms/frame",
    ]
    cells = [
        [str(r["round"] + 1), r["backend"], f"{r['video_codec']} + {r.get('audio_codec', 'no audio')}",
         str(r["video_frames"]), same(r, "video_s"), same(r, "audio_s"), f"{r['bytes'] / 1e6:.1f}",
         f"{r['loop_fps']:.2f}", f"{r['wall_s']:.1f}", f"{r['cpu_ms_per_frame']:.0f}"]
        for r in runs
    ]  # fmt: skip
    text = "\n".join(
        [
            "# Video files: PyAV (H.264 + audio) vs OpenCV (mp4v) writer, `edgestyle stylize` end to end",
            "",
            f"Machine: {describe_machine(machine)}. Input: {source['video_frames']} frames "
            f"{args.size} at {args.fps} fps, {source['video_codec']} + {source.get('audio_codec')}, video "
            f"{source['video_s']:.3f} s, audio {source.get('audio_s') or 0:.3f} s"
            f"{' (generated)' if args.clip is None else f' ({args.clip})'}.",
            "",
            markdown_table(headers, cells),
            "",
            f"PyAV loop time / OpenCV loop time, median over {args.rounds} rounds: "
            f"**{statistics.median(ratios):.2f}** (per round: {', '.join(f'{x:.2f}' for x in ratios)}).",
        ]
    )
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(args.out / "bench_video.md", text + "\n")
    payload = {"machine": machine, "input": source, "runs": runs, "ratio_pyav_to_opencv": ratios}
    write_text_atomic(args.out / "bench_video.json", json.dumps(payload, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
