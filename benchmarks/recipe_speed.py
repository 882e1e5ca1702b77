"""``bench_train.py --recipe``: steps/s of the default recipe, before and after, and where a step goes.

The recipe is read from ``models/make_default.sh`` by running the script with ``edgestyle`` replaced
by a shell function that prints the ``train`` arguments and stops, so the benchmark trains exactly
what the script would. Each measurement is the real CLI in a subprocess (``PYTHONPATH`` picks the
checkout: this one, or a git worktree of ``--before``); steps/s come from the TensorBoard wall
times of the steps after the warm-up (graph tracing, data loading and teachers are left out).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("EDGESTYLE_SHARED", REPO.parent / "shared"))
RESULTS = REPO / "benchmarks" / "results"
WORK = REPO / "out" / "benchmarks" / "recipe"
LOG_EVERY = 5
# Parts of a step, measured by switching them off in the recipe (the step without them is faster by
# what they cost); the rest is the main generator pass, its gradients, the optimizer and data.
ABLATIONS = {
    "loss network (style, colour, content)": ["weights.style=0", "weights.colour=0", "weights.content=0"],
    "discriminators (gan, temporal_gan)": ["weights.gan=0", "weights.temporal_gan=0"],
    "consistency passes (shift, noise, flow)": ["weights.shift=0", "weights.noise=0", "weights.flow=0"],
}


def recipe_arguments(checkout: Path, data_root: Path, work: Path) -> list[str]:
    """The ``edgestyle train`` arguments of ``checkout``'s make_default.sh."""
    shim = (
        'edgestyle() { if [ "$1" = train ]; then "$PYTHON" -c '
        '"import json, sys; print(json.dumps(sys.argv[1:]))" "$@"; exit 0; fi; }; export -f edgestyle; '
        'bash "$SCRIPT"'
    )
    env = {
        **os.environ,
        "PYTHON": sys.executable,
        "SCRIPT": str(checkout / "models" / "make_default.sh"),
        "SHARED": str(data_root),
        "WORK": str(work),
        "FRESH": "1",
    }
    out = subprocess.run(["bash", "-c", shim], capture_output=True, text=True, env=env, check=True).stdout
    lines = [line for line in out.splitlines() if line.startswith("[")]
    if not lines:
        raise SystemExit(f"no edgestyle train command in {checkout}/models/make_default.sh ({out.strip()})")
    return json.loads(lines[-1])[1:]  # without "train"


def for_timing(args: list[str], out: Path, cache: Path, steps: int, extra: list[str]) -> list[str]:
    """The recipe's arguments with the run's length, output and logging set for timing."""
    drop = {"--max-steps", "--time-budget", "--checkpoint-every", "--out", "--cache-dir"}
    kept: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in drop:
            skip = True
        else:
            kept.append(arg)
    settings = [f"log_every={LOG_EVERY}", "image_every=0", *extra]
    return [
        *kept,
        *(item for setting in settings for item in ("--set", setting)),
        "--max-steps", str(steps), "--checkpoint-every", "100000",
        "--out", str(out), "--cache-dir", str(cache), "--quiet",
    ]  # fmt: skip


