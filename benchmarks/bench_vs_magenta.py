"""Our default model against the Magenta transfer model in ../shared/anchors, in one run.

Speed: ``edgestyle bench`` on our default int8 model (when one is shipped in models/), the Magenta
fp16 and int8-weight transfer networks, per thread count, ratios to the first row.
Flicker: ``edgestyle eval`` on the Sintel clip at 384x384 with the Magenta folder (predictor once
on the style image, transfer network per frame) beside our model, with the input's own warping
error as the floor.

Skips cleanly (exit 0, one line) when the anchors are absent. Results go to
benchmarks/results/bench_vs_magenta.{md,json} with the machine they ran on; the contact
sheet and stability plot go to out/benchmarks/vs_magenta_eval/.
Run: python benchmarks/bench_vs_magenta.py [--runs 10] [--threads 1,2]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("EDGESTYLE_SHARED", REPO.parent / "shared"))
RESULTS = REPO / "benchmarks" / "results"
PICTURES = REPO / "out" / "benchmarks"  # ignored by git: contact sheets are megabytes


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--anchors", type=Path, default=SHARED / "anchors", help="Magenta anchors folder")
    parser.add_argument("--model", type=Path, default=None, help="our model (default: the one in models/)")
    parser.add_argument("--clip", type=Path, default=SHARED / "data" / "video" / "sintel_mountain_2")
    parser.add_argument(
        "--style-image",
        type=Path,
        default=None,
        help="default: the image our model was trained on (if recorded), else starry_night_van_gogh.jpg",
    )
    parser.add_argument("--frames", type=int, default=50)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", default=f"1,{os.cpu_count() or 1}")
    parser.add_argument("--out", type=Path, default=RESULTS)
    return parser.parse_args(argv)


def our_model(explicit: Path | None) -> Path | None:
    from edgestyle.errors import EdgestyleError
    from edgestyle.runtime.models import default_model_path

    if explicit is not None:
        return explicit
    try:
        return default_model_path()
    except EdgestyleError:
        return None


def style_image_for(ours: Path | None, explicit: Path | None) -> Path:
    """Judge both models against the style our model was trained on, so the comparison is fair."""
    if explicit is not None:
        return explicit
    if ours is not None:
        from edgestyle.evaluation.evaluate import recorded_style_image
        from edgestyle.evaluation.runner import open_tflite

        recorded = recorded_style_image([open_tflite(ours)], None)
        if recorded:
            return Path(recorded)
    return SHARED / "styles" / "starry_night_van_gogh.jpg"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    transfers = {
        "magenta fp16": args.anchors / "style_transfer_f16_384.tflite",
        "magenta int8-weights": args.anchors / "style_transfer_quantized_384.tflite",
    }
    if not all(p.is_file() for p in transfers.values()):
        print(f"skipped: Magenta anchors not found in {args.anchors}")
        return 0

    from edgestyle.evaluation.bench import run_bench
    from edgestyle.evaluation.machine import describe_machine, machine_info
    from edgestyle.evaluation.report import (
        bench_table,
        eval_table,
        markdown_table,
        write_json,
    )

    ours = our_model(args.model)
    paths = ([ours] if ours else []) + list(transfers.values())
    labels = ([f"edgestyle {ours.name}"] if ours else []) + list(transfers)
    threads = [int(t) for t in dict.fromkeys(args.threads.split(","))]
    machine = machine_info()
    print(f"machine: {describe_machine(machine)}", file=sys.stderr)
    facts, rows = run_bench(paths, ["xnnpack"], threads, args.runs, args.warmup, labels=labels)
    speed = {"models": [vars(f) for f in facts], "rows": [r.to_dict() for r in rows]}
    sections = [
        "# edgestyle vs Magenta (../shared/anchors)",
        "",
        f"Machine: {describe_machine(machine)}.",
        "",
        f"## Speed (XNNPACK; median of {args.runs} invocations after {args.warmup} warm-up, models interleaved)",
        "",
        markdown_table(*bench_table(speed["rows"], speed["models"])),
    ]
    if ours is None:
        sections += ["", "No shipped model in models/: only the Magenta networks were timed."]

    flicker = None
    args.style_image = style_image_for(ours, args.style_image)
    if args.clip.exists() and args.style_image.is_file():
        from edgestyle.evaluation.evaluate import evaluate_video

        models = ([str(ours)] if ours else []) + [str(args.anchors)]
        flicker = evaluate_video(
            args.clip, models, PICTURES / "vs_magenta_eval", style_image=str(args.style_image),
            frames=args.frames, size=(384, 384),
        )  # fmt: skip
        sections += [
            "",
            f"## Flicker and style on `{args.clip.name}` ({flicker['clip']['frames']} frames at 384x384, "
            f"style `{args.style_image.name}`; Magenta = predictor + fp16 transfer network)",
            "",
            markdown_table(*eval_table(flicker)),
            "",
            f"Pictures and the full report: `{(PICTURES / 'vs_magenta_eval').relative_to(REPO)}/` "
            "(contact_sheet.png, stability.png, report.json; not committed).",
        ]
    else:
        sections += ["", f"Flicker skipped: clip {args.clip} or style image {args.style_image} not found."]

    text = "\n".join(sections) + "\n"
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    from edgestyle.atomic import write_text_atomic

    write_text_atomic(args.out / "bench_vs_magenta.md", text)
    write_json(
        args.out / "bench_vs_magenta.json",
        {
            "machine": machine,
            "speed": speed,
            "flicker": flicker and {k: flicker[k] for k in ("clip", "rows")},
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
