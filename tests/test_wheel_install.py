"""A board install is a wheel, not a checkout: build one, install it into a fresh venv outside the
repository, and run the two board commands with the shipped profile and default model.

Nothing downloads: the wheel is built with this venv's setuptools (``--no-build-isolation``), and
the fresh venv sees this venv's packages through a ``.pth`` line (numpy, OpenCV, LiteRT, typer)
but gets edgestyle only from the wheel. TensorFlow is made impossible to import in it.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from no_tensorflow import BLOCK_TF

from edgestyle.runtime.video_io import VideoFileWriter, probe_video
from edgestyle.synthetic import moving_scene

REPO = Path(__file__).resolve().parents[1]
SHIPPED_FOLDERS = ("edgestyle", "devices", "convert", "models")


def _run(args: list, cwd: Path, timeout: int = 180) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{args}\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    pytest.importorskip("setuptools", minversion="70.1", reason="the dev extra installs setuptools>=70.1")
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    for name in SHIPPED_FOLDERS:  # a copy, so the build leaves nothing behind in the checkout
        shutil.copytree(REPO / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    dist = tmp_path_factory.mktemp("dist")
    pip_wheel = ["-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index", "-w"]
    _run([sys.executable, *pip_wheel, str(dist), str(src)], cwd=dist)
    (path,) = dist.glob("edgestyle-*.whl")
    return path


def test_the_wheel_carries_every_module_profile_preset_and_the_default_model(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {str(p.relative_to(REPO)) for p in (REPO / "edgestyle").rglob("*.py")}
    assert modules <= names, f"packages missing from pyproject.toml: {sorted(modules - names)}"
    for expected in [
        "edgestyle/devices/generic-linux.toml",
        "edgestyle/convert/cpu-int8.json",
        "edgestyle/models/default/default_256x256_int8.tflite",
        "edgestyle/models/default/default_256x256_int8.json",
    ]:
        assert expected in names
    assert not [n for n in names if n.endswith((".jpg", ".png"))]  # contact sheets stay in the repo


def test_run_and_stylize_from_a_wheel_outside_the_checkout(wheel, tmp_path):
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp_path)
    python = venv / "bin" / "python"
    purelib = Path(
        _run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp_path
        ).stdout.strip()
    )
    (purelib / "host.pth").write_text("\n".join(site.getsitepackages()) + "\n")  # deps, never edgestyle
    (purelib / "sitecustomize.py").write_text(BLOCK_TF)
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "-q",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        tmp_path,
    )

    where = _run(
        [python, "-c", "import edgestyle.package_data as p; print(p.__file__, p.data_dir('models'))"],
        tmp_path,
    )
    assert str(REPO) not in where.stdout and all(str(purelib) in part for part in where.stdout.split())

    edgestyle = venv / "bin" / "edgestyle"
    ran = _run(
        [edgestyle, "run", "test://", "--device", "generic-linux", "-o", "null", "--frames", "30"], tmp_path
    )
    assert "default_256x256_int8.tflite" in ran.stderr + ran.stdout and "30 frames" in ran.stderr + ran.stdout
    assert "TF_IMPORTED" not in ran.stderr

    clip, out = tmp_path / "in.mp4", tmp_path / "out.mp4"
    with VideoFileWriter(clip, 12, (96, 64)) as writer:
        for frame in moving_scene(8, 96, 64):
            writer.write(frame)
    styled = _run([edgestyle, "stylize", str(clip), "-o", str(out)], tmp_path)
    assert (
        "default_384x384_int8.tflite" in styled.stderr + styled.stdout and "TF_IMPORTED" not in styled.stderr
    )
    assert probe_video(out)[1:] == (8, (96, 64))
