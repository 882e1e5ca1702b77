"""The browser preview's cost: camera-side fps with ``-o http://...`` and 3 viewers vs ``-o null``.

The real pipeline (``test://`` camera paced at 30 fps, ``--size`` frames, the default model loaded
once, the threaded Pipeline) runs in short windows of ``--seconds``, alternating null / preview
over ``--rounds`` rounds, so load from other processes falls on both alike. In preview mode three
viewers read ``/stream`` over loopback the whole window from a separate process (raw sockets that
only count bytes and frame boundaries; real viewers sit on other machines), so their CPU is not
charged to the pipeline. ``camera fps`` is frames through the pipeline per second; ``CPU ms/frame``
the pipeline process's user+system time per frame (the preview's own cost, least disturbed by
background load); ``vs null`` the median over rounds of preview fps / null fps in the same round
(target: >= 0.95).
Results: benchmarks/results/bench_preview.{md,json}.
Run: python benchmarks/bench_preview.py [--seconds 4] [--rounds 15] [--size 640x480] [--viewers 3]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
VIEWERS = r"""
import socket, sys, threading, time
host, port, n, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
counts = [[0, 0] for _ in range(n)]
def read(i):
    sock = socket.create_connection((host, port))
    sock.sendall(b"GET /stream HTTP/1.1\r\nHost: bench\r\n\r\n")
    buffer = bytearray(1 << 20)
    while True:
        got = sock.recv_into(buffer)
        if not got:
            return
        counts[i][0] += got
        counts[i][1] += bytes(buffer[:got]).count(b"--edgestyle-frame")
for i in range(n):
    threading.Thread(target=read, args=(i,), daemon=True).start()
time.sleep(seconds)
print(" ".join(f"{b}:{p}" for b, p in counts), flush=True)
"""


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_mode(stylizer, mode: str, seconds: float, size: tuple[int, int], viewers: int) -> dict:
    from edgestyle.runtime.pipeline import Pipeline
    from edgestyle.runtime.sinks import open_sink
    from edgestyle.runtime.sources.pattern import PatternSource

    stylizer.reset()
    source = PatternSource(size=size, fps=30)
    sink = open_sink("null" if mode == "null" else "http://127.0.0.1:0")
    clients = None
    if mode != "null":
        args = [sink.host, str(sink.port), str(viewers), str(seconds)]
        clients = subprocess.Popen([sys.executable, "-c", VIEWERS, *args], stdout=subprocess.PIPE, text=True)
    pipeline = Pipeline(source, stylizer, sink)
    timer = threading.Timer(seconds, pipeline.stop, args=("time",))
    used = cpu()
    timer.start()
    stats = pipeline.run()
    used = cpu() - used
    received = clients.communicate(timeout=30)[0].split() if clients else []
    sink.close()
    return {
        "mode": mode,
        "camera_fps": stats.frames / stats.elapsed_s,
        "frames": stats.frames,
        "cpu_ms_per_frame": 1000 * used / max(1, stats.frames),
        "dropped_before_inference": stats.dropped_capture,
        "viewer_fps": [int(r.split(":")[1]) / stats.elapsed_s for r in received],
        "viewer_mbit_s": [8 * int(r.split(":")[0]) / stats.elapsed_s / 1e6 for r in received],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--size", default="640x480")
    parser.add_argument("--viewers", type=int, default=3)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    from edgestyle.atomic import write_text_atomic
    from edgestyle.evaluation.machine import describe_machine, machine_info
    from edgestyle.evaluation.report import markdown_table
    from edgestyle.runtime.models import resolve_model
    from edgestyle.runtime.stylizer import Stylizer
    from edgestyle.sizes import parse_size

    model = resolve_model(args.model)
    stylizer = Stylizer(model)
    size = parse_size(args.size)
    runs = []
    for index in range(args.rounds):
        order = ("null", "preview") if index % 2 == 0 else ("preview", "null")
        for mode in order:
            run = {"round": index + 1, **run_mode(stylizer, mode, args.seconds, size, args.viewers)}
            runs.append(run)
            print(f"round {run['round']} {mode}: {run['camera_fps']:.2f} fps", file=sys.stderr)
    ratios = [
        next(r for r in runs if r["round"] == i and r["mode"] == "preview")["camera_fps"]
        / next(r for r in runs if r["round"] == i and r["mode"] == "null")["camera_fps"]
        for i in range(1, args.rounds + 1)
    ]
    cpu_null = statistics.median(r["cpu_ms_per_frame"] for r in runs if r["mode"] == "null")
    cpu_preview = statistics.median(r["cpu_ms_per_frame"] for r in runs if r["mode"] != "null")
    cells = [
        [str(r["round"]), "-o null" if r["mode"] == "null" else f"-o http:// + {args.viewers} viewers",
         f"{r['camera_fps']:.2f}", f"{r['cpu_ms_per_frame']:.1f}", str(r["dropped_before_inference"]),
         ", ".join(f"{v:.1f}" for v in r["viewer_fps"]) or "-",
         ", ".join(f"{v:.1f}" for v in r["viewer_mbit_s"]) or "-"]
        for r in runs
    ]  # fmt: skip
    text = "\n".join(
        [
            "# Browser preview: camera-side fps with 3 viewers vs `-o null`",
            "",
            f"Machine: {describe_machine(machine_info())}. `test://` at {args.size}, 30 fps; {model.name}; "
            f"{args.seconds:g} s per mode, alternating.",
            "",
            markdown_table(
                ["round", "sink", "camera fps", "CPU ms/frame", "dropped", "viewer fps", "viewer Mbit/s"],
                cells,
            ),
            "",
            f"Preview fps / null fps, median over {args.rounds} rounds: **{statistics.median(ratios):.3f}** "
            f"(per round: {', '.join(f'{x:.3f}' for x in ratios)}). Median CPU per frame: "
            f"{cpu_null:.1f} ms with `-o null`, {cpu_preview:.1f} ms with the preview and its viewers.",
        ]
    )
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(args.out / "bench_preview.md", text + "\n")
    write_text_atomic(
        args.out / "bench_preview.json",
        json.dumps({"machine": machine_info(), "runs": runs, "ratios": ratios}, indent=2) + "\n",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
