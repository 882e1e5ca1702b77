"""Training on several workers: two real ``edgestyle train`` processes on 127.0.0.1 under ``TF_CONFIG``
(MultiWorkerMirroredStrategy), and every bad ``TF_CONFIG`` as one error line in bounded time.

The two-worker runs share benchmarks/bench_two_workers.py's helpers (that script measures the
same for more steps).
"""

# ruff: noqa: E402
from __future__ import annotations

import importlib.util
import json
import re
import socket
import time
from pathlib import Path

import pytest

pytest.importorskip("tensorflow")

from typer.testing import CliRunner

from edgestyle.cli import app
from edgestyle.train.data import clip_positions
from edgestyle.train.tf_config import read_tf_config

_spec = importlib.util.spec_from_file_location(
    "bench_two_workers", Path(__file__).parents[1] / "benchmarks" / "bench_two_workers.py"
)
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

STEPS = 4


@pytest.fixture(scope="module")
def stills(tmp_path_factory) -> Path:
    return bench.make_stills(tmp_path_factory.mktemp("cluster_data") / "stills")


def lines(result: dict) -> list[str]:
    return [line for line in result["stderr"].splitlines() if line.strip()]


@pytest.mark.slow
def test_two_workers_train_like_one_and_the_chief_alone_writes(stills, tmp_path) -> None:
    """Same global batch, input noise off: the per-step losses of two workers are one worker's."""
    run = bench.compare(tmp_path, stills, STEPS, 300, "--set", "data.noise=0")
    chief, other = run["workers"]
    assert chief["rc"] == 0 and other["rc"] == 0 and run["single"]["rc"] == 0, (chief, other, run["single"])
    assert sorted(run["losses_two"]) == list(range(1, STEPS + 1))
    assert run["largest_gap"] <= bench.EXACT, (run["losses_two"], run["losses_one"])

    two = tmp_path / "two"  # both workers were given this --out: only the chief wrote there
    assert f"model directory: {two}" in chief["stdout"] and "written by the chief" in other["stdout"]
    assert sorted(p.name for p in two.iterdir()) == [
        "checkpoints", "edgestyle.json", "generator.keras", "logs", "saved_model",
    ]  # fmt: skip
    assert [p.name for p in (tmp_path / "tmp" / "tmp1").iterdir()] == []  # the worker's scratch checkpoints
    meta = json.loads((two / "edgestyle.json").read_text())["training"]
    assert (meta["strategy"], meta["replicas"], meta["workers"]) == ("MultiWorkerMirroredStrategy", 2, 2)
    assert meta["run"]["end_step"] == STEPS

    # The chief's checkpoint resumes on one worker, and again on two: the other worker gets the
    # chief's values, so it is given an --out of its own with no checkpoint in it. The two stop on
    # a time budget, after the same step (a worker stopping alone would leave the other waiting).
    resumed, _ = bench.run_one(bench.train_argv(stills, two, STEPS + 1, tmp_path / "cache"), 300)
    assert resumed["rc"] == 0 and f"trained steps {STEPS}..{STEPS + 1}" in resumed["stdout"], resumed
    elsewhere = tmp_path / "elsewhere" / "two"
    elsewhere.parent.mkdir()
    budget = ("--time-budget", "2s")
    argvs = [bench.train_argv(stills, out, 10_000, tmp_path / "cache", *budget) for out in (two, elsewhere)]
    again, _ = bench.run_workers(argvs, tmp_path / "again", 300)
    ends = [re.search(r"trained steps (\d+)\.\.(\d+) \(time_budget\)", w["stdout"]) for w in again]
    assert all(w["rc"] == 0 for w in again) and all(ends), again
    assert [int(e[1]) for e in ends] == [STEPS + 1] * 2 and ends[0][2] == ends[1][2]
    assert not elsewhere.exists()

    converted, _ = bench.run_one(
        [*bench.CLI, "convert", str(two), "-t", "cpu", "--input-size", "64x64", "--no-report"], 300
    )
    assert converted["rc"] == 0 and (two / "export" / "two_64x64_int8.tflite").is_file(), converted

    other_config = bench.train_argv(stills, two, STEPS + 3, tmp_path / "cache", "--base-channels", "16")
    refused, _ = bench.run_one(other_config, 300)
    assert refused["rc"] == 1 and lines(refused) == [lines(refused)[-1]], refused
    assert "holds a run with a different generator (" in refused["stderr"]
    assert "generator.base_channels 8 -> 16" in refused["stderr"]


