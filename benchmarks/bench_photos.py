"""Photos: ``edgestyle stylize FOLDER -o FOLDER`` over the 24 Kodak and 68 BSD images (mixed sizes and
orientations: 768x512, 512x768, 481x321, 321x481), photos per second and every output's size.

The two sets are linked into one temporary folder (``../shared/data/photos/{kodak24,bsd68}``; skips,
exit 0, when they are absent) and stylized ``--rounds`` times with the default model by the real
command. The table lists, per input size, how many photos had it and how many outputs came back at
exactly that size; ``photos/s`` is the command's own summary line (model loaded, reading, stylizing
and writing every photo), ``wall s`` the whole command including start-up.
Results: benchmarks/results/bench_photos.{md,json}.
Run: python benchmarks/bench_photos.py [--rounds 2] [--style starry] [--threads N]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("EDGESTYLE_SHARED", REPO.parent / "shared"))
RESULTS = REPO / "benchmarks" / "results"
CLI = [sys.executable, "-c", "from edgestyle.cli import main; main()"]
SUMMARY = re.compile(r"stylized (\d+) photos? in ([\d.]+) s \(([\d.]+) photos/s\)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--style", default=None)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--shared", type=Path, default=SHARED, help="the shared folder holding data/photos")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    photos = [args.shared / "data" / "photos" / "kodak24", args.shared / "data" / "photos" / "bsd68"]
    if not all(folder.is_dir() for folder in photos):
        print(f"skipped: {photos[0].parent} has no kodak24/ and bsd68/")
        return 0
    import cv2

    from edgestyle.atomic import write_text_atomic
    from edgestyle.evaluation.machine import describe_machine, machine_info
    from edgestyle.evaluation.report import markdown_table

    machine = machine_info()
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench_photos.") as tmp:
        src = Path(tmp) / "photos"
        src.mkdir()
        for folder in photos:
            for photo in sorted(folder.glob("*.png")):
                (src / f"{folder.name}_{photo.name}").symlink_to(photo)
        sizes = {p.name: cv2.imread(str(p)).shape[1::-1] for p in src.iterdir()}
        extra = [
            *(["--style", args.style] if args.style else []),
            *(["--threads", str(args.threads)] if args.threads else []),
        ]
        for index in range(args.rounds):
            dst = Path(tmp) / f"styled{index}"
            start = time.perf_counter()
            proc = subprocess.run(
                [*CLI, "stylize", str(src), "-o", str(dst), *extra], capture_output=True, text=True
            )
            wall = time.perf_counter() - start
            if proc.returncode != 0:
                raise SystemExit(f"stylize failed: {proc.stderr.strip()}")
            count, seconds, rate = SUMMARY.search(proc.stderr).groups()
            same = collections.Counter()
            for name, size in sizes.items():
                out = cv2.imread(str(dst / name))
                same[f"{size[0]}x{size[1]}"] += out is not None and out.shape[1::-1] == size
            runs.append({"round": index + 1, "photos": int(count), "seconds": float(seconds),
                         "photos_per_s": float(rate), "wall_s": wall, "same_size": dict(same),
                         "summary": proc.stderr.strip().splitlines()[-1]})  # fmt: skip
            print(f"round {index + 1}/{args.rounds}: {rate} photos/s", file=sys.stderr)
    by_size = collections.Counter(f"{w}x{h}" for w, h in sizes.values())
    size_table = markdown_table(
        ["input size", "photos", *[f"same size out, round {r['round']}" for r in runs]],
        [
            [size, str(n), *[str(r["same_size"].get(size, 0)) for r in runs]]
            for size, n in by_size.most_common()
        ],
    )
    rate_table = markdown_table(
        ["round", "photos", "stylize s", "photos/s", "wall s"],
        [[str(r["round"]), str(r["photos"]), f"{r['seconds']:.1f}", f"{r['photos_per_s']:.2f}", f"{r['wall_s']:.1f}"] for r in runs],
    )  # fmt: skip
    text = "\n".join(
        [
            "# Photos: Kodak 24 + BSD 68, folder -> folder with `edgestyle stylize`",
            "",
            f"Machine: {describe_machine(machine)}. Summary line of the last round: `{runs[-1]['summary']}`",
            "",
            rate_table,
            "",
            size_table,
        ]
    )
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(args.out / "bench_photos.md", text + "\n")
    payload = {"machine": machine, "sizes": dict(by_size), "runs": runs}
    write_text_atomic(args.out / "bench_photos.json", json.dumps(payload, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
