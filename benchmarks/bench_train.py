"""Training speed: steps per second of ``edgestyle train`` configurations on this machine's CPU.

Trains each configuration for a few steps on generated footage (no data needed) with the cartoon
teacher, discards the first steps (graph tracing, pipeline warm-up), and prints a table of
steps/s, trained frames/s and the ratio to the default configuration measured in the same run.

    python benchmarks/bench_train.py [--steps 20] [--preview MODEL_DIR --clip FRAMES_DIR]
    python benchmarks/bench_train.py --recipe [--before REV] [--steps 100] [--rounds 2]
        [--variant runtime.jit=true] [--no-breakdown]

``--recipe`` times the default recipe itself: the ``edgestyle train`` command of
``models/make_default.sh`` (read from the script, so it cannot drift; on ../shared, or generated
footage where it is absent) through the real CLI, for this checkout and for ``--before REV`` (a
git worktree of that revision, e.g. the main of the last session) with *that* revision's recipe and
with this one's, in alternating rounds; steps/s come from the TensorBoard wall times of the steps
after the warm-up. Then a per-part breakdown of one step of this checkout's recipe (data, generator
forward and backward, loss network, discriminators, optimizer). Results:
benchmarks/results/bench_train_recipe.{md,json}.

``--preview`` also prints warping errors and student-teacher L1 of a trained model directory on a
real clip (see edgestyle/train/preview.py) and writes a contact sheet next to it.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def make_footage(root: Path, count: int = 12) -> Path:
    import cv2

    from edgestyle.synthetic import moving_scene

    folder = root / "stills"
    folder.mkdir(parents=True, exist_ok=True)
    for seed in range(count):
        cv2.imwrite(
            str(folder / f"still{seed:02d}.png"), moving_scene(frames=1, width=320, height=240, seed=seed)[0]
        )
    return folder


def measure(name: str, overrides: list[str], data: Path, steps: int, warmup: int, root: Path) -> dict:
    from edgestyle.train.config import load_config
    from edgestyle.train.run import train_model
    from edgestyle.train.styles import StyleSource

    config = load_config(
        None,
        [
            f"schedule.max_steps={steps + warmup}",
            "schedule.checkpoint_every=100000",
            "schedule.image_every=0",
            *overrides,
        ],
    )
    stamps: list[float] = []
    styles = [StyleSource("cartoon", teacher="cartoon"), StyleSource("paint", teacher="stylization")]
    summary = train_model(
        [str(data)],
        root / name,
        styles,
        config,
        root / "cache",
        progress=False,
        on_step=lambda s, _: stamps.append(time.perf_counter()),
    )
    timed = stamps[warmup - 1 :]
    rate = (len(timed) - 1) / (timed[-1] - timed[0])
    return {
        "config": name,
        "gmac": summary["macs_per_frame"] / 1e9,
        "params": summary["params"],
        "steps_per_s": rate,
        "frames_per_s": rate * config.data.batch * config.data.clip_len,
        "shape": f"{config.data.batch}x{config.data.clip_len}x{config.data.crop}px",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20, help="timed steps per configuration")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--preview", type=Path, help="a trained model directory to preview")
    parser.add_argument("--clip", type=Path, default=Path("../shared/data/video/sintel_mountain_2"))
    parser.add_argument("--recipe", action="store_true", help="time the default recipe (see above)")
    parser.add_argument("--before", default=None, help="with --recipe: a git revision to compare with")
    parser.add_argument("--rounds", type=int, default=2, help="with --recipe: alternating rounds")
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        help="with --recipe: also time the recipe with this --set (repeatable), e.g. runtime.jit=true",
    )
    parser.add_argument("--no-breakdown", action="store_true", help="with --recipe: skip the per-part table")
    args = parser.parse_args()
    if args.recipe:
        from recipe_speed import bench_recipe

        bench_recipe(
            args.before, max(args.steps, 40), args.rounds, args.warmup, args.variant, not args.no_breakdown
        )
        return

    configs = {
        "default (gru)": [],
        "lstm": ["model.cell=lstm"],
        "state 48": ["model.state_channels=48"],
        "tiny": ["model.base_channels=8", "model.res_blocks=1"],
    }
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data = make_footage(root)
        for name, overrides in configs.items():
            print(f"measuring {name} ...", file=sys.stderr, flush=True)
            rows.append(measure(name.split()[0], overrides, data, args.steps, args.warmup, root))
            rows[-1]["config"] = name
    base = rows[0]["steps_per_s"]
    print(
        f"{'config':<15} {'GMAC/frame@384':>14} {'params':>8} {'batch':>12} {'steps/s':>8} {'frames/s':>9} {'vs default':>10}"
    )
    for r in rows:
        print(
            f"{r['config']:<15} {r['gmac']:>14.3f} {r['params']:>8,} {r['shape']:>12} {r['steps_per_s']:>8.2f} "
            f"{r['frames_per_s']:>9.1f} {r['steps_per_s'] / base:>9.2f}x"
        )
    if args.preview:
        preview_model(args.preview, args.clip)


def preview_model(model_dir: Path, clip: Path) -> None:
    import cv2

    from edgestyle.runtime.video_io import image_files
    from edgestyle.train.preview import preview

    if not clip.is_dir():
        print(f"skipping preview: no clip at {clip}", file=sys.stderr)
        return
    frames = []
    for f in image_files(clip)[:24]:
        bgr = cv2.imread(str(f))
        h, w = bgr.shape[:2]
        size = (384, int(round(384 * h / w / 4)) * 4)
        frames.append(cv2.cvtColor(cv2.resize(bgr, size, interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB))
    sheet = model_dir.parent / f"{model_dir.name}_preview.png"
    print(
        f"\n{'style':<10} {'warp err input':>14} {'teacher':>9} {'student':>9} {'student/teacher':>15} {'L1 to teacher':>13}"
    )
    for r in preview(model_dir, frames, sheet):
        ratio = r["student_warp_error"] / r["teacher_warp_error"] if r["teacher_warp_error"] else float("nan")
        l1 = r["student_teacher_l1"] if r["student_teacher_l1"] is not None else float("nan")
        print(
            f"{r['style']:<10} {r['input_warp_error']:>14.5f} {r['teacher_warp_error'] or float('nan'):>9.5f} "
            f"{r['student_warp_error']:>9.5f} {ratio:>15.3f} {l1:>13.4f}"
        )
    print(f"contact sheet (input | teacher | student per style): {sheet}")


if __name__ == "__main__":
    main()