@pytest.mark.parametrize(
    "config,message",
    [
        ("{not json", "TF_CONFIG: not JSON"),
        ('{"task": {"type": "worker", "index": 0}}', 'no "cluster" object'),
        ('{"cluster": {"worker": ["a:1"], "ps": ["b:2"]}, "task": {"type": "worker"}}', "job 'ps'"),
        ('{"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 2}}', "task index 2"),
        ('{"cluster": {"worker": ["a:1"]}, "task": {"type": "chief", "index": 0}}', '"task" must name'),
        (
            '{"cluster": {"worker": ["hostonly"]}, "task": {"type": "worker", "index": 0}}',
            "'hostonly' is not host:port",
        ),
        ('{"cluster": {"worker": ["a:1", "a:1"]}, "task": {"type": "worker", "index": 0}}', "appears twice"),
    ],
)
def test_a_malformed_tf_config_is_one_line_before_anything_starts(stills, tmp_path, config, message) -> None:
    argv = ["train", str(stills), "--out", str(tmp_path / "m"), "--teacher", "cartoon", "--quiet"]
    start = time.monotonic()
    result = CliRunner().invoke(app, argv, env={"TF_CONFIG": config})
    assert result.exit_code == 1 and message in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1 and time.monotonic() - start < 10
    assert not (tmp_path / "m").exists()


def test_the_chief_is_the_chief_task_else_worker_0() -> None:
    both = '{"cluster": {"chief": ["c:1"], "worker": ["w:1", "w:2"]}, "task": {"type": "%s", "index": %d}}'
    assert read_tf_config(both % ("chief", 0)).is_chief and not read_tf_config(both % ("worker", 0)).is_chief
    workers = '{"cluster": {"worker": ["w:1", "w:2"]}, "task": {"type": "worker", "index": %d}}'
    assert read_tf_config(workers % 0).is_chief and not read_tf_config(workers % 1).is_chief
    assert read_tf_config("") is None


def test_a_worker_that_never_starts_is_one_line_within_the_timeout(stills, tmp_path) -> None:
    """TensorFlow alone would wait for it for ever (12 minutes measured, SIGTERM ignored)."""
    mine, absent = bench.free_ports(2)
    env = {**bench.os.environ, "TF_CONFIG": bench.tf_config([mine, absent], 0)}
    argv = bench.train_argv(stills, tmp_path / "m", STEPS, tmp_path / "cache", "--cluster-timeout", "3s")
    result, seconds = bench.run_one(argv, 120, env)
    assert result["rc"] == 1 and lines(result) == [lines(result)[-1]], result
    assert (
        f"worker 1 at 127.0.0.1:{absent} (Connection refused) did not answer within 3 s" in result["stderr"]
    )
    assert seconds < 60 and not (tmp_path / "m").exists()


def test_a_port_in_use_is_one_line(stills, tmp_path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        config = bench.tf_config([port, *bench.free_ports(1)], 0)
        argv = ["train", str(stills), "--out", str(tmp_path / "m"), "--teacher", "cartoon", "--quiet"]
        result = CliRunner().invoke(app, argv, env={"TF_CONFIG": config})
    assert result.exit_code == 1 and f"port {port} of this task, worker 0 of 2" in result.output, (
        result.output
    )
    assert "is in use by another program" in result.output


def test_a_cluster_timeout_must_be_a_duration(stills, tmp_path) -> None:
    argv = ["train", str(stills), "--out", str(tmp_path / "m"), "--teacher", "cartoon"]
    result = CliRunner().invoke(app, [*argv, "--cluster-timeout", "soon"])
    assert result.exit_code == 1 and "bad --cluster-timeout 'soon'" in result.output


@pytest.mark.parametrize("pipelines", [1, 2, 4])
@pytest.mark.parametrize("lanes", [1, 2, 3])
def test_every_layout_draws_the_same_clips_for_each_step(pipelines, lanes) -> None:
    """Step s trains on clips s*B ... s*B+B-1 whatever the workers (input pipelines) and parallel
    generators (lanes): interleaving each pipeline's lanes and putting the pipelines side by side
    gives that range (a pipeline's replicas take consecutive batches of its share)."""
    batch, start, steps = 8, 3, 4
    count = batch // pipelines
    per_pipeline = []
    for p in range(pipelines):
        lanes_of = [clip_positions(start, batch, (p * count, count), (lane, lanes)) for lane in range(lanes)]
        drawn = [next(lanes_of[k % lanes]) for k in range(count * steps)]  # the interleave's order
        per_pipeline.append([drawn[s * count : (s + 1) * count] for s in range(steps)])
    for s in range(steps):
        global_batch = [k for p in range(pipelines) for k in per_pipeline[p][s]]
        assert global_batch == list(range((start + s) * batch, (start + s + 1) * batch))


def test_the_cluster_reader_needs_no_tensorflow(no_tensorflow_env) -> None:
    import subprocess
    import sys

    code = (
        "from edgestyle.train.tf_config import read_tf_config; print(read_tf_config('').__class__.__name__)"
    )
    proc = subprocess.run([sys.executable, "-c", code], env=no_tensorflow_env, capture_output=True, text=True)
    assert proc.stdout.strip() == "NoneType" and "TF_IMPORTED" not in proc.stderr, proc.stderr
