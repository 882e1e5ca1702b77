"""The live path under load: ``edgestyle run test:// -o http://127.0.0.1:0`` with 1, 3 and 10 viewers
plus 50 idle sockets, against ``-o null``, each for ``--seconds`` (5 minutes by default).

Every phase is the real CLI in its own process: ``run test://?size=640x480&fps=30&stamp=1
--side-by-side`` (the camera paced at 30 fps; ``stamp=1`` draws the capture time into the input
half, :mod:`edgestyle.runtime.stamp`). The phases run in the order ``-o null``, the preview with
each viewer count, ``-o null`` again, so load from other jobs that drifts over the run falls on the
peer too; the peer is the mean of the two null phases.

- camera fps: frames through the pipeline per second after the warm-up, from the run's own stats
  line (every 5 s), and its ratio to ``-o null``;
- frame age, glass to glass: each viewer (a separate process, so its CPU is not charged to the
  run) decodes every JPEG it receives and reads the stamp back; age = time it finished decoding
  minus capture time, in ms and in frame intervals at 30 fps (33.3 ms), and above the inference
  time the run reports (target: <= 2 intervals);
- RSS of the run process (``/proc/PID/status``) after the warm-up and at the end (target: < 5 %
  growth);
- 50 idle sockets connect and send nothing; the server drops each after 10 s and it reconnects
  at once (the churn of handler threads is part of what RSS must survive).

Results: benchmarks/results/load_preview.{md,json}.
Run: python benchmarks/load_preview.py [--seconds 300] [--warmup 30] [--viewers 1,3,10] [--idle 50]
     [--size 640x480] [--model M] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
FPS = 30.0
INTERVAL_MS = 1000.0 / FPS
STATS = re.compile(
    r"inference (?P<infer>[\d.]+) ms .* latency (?P<latency>\d+) ms .* \| (?P<frames>\d+) frames"
)
VIEWERS = r"""
import json, os, socket, sys, threading, time
import cv2, numpy as np
from edgestyle.runtime.stamp import BLOCK, age_ms, read_stamp
host, port, n, idle, seconds, warmup = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
start = time.monotonic()
ages = [[] for _ in range(n)]
frames = [0] * n
unreadable = [0] * n
reconnects = [0]
def view(i):
    sock = socket.create_connection((host, port))
    sock.sendall(b"GET /stream HTTP/1.1\r\nHost: bench\r\n\r\n")
    f = sock.makefile("rb")
    while f.readline() not in (b"\r\n", b""):  # response headers
        pass
    while True:
        length = 0
        while (line := f.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        if not length:
            if line == b"":
                return
            continue
        jpeg = f.read(length)
        grey = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_REDUCED_GRAYSCALE_2)
        now = time.monotonic()
        stamp = read_stamp(grey, BLOCK // 2)
        frames[i] += 1
        if now - start < warmup:
            continue
        if stamp is None:
            unreadable[i] += 1
        else:
            ages[i].append(age_ms(round(now * 1000), stamp))
def sit():
    while True:
        try:
            sock = socket.create_connection((host, port))
            sock.recv(1)  # nothing is sent; the server drops us after its 10 s timeout
            sock.close()
        except OSError:
            time.sleep(0.5)
        reconnects[0] += 1
for i in range(n):
    threading.Thread(target=view, args=(i,), daemon=True).start()
for _ in range(idle):
    threading.Thread(target=sit, daemon=True).start()
time.sleep(seconds)
print(json.dumps({"ages": ages, "frames": frames, "unreadable": unreadable, "idle_reconnects": reconnects[0]}), flush=True)
os._exit(0)  # not through interpreter shutdown while viewer threads are inside OpenCV
"""


def rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def run_phase(viewers: int | None, args: argparse.Namespace) -> dict:
    """One CLI run: ``-o null`` when ``viewers`` is None, else the preview with that many viewers."""
    sink = "null" if viewers is None else "http://127.0.0.1:0"
    cmd = [sys.executable, "-c", "from edgestyle.cli import main; main()", "run",
           f"test://?size={args.size}&fps={FPS:g}&stamp=1", "--side-by-side", "-o", sink]  # fmt: skip
    if args.model:
        cmd += ["-m", str(args.model)]
    proc = subprocess.Popen(
        cmd, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"}
    )
    lines: list[tuple[float, str]] = []
    url = threading.Event()
    found: list[str] = []

    def read() -> None:
        for line in proc.stderr:
            lines.append((time.monotonic(), line.rstrip()))
            if line.startswith("preview: "):
                found.append(line.split()[1])
                url.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    started = time.monotonic()
    clients = None
    if viewers is not None:
        if not url.wait(120):
            proc.kill()
            raise SystemExit(f"the preview did not start: {lines}")
        host, port = found[0].removeprefix("http://").rstrip("/").split(":")
        client_args = [host, port, str(viewers), str(args.idle), str(args.seconds), str(args.warmup)]
        clients = subprocess.Popen(
            [sys.executable, "-c", VIEWERS, *client_args], stdout=subprocess.PIPE, text=True
        )
    rss: list[tuple[float, float]] = []
    while time.monotonic() - started < args.seconds and proc.poll() is None:
        value = rss_mib(proc.pid)
        if value is not None:
            rss.append((time.monotonic() - started, value))
        time.sleep(5.0)
    received = json.loads(clients.communicate(timeout=120)[0]) if clients else None
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    reader.join(timeout=10)
    stats = [(t - started, STATS.search(text)) for t, text in lines]
    stats = [(t, float(m["infer"]), int(m["frames"]), float(m["latency"])) for t, m in stats if m]
    measured = [s for s in stats if s[0] >= args.warmup] or stats
    first, last = measured[0], measured[-1]
    fps = (last[2] - first[2]) / (last[0] - first[0]) if last[0] > first[0] else float("nan")
    after = [v for t, v in rss if t >= args.warmup] or [v for _, v in rss]
    result = {
        "sink": sink,
        "viewers": viewers or 0,
        "camera_fps": fps,
        "inference_ms": statistics.median(s[1] for s in measured),
        "pipeline_latency_ms": statistics.median(s[3] for s in measured),  # capture to sink.write, in the run
        "frames": last[2],
        "rss_start_mib": after[0],
        "rss_end_mib": after[-1],
        "rss_growth": after[-1] / after[0] - 1,
        "exit_code": proc.returncode,
    }
    if received is not None:
        ages = [a for per in received["ages"] for a in per]
        result.update(
            age_p50_ms=percentile(ages, 0.5),
            age_mean_ms=statistics.mean(ages) if ages else float("nan"),
            age_p95_ms=percentile(ages, 0.95),
            ages_measured=len(ages),
            viewer_fps=[n / args.seconds for n in received["frames"]],
            unreadable=sum(received["unreadable"]),
            idle_reconnects=received["idle_reconnects"],
        )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--warmup", type=float, default=30.0)
    parser.add_argument("--viewers", default="1,3,10")
    parser.add_argument("--idle", type=int, default=50)
    parser.add_argument("--size", default="640x480")
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    args.warmup = min(args.warmup, args.seconds / 3)
    from edgestyle.atomic import write_text_atomic
    from edgestyle.evaluation.machine import describe_machine, machine_info
    from edgestyle.evaluation.report import markdown_table
    from edgestyle.runtime.models import resolve_model

    model = resolve_model(args.model)
    phases: list[int | None] = [None, *(int(v) for v in args.viewers.split(",")), None]
    runs = []
    for viewers in phases:
        run = run_phase(viewers, args)
        runs.append(run)
        print(f"{run['sink']} {run['viewers']} viewers: {run['camera_fps']:.2f} fps", file=sys.stderr)
    peer = statistics.mean(r["camera_fps"] for r in runs if r["viewers"] == 0 and r["sink"] == "null")
    cells = []
    for r in runs:
        preview = r["sink"] != "null"
        age = r.get("age_mean_ms", float("nan"))
        above = (age - r["inference_ms"]) / INTERVAL_MS if preview else float("nan")
        cells.append([
            "-o null" if not preview else f"-o http:// + {r['viewers']} viewers + {args.idle} idle",
            f"{r['camera_fps']:.2f}", f"{r['camera_fps'] / peer:.3f}", f"{r['inference_ms']:.1f}",
            f"{r['pipeline_latency_ms']:.0f}",
            f"{age:.0f} / {r['age_p50_ms']:.0f} / {r['age_p95_ms']:.0f}" if preview else "-",
            f"{age / INTERVAL_MS:.2f}" if preview else "-",
            f"{above:.2f}" if preview else "-",
            f"{r['rss_start_mib']:.1f} -> {r['rss_end_mib']:.1f} ({100 * r['rss_growth']:+.1f} %)",
            ", ".join(f"{v:.1f}" for v in r.get("viewer_fps", [])) or "-",
        ])  # fmt: skip
    http = [r for r in runs if r["sink"] != "null"]
    worst_above = (
        max((r["age_mean_ms"] - r["inference_ms"]) / INTERVAL_MS for r in http) if http else float("nan")
    )
    worst_rss = max(r["rss_growth"] for r in runs)
    text = "\n".join(
        [
            "# The live path under load: preview with 1, 3 and 10 viewers plus idle sockets vs `-o null`",
            "",
            f"Machine: {describe_machine(machine_info())}. `edgestyle run test://?size={args.size}&fps=30&stamp=1 "
            f"--side-by-side`, {model.name}; {args.seconds:g} s per phase, the first {args.warmup:g} s are warm-up; "
            f"phases in the order shown; peer = mean of the two `-o null` phases ({peer:.2f} fps).",
            "",
            markdown_table(
                [
                    "sink",
                    "camera fps",
                    "vs null",
                    "inference ms",
                    "pipeline latency ms",
                    "frame age mean / p50 / p95 ms",
                    "age mean in intervals",
                    "mean age above inference, intervals",
                    "RSS MiB after warm-up -> end",
                    "viewer fps",
                ],
                cells,
            ),  # fmt: skip
            "",
            f"Frame age is glass to glass: capture time drawn into the frame, read back by a viewer process after it "
            f"decoded the JPEG; one interval is {INTERVAL_MS:.1f} ms (30 fps). Inference and pipeline latency (capture "
            f"to the sink's write, inside the run) are the medians of the run's own 5 s means. Target: mean age at most 2 intervals "
            f"above the inference time (worst here: **{worst_above:.2f}**); RSS growth after warm-up under 5 % "
            f"(worst here: **{100 * worst_rss:+.1f} %**).",
        ]
    )
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(args.out / "load_preview.md", text + "\n")
    write_text_atomic(
        args.out / "load_preview.json",
        json.dumps(
            {"machine": machine_info(), "args": {k: str(v) for k, v in vars(args).items()}, "runs": runs},
            indent=2,
        )
        + "\n",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
