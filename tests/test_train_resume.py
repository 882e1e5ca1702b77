"""A real training process killed with SIGKILL loses at most one checkpoint interval, and the
next run resumes from the newest checkpoint (weights, optimizer state and step)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import pytest

pytest.importorskip("tensorflow")

from edgestyle.synthetic import moving_scene  # noqa: E402

EVERY = 5
TINY = ["--teacher", "cartoon", "--crop", "32", "--batch", "1", "--clip-len", "2", "--base-channels", "8"]
TINY += [
    "--set",
    "model.res_blocks=1",
    "--set",
    "runtime.workers=1",
    "--checkpoint-every",
    str(EVERY),
    "--quiet",
]


def _train(data: Path, out: Path, steps: int) -> list[str]:
    code = "from edgestyle.cli import main; main()"
    return [sys.executable, "-c", code, "train", str(data), "-o", str(out), "--max-steps", str(steps), *TINY]


def _checkpoints(out: Path) -> list[int]:
    return sorted(
        int(m.group(1))
        for p in (out / "checkpoints").glob("ckpt-*.index")
        if (m := re.search(r"ckpt-(\d+)", p.name))
    )


def _stills(tmp_path: Path) -> Path:
    """Three generated photos to train on."""
    data = tmp_path / "stills"
    data.mkdir()
    for seed in range(3):
        cv2.imwrite(str(data / f"p{seed}.png"), moving_scene(frames=1, width=64, height=48, seed=seed)[0])
    return data


QUIET_TF = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}


@pytest.mark.slow
def test_sigkill_loses_at_most_one_interval_and_the_run_resumes(tmp_path) -> None:
    data, out, env = _stills(tmp_path), tmp_path / "run", QUIET_TF
    proc = subprocess.Popen(_train(data, out, 100000), env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and (
            not (out / "checkpoints").is_dir() or max(_checkpoints(out), default=0) < 2 * EVERY
        ):
            assert proc.poll() is None, proc.stderr.read()
            time.sleep(0.2)
        seen = max(_checkpoints(out))
        assert seen >= 2 * EVERY, "no checkpoint within the time limit"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    newest = max(_checkpoints(out))
    assert newest >= seen
    assert not (out / "edgestyle.json").exists()  # a killed run leaves no model that looks complete

    resumed = subprocess.run(
        _train(data, out, newest + 2), env=env, capture_output=True, text=True, timeout=240
    )
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming from step {newest}" in resumed.stderr  # nothing older than the newest checkpoint
    assert f"trained steps {newest}..{newest + 2}" in resumed.stdout + resumed.stderr
    assert (out / "edgestyle.json").is_file()


@pytest.mark.slow
def test_a_run_goes_on_with_longer_clips_and_keeps_its_generator(tmp_path) -> None:
    """clip_len changes only the temporal discriminator's input: the generator and the step resume,
    the discriminators start over, and the run then checkpoints under the new length."""
    data, out, env = _stills(tmp_path), tmp_path / "run", QUIET_TF
    first = subprocess.run(_train(data, out, EVERY), env=env, capture_output=True, text=True, timeout=240)
    assert first.returncode == 0, first.stderr
    assert 9 not in d_kernel_inputs(out, EVERY)  # 2 frames x RGB stacked (6, as the patch D's y|x)
    command = _train(data, out, 2 * EVERY)
    command[command.index("--clip-len") + 1] = "3"
    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=240)
    assert second.returncode == 0, second.stderr
    assert "clip_len 2 -> 3: the temporal discriminator starts over" in second.stderr
    assert f"resuming from step {EVERY}" in second.stderr
    assert _checkpoints(out)[-1] == 2 * EVERY

    assert 9 in d_kernel_inputs(out, 2 * EVERY)  # 3 frames x RGB stacked


def d_kernel_inputs(out: Path, step: int) -> set[int]:
    """Input channels of the discriminators' conv kernels (the checkpoint reaches them through opt_d)."""
    import tensorflow as tf

    shapes = tf.train.load_checkpoint(str(out / "checkpoints" / f"ckpt-{step}")).get_variable_to_shape_map()
    return {shape[2] for name, shape in shapes.items() if name.startswith("opt_d/") and len(shape) == 4}
