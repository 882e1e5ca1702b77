"""Fault injection (issue 14): bad input, full and read-only disks, sizes and weights, signals.

Every case runs one edgestyle command as a user would and checks what the user gets: the exit
code, exactly one ``error:`` line saying what is wrong, no traceback, no success reported for a
failure, the previous file at the output's name unchanged (byte for byte) and no hidden temporary
file left behind. The issue's audit had 50 cases: ``AUDIT`` holds 46 of them (the failures the
issue lists, one case per variant, and 19 that already gave one clear line) and the signal tests
at the end the other 4; ``OURS`` adds more.

A full disk is a real one: a small tmpfs mounted for the case (root, as in CI) and filled up to
the free space the case asks for. Where mounting is not allowed those cases are skipped; the
file-size-limit cases still run everywhere (``RLIMIT_FSIZE`` in a subprocess makes writes fail
with EFBIG, as a full disk fails them with ENOSPC). A read-only folder is a tmpfs remounted
read-only (root ignores permission bits), or a ``chmod 555`` folder for other users.

``EDGESTYLE_FAULTS_REPORT=path.json`` writes the outcome of every case (used for the issue's counts).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from edgestyle.cli import app
from edgestyle.runtime.video_io import VideoFileWriter, read_frames
from edgestyle.synthetic import moving_scene

DEV_MODEL = Path(__file__).parent / "data" / "tiny_stateful_dev.tflite"  # styles "a" and "b"
PLAIN_MODEL = Path(__file__).parent / "data" / "tiny_plain.tflite"
KIB, MIB = 1024, 1024 * 1024
OUTCOMES: list[dict] = []


# -- places to write: plain, full, read-only -------------------------------------------------
def _mount(*args: str) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


def _can_mount() -> bool:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    probe = Path(f"/tmp/.edgestyle-mount-probe-{os.getpid()}")
    probe.mkdir(exist_ok=True)
    try:
        return _mount("-t", "tmpfs", "-o", "size=64k", "tmpfs", str(probe))
    finally:
        subprocess.run(["umount", str(probe)], capture_output=True)
        probe.rmdir()


CAN_MOUNT = _can_mount()


def free_bytes(folder: Path) -> int:
    st = os.statvfs(folder)
    return st.f_bavail * st.f_frsize


@dataclass
class Place:
    """The folder a case writes into, and the mounts to undo afterwards."""

    folder: Path
    mounted: bool = False

    def fill(self, leave: int) -> None:
        """Fill the (tmpfs) folder until ``leave`` bytes stay free."""
        with open(self.folder / ".filler", "wb") as f:
            f.write(b"\0" * max(free_bytes(self.folder) - leave, 0))

    def undo(self) -> None:
        if self.mounted:
            subprocess.run(["umount", "-l", str(self.folder)], capture_output=True)
        else:
            os.chmod(self.folder, 0o755)


def make_place(root: Path, disk: str, previous: dict[str, bytes]) -> Place:
    """``plain``, ``full:BYTES_FREE`` (optionally ``:inodes``) or ``readonly``, holding ``previous`` files."""
    folder = root / "out"
    folder.mkdir()
    place = Place(folder)
    if disk.startswith("full") or (disk == "readonly" and os.geteuid() == 0):
        if not CAN_MOUNT:
            pytest.skip("needs root and a mountable tmpfs (CI has both); the RLIMIT_FSIZE cases run anyway")
        options = "size=16m,nr_inodes=16" if disk.endswith(":inodes") else "size=16m"
        assert _mount("-t", "tmpfs", "-o", options, "tmpfs", str(folder))
        place.mounted = True
    for name, data in previous.items():
        (folder / name).write_bytes(data)
    if disk.startswith("full"):
        if disk.endswith(":inodes"):
            for i in range(64):  # use up every inode
                try:
                    (folder / f".inode{i}").touch()
                except OSError:
                    break
        else:
            place.fill(int(disk.split(":")[1]))
    elif disk == "readonly":
        if place.mounted:
            assert _mount("-o", "remount,ro", str(folder))
        else:
            os.chmod(folder, 0o555)
    return place


# -- inputs ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def media(tmp_path_factory) -> dict[str, Path]:
    """A small clip, a larger one, a noisy one (incompressible: fills a disk) and a huge-PNG folder."""
    root = tmp_path_factory.mktemp("media")
    rng = np.random.default_rng(0)
    clips = {
        "clip": (root / "clip.mp4", moving_scene(24, 96, 64)),
        "big": (root / "big.mp4", moving_scene(200, 320, 240)),  # a second or more to stylize: time for a signal
        "noise": (root / "noise.mp4", [rng.integers(0, 256, (240, 320, 3), np.uint8) for _ in range(40)]),
    }
    for path, frames in clips.values():
        with VideoFileWriter(path, 24, frames[0].shape[1::-1]) as writer:
            for frame in frames:
                writer.write(frame)
    (root / "huge").mkdir()
    (root / "huge" / "a.png").write_bytes(png_claiming(60000, 60000))
    (root / "broken.mp4").write_bytes(b"\0not a video" * 100)
    return {**{k: v[0] for k, v in clips.items()}, "huge": root / "huge", "broken": root / "broken.mp4"}


def png_claiming(width: int, height: int) -> bytes:
    """A valid 8x8 PNG whose header (with a correct CRC) claims ``width`` x ``height``."""
    ok, buf = cv2.imencode(".png", np.zeros((8, 8, 3), np.uint8))
    data = bytearray(buf.tobytes())
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])) & 0xFFFFFFFF)
    return bytes(data)


@pytest.fixture(scope="module")
def tf_dirs(tmp_path_factory) -> dict[str, Path]:
    """A tiny model directory (for convert) and a tiny training run with checkpoints (for train)."""
    pytest.importorskip("tensorflow")
    from edgestyle.train.generator import tiny_config
    from edgestyle.train.model_dir import make_untrained_model_dir

    root = tmp_path_factory.mktemp("tf")
    (root / "stills").mkdir()
    for seed in range(2):
        cv2.imwrite(str(root / "stills" / f"p{seed}.png"), moving_scene(1, 96, 72, seed=seed)[0])
    model_dir = make_untrained_model_dir(root / "model", tiny_config(), export_saved_model=False)
    return {"model_dir": model_dir, "stills": root / "stills", "root": root}


TRAIN_ARGS = ["--teacher", "cartoon", "--max-steps", "1", "--crop", "32", "--batch", "1", "--clip-len", "2"]
TRAIN_ARGS += ["--base-channels", "8", "--set", "generator.res_blocks=1", "--set", "workers=1", "--quiet"]


# -- one case --------------------------------------------------------------------------------
@dataclass
class Env:
    tmp: Path
    out: Path
    media: dict[str, Path]
    tf: dict[str, Path] = field(default_factory=dict)


@dataclass
class Case:
    name: str
    argv: Callable[[Env], list[str]]
    message: str  # a phrase the one error line must contain
    disk: str = "plain"  # "plain", "full:<bytes left free>", "full:inodes", "readonly"
    previous: dict[str, str] = field(default_factory=dict)  # files in the output folder to protect
    setup: Callable[[Env], None] | None = None
    code: int = 1
    tf: bool = False  # needs the TensorFlow fixtures
    rlimit: int | None = None  # run in a subprocess under this RLIMIT_FSIZE
    after: Callable[[Env], None] | None = None  # extra checks


def S(*args: str) -> Callable[[Env], list[str]]:
    """argv with {clip} {big} {noise} {huge} {broken} {out} {tmp} {model} {plain} {model_dir} {stills} filled in."""

    def build(env: Env) -> list[str]:
        names = {**{k: str(v) for k, v in env.media.items()}, **{k: str(v) for k, v in env.tf.items()}}
        names.update(out=str(env.out), tmp=str(env.tmp), model=str(DEV_MODEL), plain=str(PLAIN_MODEL))
        return [a.format(**names) for a in args]

    return build


STYLIZE = ("stylize", "{clip}", "-m", "{model}")
RUN = ("run", "test://?size=64x48&fps=0", "-m", "{model}")
EVAL = ("eval", "{clip}", "-m", "{plain}", "--frames", "4")
CONVERT = ("convert", "{model_dir}", "-t", "cpu", "--no-report")
KEEP = {"keep.mp4": "previous video", "report.json": "previous report", "b.json": "previous bench"}


def keep(*names: str) -> dict[str, str]:
    return {n: KEEP[n] for n in names}


def corrupt_checkpoint(env: Env) -> None:
    """{tmp}/run/checkpoints naming a checkpoint whose files are garbage (a disk filled mid-save)."""
    folder = env.tmp / "run" / "checkpoints"
    folder.mkdir(parents=True)
    (folder / "checkpoint").write_text('model_checkpoint_path: "ckpt-3"\nall_model_checkpoint_paths: "ckpt-3"\n')
    (folder / "ckpt-3.index").write_bytes(b"garbage" * 10)
    (folder / "ckpt-3.data-00000-of-00001").write_bytes(b"\0" * 100)


def truncated_keras(env: Env) -> None:
    broken = env.tmp / "broken_model"
    shutil.copytree(env.tf["model_dir"], broken)
    data = (broken / "generator.keras").read_bytes()
    (broken / "generator.keras").write_bytes(data[: len(data) // 2])


def existing_folder(name: str) -> Callable[[Env], None]:
    return lambda env: (env.out / name).mkdir()


def symlink_to_clip(env: Env) -> None:
    (env.out / "link.mp4").symlink_to(env.media["clip"])


def out_is_a_file(env: Env) -> None:
    (env.out / "report").write_text("not a folder")


def big_machine_skip(pixels: int, bytes_per_pixel: int) -> Callable[[Env], None]:
    def check(env: Env) -> None:
        from edgestyle.limits import max_pixels

        if pixels <= max_pixels(bytes_per_pixel):
            pytest.skip("this machine has the memory for it: accepted by the rule, as it should be")

    return check


def no_file(path: Path) -> None:
    assert not path.exists(), f"{path} was left behind"


def recovered_recording_plays(env: Env) -> None:
    recovered = list(env.out.glob("rec.recovered-*.mp4"))
    assert len(recovered) == 1 and len(list(read_frames(recovered[0]))) > 0


NO_SPACE = "no space left on device"
READ_ONLY = "read-only file system"

AUDIT = [
    # -- broken in the audit: a full disk reported success and destroyed the previous output --
    Case("stylize-full-disk", S(*STYLIZE, "-o", "{out}/keep.mp4"), NO_SPACE, "full:64000", keep("keep.mp4")),
    Case("run-record-full-disk", S(*RUN, "--frames", "30", "-o", "{out}/keep.mp4"), NO_SPACE, "full:64000", keep("keep.mp4")),
    Case("eval-full-disk", S(*EVAL, "--out", "{out}/report"), NO_SPACE, "full:64000", after=lambda e: no_file(e.out / "report")),
    Case("convert-full-disk", S(*CONVERT, "--input-size", "32x32", "-o", "{out}/export"), NO_SPACE, "full:200000", tf=True),
    Case("train-full-disk", S("train", "{stills}", "-o", "{out}/run", *TRAIN_ARGS), NO_SPACE, "full:200000", tf=True),
    # -- tracebacks instead of one line --
    Case("stylize-out-is-folder-with-suffix", S(*STYLIZE, "-o", "{out}/dir.mp4"), "is a folder", setup=existing_folder("dir.mp4")),
    Case("stylize-read-only", S(*STYLIZE, "-o", "{out}/keep.mp4"), READ_ONLY, "readonly", keep("keep.mp4")),
    Case("run-read-only", S(*RUN, "--frames", "5", "-o", "{out}/keep.mp4"), READ_ONLY, "readonly", keep("keep.mp4")),
    Case("bench-json-read-only", S("bench", "{plain}", "--runs", "1", "--json", "{out}/b.json"), READ_ONLY, "readonly", keep("b.json")),
    Case("eval-read-only", S(*EVAL, "--out", "{out}"), READ_ONLY, "readonly", keep("report.json")),
    Case("stylize-png-claims-60000x60000", S("stylize", "{huge}", "-m", "{model}", "-o", "{out}/o.mp4"), "image too large"),
    Case("convert-size-100000", S(*CONVERT, "--input-size", "100000x100000"), "each side 16 to 16384", tf=True),
    Case("train-corrupt-checkpoint", S("train", "{stills}", "-o", "{tmp}/run", *TRAIN_ARGS), "--fresh", setup=corrupt_checkpoint, tf=True),
    Case("convert-truncated-keras", S("convert", "{tmp}/broken_model", "-t", "cpu", "--no-report", "--input-size", "32x32"), "is damaged", setup=truncated_keras, tf=True),
    Case("stylize-out-is-folder", S(*STYLIZE, "-o", "{out}/dir"), "is a folder", setup=existing_folder("dir")),
    # -- no size or range checks --
    Case("convert-size-4096", S(*CONVERT, "--input-size", "4096x4096"), "megapixels", setup=big_machine_skip(4096 * 4096, 3000), tf=True),
    Case("run-size-20000", S("run", "test://", "-m", "{model}", "-o", "null", "--size", "20000x20000", "--frames", "2"), "each side 1 to 16384"),
    Case("convert-size-4x4", S(*CONVERT, "--input-size", "4x4"), "each side 16 to", tf=True),
    Case("blend-nan", S(*STYLIZE, "-o", "{out}/o.mp4", "--blend", "a=nan,b=1"), "got nan"),
    Case("blend-inf", S(*STYLIZE, "-o", "{out}/o.mp4", "--blend", "a=inf,b=1"), "got inf"),
    Case("blend-1e308", S(*STYLIZE, "-o", "{out}/o.mp4", "--blend", "a=1e308,b=1e308"), "from 0 to 1000"),
    Case("blend-negative", S(*STYLIZE, "-o", "{out}/o.mp4", "--blend", "a=1.5,b=-0.5"), "got -0.5"),
    Case("scene-cut-negative", S(*STYLIZE, "-o", "{out}/o.mp4", "--scene-cut", "-1"), "--scene-cut must be a number from 0 to 1"),
    Case("threads-zero", S(*STYLIZE, "-o", "{out}/o.mp4", "--threads", "0"), "--threads must be"),
    Case("run-frames-zero", S(*RUN, "-o", "null", "--frames", "0"), "--frames must be a number from 1"),
    Case("run-frames-negative", S(*RUN, "-o", "null", "--frames", "-1"), "--frames must be a number from 1"),
    Case("stylize-output-is-input", S("stylize", "{out}/keep.mp4", "-m", "{model}", "-o", "{out}/keep.mp4"), "is the input", setup=lambda e: shutil.copy(e.media["clip"], e.out / "keep.mp4")),
    # (the audit's four signal cases are the signal tests below)
    # -- already one clear line in the audit; kept that way --
    Case("stylize-missing-input", S("stylize", "{tmp}/nope.mp4", "-m", "{model}", "-o", "{out}/o.mp4"), "video not found"),
    Case("stylize-unreadable-input", S("stylize", "{broken}", "-m", "{model}", "-o", "{out}/o.mp4"), "cannot open video"),
    Case("stylize-missing-out-dir", S(*STYLIZE, "-o", "{tmp}/no/such/o.mp4"), "output directory does not exist"),
    Case("stylize-missing-model", S("stylize", "{clip}", "-m", "{tmp}/none.tflite", "-o", "{out}/o.mp4"), "model file not found"),
    Case("stylize-unknown-style", S(*STYLIZE, "-o", "{out}/o.mp4", "--style", "zz"), "unknown style 'zz'"),
    Case("stylize-style-and-blend", S(*STYLIZE, "-o", "{out}/o.mp4", "--style", "a", "--blend", "a=1"), "not both"),
    Case("stylize-blend-syntax", S(*STYLIZE, "-o", "{out}/o.mp4", "--blend", "a=x"), "bad --blend entry"),
    Case("stylize-gif-output", S(*STYLIZE, "-o", "{out}/o.gif"), "unsupported video extension"),
    Case("run-unknown-source", S("run", "nope://cam", "-m", "{model}", "-o", "null", "--frames", "2"), "unknown source"),
    Case("run-unknown-sink", S(*RUN, "-o", "x.gif", "--frames", "2"), "unknown sink"),
    Case("run-unknown-device", S(*RUN, "-o", "null", "--device", "toaster", "--frames", "2"), "unknown device"),
    Case("run-bad-size", S(*RUN, "-o", "null", "--size", "big", "--frames", "2"), "bad --size"),
    Case("eval-one-frame", S("eval", "{clip}", "-m", "{plain}", "--frames", "1", "--out", "{out}/r"), "at least 2"),
    Case("eval-out-is-file", S(*EVAL, "--out", "{out}/report"), "is a file", setup=out_is_a_file),
    Case("bench-missing-model", S("bench", "{tmp}/none.tflite"), "model file not found"),
    Case("bench-bad-threads", S("bench", "{plain}", "--threads", "two"), "bad --threads"),
    Case("convert-missing-dir", S("convert", "{tmp}/nope", "--input-size", "32x32"), "model directory not found"),
    Case("convert-not-a-model-dir", S("convert", "{out}", "--input-size", "32x32"), "not an edgestyle model directory"),
    Case("convert-size-not-stride", S(*CONVERT, "--input-size", "30x32"), "not a multiple of the model's stride", tf=True),
]

OURS = [
    Case("run-missing-camera", S("run", "/dev/video96", "-m", "{model}", "-o", "null", "--frames", "2"), "not found"),
    Case("eval-missing-model", S("eval", "{clip}", "-m", "{tmp}/none.tflite", "--out", "{out}/r"), "not found"),
    Case("convert-unknown-target", S("convert", "{model_dir}", "-t", "toaster", "--input-size", "32x32"), "toaster", tf=True),
    # Noise side by side: 1.6 MB free passes the up-front estimate (1.54 MB), the video needs ~1.5 MB + the reserve.
    Case("stylize-disk-fills-midway", S("stylize", "{noise}", "-m", "{model}", "--side-by-side", "-o", "{out}/keep.mp4"), NO_SPACE, "full:1600000", keep("keep.mp4")),
    Case("stylize-file-size-limit", S("stylize", "{noise}", "-m", "{model}", "--side-by-side", "-o", "{out}/keep.mp4"), "file too large", previous=keep("keep.mp4"), rlimit=200 * KIB),
    Case("run-disk-fills-mid-recording", S("run", "test://?size=320x240&fps=0", "-m", "{model}", "--frames", "300", "-o", "{out}/rec.mp4"), "recorded so far are in", "full:1450000", {"rec.mp4": "previous recording"}, after=recovered_recording_plays),
    Case("stylize-no-inodes", S(*STYLIZE, "-o", "{out}/keep.mp4"), NO_SPACE, "full:inodes", keep("keep.mp4")),
    Case("bench-json-full-disk", S("bench", "{plain}", "--runs", "1", "--json", "{out}/b.json"), NO_SPACE, "full:4000", keep("b.json")),
    Case("eval-full-disk-keeps-report", S(*EVAL, "--out", "{out}"), NO_SPACE, "full:64000", keep("report.json")),
    Case("convert-read-only", S(*CONVERT, "--input-size", "32x32", "-o", "{out}/export"), READ_ONLY, "readonly", tf=True),
    Case("train-read-only", S("train", "{stills}", "-o", "{out}/run", *TRAIN_ARGS), READ_ONLY, "readonly", tf=True),
    Case("train-batch-zero", S("train", "{stills}", "-o", "{tmp}/run", *TRAIN_ARGS, "--batch", "0"), "batch must be 1 to 1024", tf=True),
    Case("eval-size-too-small", S(*EVAL, "--size", "8x8", "--out", "{out}/r"), "at least 16"),
    Case("eval-too-much-to-hold", S(*EVAL, "--size", "16000x16000", "--out", "{out}/r"), "megapixels"),
    Case("run-max-fps-zero", S(*RUN, "-o", "null", "--frames", "2", "--max-fps", "0"), "--max-fps must be a number more than 0"),
    Case("run-max-fps-nan", S(*RUN, "-o", "null", "--frames", "2", "--max-fps", "nan"), "--max-fps must be"),
    Case("run-cycle-styles-negative", S(*RUN, "-o", "null", "--frames", "2", "--cycle-styles", "-5"), "--cycle-styles must be"),
    Case("run-test-fps-negative", S("run", "test://?fps=-1", "-m", "{model}", "-o", "null", "--frames", "2"), "fps= must be"),
    Case("run-test-frames-zero", S("run", "test://?frames=0", "-m", "{model}", "-o", "null", "--frames", "2"), "frames= must be"),
    Case("run-test-size-zero", S("run", "test://?size=0x0", "-m", "{model}", "-o", "null", "--frames", "2"), "bad size"),
    Case("run-test-too-many-frames", S("run", "test://?size=16000x16000&frames=5000", "-m", "{model}", "-o", "null", "--frames", "2"), "megapixels"),
    Case("run-records-its-input", S("run", "{out}/keep.mp4", "-m", "{model}", "-o", "{out}/keep.mp4"), "is the input", setup=lambda e: shutil.copy(e.media["clip"], e.out / "keep.mp4")),
    Case("run-out-is-folder", S(*RUN, "--frames", "2", "-o", "{out}/dir"), "is a folder", setup=existing_folder("dir")),
    Case("stylize-output-is-input-by-symlink", S("stylize", "{clip}", "-m", "{model}", "-o", "{out}/link.mp4"), "is the input", setup=symlink_to_clip),
    Case("stylize-blend-all-zero", S(*STYLIZE, "-o", "{out}/o.mp4", "--blend", "a=0,b=0"), "add up to more than 0"),
    Case("stylize-threads-10000", S(*STYLIZE, "-o", "{out}/o.mp4", "--threads", "10000"), "--threads must be"),
    Case("bench-threads-zero", S("bench", "{plain}", "--threads", "0"), "--threads must be"),
    Case("bench-warmup-negative", S("bench", "{plain}", "--warmup", "-1"), "--warmup must be"),
    Case("bench-json-is-folder", S("bench", "{plain}", "--runs", "1", "--json", "{out}/dir"), "is a folder", setup=existing_folder("dir")),
]


def outcome(case: Case, code: int, text: str, crashed: bool, env: Env, previous: dict[str, bytes]) -> dict:
    errors = [line for line in text.splitlines() if line.startswith("error: ")]
    return {
        "case": case.name,
        "audit": case in AUDIT,
        "exit_code": code,
        "traceback": crashed or "Traceback" in text,
        "false_success": code == 0,
        "error_lines": len(errors),
        "message_ok": len(errors) == 1 and case.message in errors[0],
        "destroyed": [n for n, data in previous.items() if not (env.out / n).is_file() or (env.out / n).read_bytes() != data],
        "leftovers": sorted(p.name for p in env.out.iterdir() if ".partial" in p.name or ".recording." in p.name),
        "text": text[-600:],
    }


def invoke(case: Case, env: Env) -> tuple[int, str, bool]:
    argv = case.argv(env)
    if case.rlimit is None:
        result = CliRunner().invoke(app, argv)
        crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
        return result.exit_code, result.output, crashed
    code = (
        "import resource, signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({case.rlimit}, {case.rlimit})); "
        "from edgestyle.cli import main; sys.argv = ['edgestyle', *sys.argv[1:]]; main()"
    )
    proc = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=300)
    return proc.returncode, proc.stdout + proc.stderr, False


@pytest.fixture
def env_factory(tmp_path, media, request) -> Iterator[Callable[[Case], tuple[Env, Place]]]:
    places: list[Place] = []

    def make(case: Case) -> tuple[Env, Place]:
        tf = request.getfixturevalue("tf_dirs") if case.tf else {}
        previous = {name: text.encode() * 50 for name, text in case.previous.items()}
        place = make_place(tmp_path, case.disk, previous)
        places.append(place)
        return Env(tmp_path, place.folder, media, tf), place

    yield make
    for place in places:
        place.undo()


@pytest.mark.parametrize("case", AUDIT + OURS, ids=lambda c: c.name)
def test_fault(case: Case, env_factory) -> None:
    env, place = env_factory(case)
    if case.setup:
        if case.disk == "readonly" and place.mounted:
            raise AssertionError("setup cannot write into a read-only place")
        case.setup(env)
    previous = {name: (env.out / name).read_bytes() for name in case.previous}
    code, text, crashed = invoke(case, env)
    result = outcome(case, code, text, crashed, env, previous)
    OUTCOMES.append(result)
    assert not result["traceback"], text
    assert code == case.code, text
    assert result["message_ok"], f"want one error line with {case.message!r}:\n{text}"
    assert not result["destroyed"] and not result["leftovers"], result
    if case.after:
        case.after(env)


def test_there_are_50_audit_cases_and_at_least_20_of_ours() -> None:
    signal_audit = 4  # stylize SIGKILL, run SIGKILL, convert SIGTERM, run's SIGTERM vs Ctrl-C (below)
    assert len(AUDIT) + signal_audit == 50 and len(OURS) >= 20
    assert len({c.name for c in AUDIT + OURS}) == len(AUDIT) + len(OURS)


@pytest.fixture(scope="module", autouse=True)
def report_outcomes() -> Iterator[None]:
    yield
    path = os.environ.get("EDGESTYLE_FAULTS_REPORT")
    if path:
        Path(path).write_text(json.dumps(OUTCOMES, indent=1))


# -- signals ---------------------------------------------------------------------------------
def _start(args: list[str], cwd: Path) -> subprocess.Popen:
    """The CLI in a child at a lower priority: on a busy machine the test must still get to signal it
    mid-job (a 200-frame job took 1.3 s while the test's 0.1 s nap took longer)."""
    code = "from edgestyle.cli import main; main()"
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: os.nice(10),
    )


