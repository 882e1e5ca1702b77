"""Memory over a long live run: resident memory sampled while test:// -> stylizer -> null runs flat out.

A live view runs for hours, so anything the pipeline keeps per frame shows up here as a steady
rise in RSS. The first sample is taken after a warm-up (allocator pools, interpreter arenas), and
the script reports the growth from there and the growth per 100k frames. Not a bench_*.py
script, so ``make bench`` skips it: it runs for as long as you ask.
Run: python benchmarks/soak_pipeline.py [--seconds 120] [--model PATH]
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--model", type=Path, default=REPO / "tests" / "data" / "tiny_stateful_int8.tflite")
    parser.add_argument("--source", default="test://?size=640x480&fps=0")
    parser.add_argument("--samples", type=int, default=8)
    args = parser.parse_args(argv)
    from edgestyle.evaluation.machine import describe_machine, machine_info
    from edgestyle.runtime.pipeline import Pipeline
    from edgestyle.runtime.sinks import NullSink
    from edgestyle.runtime.sources import open_source
    from edgestyle.runtime.stylizer import Stylizer

    pipeline = Pipeline(open_source(args.source), Stylizer(args.model), NullSink(), overlay=True)
    runner = threading.Thread(target=pipeline.run, daemon=True)
    runner.start()
    time.sleep(min(10.0, args.seconds / 5))  # warm-up
    samples = []
    for i in range(args.samples):
        samples.append((pipeline.frames, rss_mib()))
        print(f"frames {samples[-1][0]:>8}  rss {samples[-1][1]:7.1f} MiB", file=sys.stderr)
        if i < args.samples - 1:
            time.sleep(args.seconds / args.samples)
    pipeline.stop("soak finished")
    runner.join(timeout=10)
    (f0, m0), (f1, m1) = samples[0], samples[-1]
    per_100k = (m1 - m0) / max(1, f1 - f0) * 100_000
    print(f"Machine: {describe_machine(machine_info())}")
    print(f"{args.source} -> {args.model.name} -> null, overlay on, {args.seconds:.0f} s after warm-up")
    print(
        f"frames {f1 - f0}, RSS {m0:.1f} -> {m1:.1f} MiB ({m1 - m0:+.1f} MiB, {per_100k:+.2f} MiB per 100k frames)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