def logged_rate(log_dir: Path, warmup: int) -> float:
    """Steps per second between the first logged step after ``warmup`` and the last one."""
    import tensorflow as tf

    points = []
    for events in sorted(log_dir.glob("events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(str(events)):
            if any(v.tag == "loss/g_total" for v in event.summary.value):
                points.append((event.step, event.wall_time))
    points = sorted(p for p in points if p[0] > warmup)
    if len(points) < 2:
        raise SystemExit(f"too few logged steps in {log_dir} to time")
    (s0, t0), (s1, t1) = points[0], points[-1]
    return (s1 - s0) / (t1 - t0)


def train_rate(checkout: Path, args: list[str], out: Path, warmup: int) -> float:
    if out.exists():
        shutil.rmtree(out)
    env = {**os.environ, "PYTHONPATH": str(checkout), "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run(
        [sys.executable, "-c", "from edgestyle.cli import main; main()", "train", *args],
        capture_output=True, text=True, env=env, cwd=checkout,
    )  # fmt: skip
    if proc.returncode != 0:
        raise SystemExit(f"training failed in {checkout}:\n{proc.stderr[-2000:]}")
    return logged_rate(out / "logs", warmup)


def worktree(revision: str) -> Path:
    """A detached git worktree of ``revision`` (reused when it exists)."""
    sha = subprocess.run(
        ["git", "rev-parse", "--short", revision], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.strip()
    path = WORK / f"before-{sha}"
    if not path.is_dir():
        subprocess.run(["git", "worktree", "add", "--detach", str(path), sha], cwd=REPO, check=True)
    return path


OURS = "this checkout, its recipe"
THAT = "this checkout, that recipe"


def bench_recipe(
    before: str | None,
    steps: int,
    rounds: int,
    warmup: int,
    variants: list[str] | None = None,
    breakdown: bool = True,
) -> None:
    """Time the recipe (and ``before``'s), each ``--set`` variant of it, then the per-part breakdown."""
    if not (SHARED / "data" / "photos").is_dir() or not (SHARED / "anchors").is_dir():
        print(f"skip: the recipe needs {SHARED}/data/photos and {SHARED}/anchors", file=sys.stderr)
        return
    WORK.mkdir(parents=True, exist_ok=True)
    cache = WORK / "teacher-cache"
    runs: list[tuple[str, Path, list[str]]] = []
    ours = recipe_arguments(REPO, SHARED, WORK)
    variants = variants or []
    if before:  # the same settings on the old recipe too: "before vs after" at the old objective
        old = worktree(before)
        old_recipe = recipe_arguments(old, SHARED, WORK)
        runs += [(f"{before}, its recipe", old, old_recipe), (THAT, REPO, old_recipe)]
        runs += [(f"{THAT} + --set {v}", REPO, [*old_recipe, "--set", v]) for v in variants]
    runs.append((OURS, REPO, ours))
    runs += [(f"{OURS} + --set {v}", REPO, [*ours, "--set", v]) for v in variants]
    rates: dict[str, list[float]] = {label: [] for label, _, _ in runs}
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(rounds):
            for label, checkout, args in runs:
                print(f"round {round_ + 1}: {label} ...", file=sys.stderr, flush=True)
                timing = for_timing(args, Path(tmp) / "run", cache, steps + warmup, [])
                rates[label].append(train_rate(checkout, timing, Path(tmp) / "run", warmup))
        parts = {}
        for part, settings in ABLATIONS.items() if breakdown else ():
            print(f"breakdown: without {part} ...", file=sys.stderr, flush=True)
            timing = for_timing(ours, Path(tmp) / "run", cache, steps + warmup, settings)
            parts[part] = train_rate(REPO, timing, Path(tmp) / "run", warmup)
    report(rates, parts, steps, rounds)


def report(rates: dict[str, list[float]], parts: dict[str, float], steps: int, rounds: int) -> None:
    import statistics

    labels = list(rates)
    base = statistics.median(rates[labels[0]])
    lines = [
        "# Training speed of the default recipe",
        "",
        f"`python benchmarks/bench_train.py --recipe` ({steps} timed steps per run, {rounds} alternating round(s)).",
        "",
        "| run | steps/s per round | median | vs first row |",
        "| --- | --- | --- | --- |",
    ]
    for label in labels:
        median = statistics.median(rates[label])
        rounds_text = ", ".join(f"{r:.3f}" for r in rates[label])
        lines.append(f"| {label} | {rounds_text} | {median:.3f} | {median / base:.2f}x |")
    full = statistics.median(rates[OURS])
    if parts:
        lines += [
            "",
            f"Where a step of this checkout's recipe goes ({1 / full * 1000:.0f} ms per step):",
            "",
            "| part (switched off) | steps/s without it | its share of a step |",
            "| --- | --- | --- |",
        ]
        lines += [f"| {part} | {rate:.3f} | {1 - full / rate:.0%} |" for part, rate in parts.items()]
        lines.append(
            f"| the rest: main generator pass and gradients, optimizer, data | | "
            f"{1 - sum(1 - full / r for r in parts.values()):.0%} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "bench_train_recipe.md").write_text(text)
    (RESULTS / "bench_train_recipe.json").write_text(
        json.dumps({"steps": steps, "rounds": rounds, "rates": rates, "without": parts}, indent=2)
    )