def _wait_for(folder: Path, marker: str, proc: subprocess.Popen, timeout: float = 60, any_size: bool = False) -> None:
    """Until a temporary file with ``marker`` in its name exists (and has data unless ``any_size``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if any(marker in p.name and (any_size or p.stat().st_size > 0) for p in folder.iterdir()):
            time.sleep(0.1 if any_size else 0.3)
            return
        time.sleep(0.05)
    raise AssertionError(f"no {marker} file appeared: {proc.communicate(timeout=10)}")


def hidden_temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".partial" in p.name or ".recording." in p.name)


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_stops_stylize_with_nothing_written_and_the_previous_file_kept(tmp_path, media, signum, code):
    (tmp_path / "keep.mp4").write_bytes(b"previous" * 100)
    proc = _start(["stylize", str(media["big"]), "-m", str(DEV_MODEL), "-o", "keep.mp4"], tmp_path)
    _wait_for(tmp_path, ".partial", proc, any_size=True)
    proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == code and "Traceback" not in stderr, stderr
    assert (tmp_path / "keep.mp4").read_bytes() == b"previous" * 100 and not hidden_temporaries(tmp_path)


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_stops_a_recording_with_a_playable_file_and_one_exit_code_convention(tmp_path, signum, code):
    """Audit: ``run -o file`` exited 0 on SIGTERM but 130 on Ctrl-C."""
    proc = _start(["run", "test://?size=64x48&fps=60", "-m", str(DEV_MODEL), "-o", "rec.mp4"], tmp_path)
    _wait_for(tmp_path, ".recording.", proc)
    proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == code and "Traceback" not in stderr, stderr
    assert len(list(read_frames(tmp_path / "rec.mp4"))) > 0 and not hidden_temporaries(tmp_path)


def test_sigkill_during_stylize_leaves_a_partial_that_the_next_write_sweeps(tmp_path, media):
    """Audit: SIGKILL left a hidden ``.*.partial.mp4`` forever."""
    proc = _start(["stylize", str(media["big"]), "-m", str(DEV_MODEL), "-o", "a.mp4"], tmp_path)
    _wait_for(tmp_path, ".partial", proc)
    proc.kill()
    proc.communicate(timeout=30)
    assert hidden_temporaries(tmp_path)  # a dead process cannot clean up after itself
    alive = tmp_path / f".b.{os.getpid()}@{_host()}.abcdefgh.partial.mp4"  # a live writer's file
    alive.write_bytes(b"in progress")
    result = CliRunner().invoke(app, ["stylize", str(media["clip"]), "-m", str(DEV_MODEL), "-o", str(tmp_path / "c.mp4")])
    assert result.exit_code == 0, result.output
    assert hidden_temporaries(tmp_path) == [alive.name] and not (tmp_path / "a.mp4").exists()


def _host() -> str:
    from edgestyle.atomic import _host as host

    return host()


@pytest.mark.slow
def test_sigterm_during_convert_leaves_no_folder_and_no_partial(tmp_path, tf_dirs):
    """Audit: SIGTERM during convert left the output folder and a ``.convert.*.partial`` (SIGINT cleaned up)."""
    out = tmp_path / "export"
    args = ["convert", str(tf_dirs["model_dir"]), "-o", str(out), "-t", "cpu,gpu", "--input-size", "64x64"]
    proc = _start(args, tmp_path)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if out.is_dir() and any(".partial" in p.name for p in out.iterdir()):
            break
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 143 and "Traceback" not in stderr, stderr[-2000:]
    assert not out.exists()


def test_sigkill_during_a_recording_is_recovered_playable_by_the_next_command(tmp_path, media):
    """Audit: SIGKILL during ``run -o rec.mp4`` lost the whole recording (moov atom not found)."""
    proc = _start(["run", "test://?size=64x48&fps=30", "-m", str(DEV_MODEL), "-o", "rec.mp4"], tmp_path)
    _wait_for(tmp_path, ".recording.", proc)
    time.sleep(2.5)  # a few one-second fragments
    proc.kill()
    proc.communicate(timeout=30)
    result = CliRunner().invoke(app, ["stylize", str(media["clip"]), "-m", str(DEV_MODEL), "-o", str(tmp_path / "c.mp4")])
    assert result.exit_code == 0 and "recovered a recording" in result.output, result.output
    (recovered,) = tmp_path.glob("rec.recovered-*.mp4")
    assert len(list(read_frames(recovered))) >= 30 and not hidden_temporaries(tmp_path)
