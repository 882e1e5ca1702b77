"""How much of a live recording survives SIGKILL (issue 14: >= 55 s of a 60 s recording must play).

Starts ``edgestyle run test:// -o rec.mp4`` (the shipped default model, real time), kills it with
SIGKILL after ``--seconds``, lets edgestyle's sweep recover the hidden recording, and decodes the
recovered file to the end with PyAV: frames, the last frame's time and the decode result.

Run: python benchmarks/sigkill_recording.py [--seconds 60] [--source test://] [--model M.tflite]

The video's length is frames / fps: on a machine too loaded to keep 30 fps the recording itself is
shorter than the wall time (the table shows the pipeline's fps); what SIGKILL may cost is only the
last, unfinished fragment (under 1 s).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def decode(path: Path) -> tuple[int, float, str]:
    """(frames decoded, seconds of the last decoded frame, 'ok' or the error that stopped decoding)."""
    import av

    frames, last, status = 0, 0.0, "ok"
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            for frame in container.decode(stream):
                frames += 1
                if frame.pts is not None:
                    last = float(frame.pts * stream.time_base)
    except av.FFmpegError as exc:
        status = f"{type(exc).__name__}: {exc}"
    return frames, last, status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--source", default="test://")
    parser.add_argument("--model", help="-m for edgestyle run (default: the shipped model)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="sigkill_recording."))
    if not (Path(sys.executable).parent / "edgestyle").exists():
        raise SystemExit("run with the project's venv python")
    command = [str(Path(sys.executable).parent / "edgestyle"), "run", args.source, "-o", "rec.mp4"]
    command += ["-m", str(Path(args.model).resolve())] if args.model else []
    log = folder / "stderr.txt"
    with open(log, "wb") as err:
        proc = subprocess.Popen(command, cwd=folder, stdout=subprocess.DEVNULL, stderr=err)
    while not any(".recording." in p.name for p in folder.iterdir()):  # the first frame is written
        if proc.poll() is not None:
            raise SystemExit(log.read_text())
        time.sleep(0.01)
    started = time.monotonic()
    time.sleep(args.seconds)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    recorded = time.monotonic() - started
    hidden = [p for p in folder.iterdir() if ".recording." in p.name]
    from edgestyle.atomic import sweep_stale

    recovered = [new for _, new in sweep_stale(folder, log=lambda m: None) if new is not None]
    path = recovered[0] if recovered else hidden[0]
    frames, last, status = decode(path)
    stats = [line for line in log.read_text().splitlines() if "fps |" in line]
    fps = float(stats[-1].split("fps")[0].split()[-1]) if stats else float("nan")
    print(f"command: {' '.join(command[1:])} (cwd {folder}), SIGKILL after {recorded:.1f} s of recording")
    print(f"last stats line before the kill: {stats[-1].strip() if stats else '-'}")
    print(
        "| wall time recorded | pipeline fps | hidden file | recovered as | frames decoded | playable up to | decode |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    print(
        f"| {recorded:.1f} s | {fps:.1f} | {hidden[0].name if hidden else '-'} ({path.stat().st_size / 1e6:.1f} MB) | "
        f"{path.name if recovered else '-'} | {frames} | {last:.1f} s | {status} |"
    )


if __name__ == "__main__":
    main()
