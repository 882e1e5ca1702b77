"""Does a real browser play what edgestyle writes and serves? Headless Chromium, no test doubles.

1. Videos: a generated clip with AAC audio is written by the PyAV writer (H.264 + AAC, plain and
   fragmented MP4) and by the OpenCV fallback (MPEG-4 Part 2), served over loopback and loaded into a
   ``<video>`` element; the table shows what Chromium reports (size, duration, frames and audio bytes
   decoded, or its error).
2. The live preview: ``edgestyle run CLIP --loop --side-by-side --overlay -o http://127.0.0.1:0``
   runs, Chromium opens the page and takes a screenshot (``--screenshot``, default
   /tmp/edgestyle_preview.png; keep it out of the repository), and ``/status`` must count the viewer.

Skips (exit 0) when no chromium/chrome binary or no PyAV is found. Results:
benchmarks/results/check_browser.md. Run: python benchmarks/check_browser.py [--screenshot PATH]
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
SHARED = Path(os.environ.get("EDGESTYLE_SHARED", REPO.parent / "shared"))
CLI = [sys.executable, "-c", "from edgestyle.cli import main; main()"]
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PAGE = """<!doctype html><html><body><video id="v" muted preload="auto"></video><pre id="out">pending</pre>
<script>
const v = document.getElementById("v"), out = document.getElementById("out");
v.src = new URLSearchParams(location.search).get("f");
v.addEventListener("loadeddata", () => { v.play().catch(() => {}); setTimeout(() => {
  out.textContent = JSON.stringify({ok: true, width: v.videoWidth, height: v.videoHeight, duration: v.duration,
    frames_decoded: v.webkitDecodedFrameCount, audio_bytes_decoded: v.webkitAudioDecodedByteCount}); }, 1500); });
v.addEventListener("error", () => { out.textContent = JSON.stringify({ok: false, error: v.error && v.error.message}); });
</script></body></html>
"""


def chromium(browser: str, *args: str, timeout: float = 60) -> str:
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--autoplay-policy=no-user-gesture-required",
    ]
    proc = subprocess.run([browser, *flags, *args], capture_output=True, text=True, timeout=timeout)
    return proc.stdout


class QuietFiles(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def serve(folder: Path) -> http.server.ThreadingHTTPServer:
    handler = functools.partial(QuietFiles, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def write_videos(folder: Path) -> dict[str, str]:
    """File name -> what wrote it."""
    from edgestyle.runtime.video_io import VideoFileWriter, read_frames
    from edgestyle.synthetic import write_clip_with_audio

    clip = folder / "input.mp4"
    write_clip_with_audio(str(clip), frames=60, size=(320, 240), fps=30)
    made = {}
    for name, kwargs, what in [
        ("pyav.mp4", {"audio_from": clip}, "PyAV writer: H.264 + AAC copied"),
        ("pyav_fragmented.mp4", {"audio_from": clip, "fragmented": True}, "PyAV writer, fragmented MP4"),
        ("opencv.mp4", {"backend": "opencv"}, "OpenCV fallback: MPEG-4 Part 2 (mp4v)"),
    ]:
        with VideoFileWriter(folder / name, 30, (320, 240), **kwargs) as writer:
            for frame in read_frames(clip):
                writer.write(255 - frame)
        made[name] = what
    return made


def preview_screenshot(browser: str, screenshot: Path) -> dict:
    clip = SHARED / "data" / "video" / "big_buck_bunny_132f.mp4"
    source = [str(clip), "--loop"] if clip.is_file() else ["test://?size=640x360"]
    proc = subprocess.Popen(
        [*CLI, "run", *source, "--side-by-side", "--overlay", "-o", "http://127.0.0.1:0"],
        stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    try:
        url = ""
        while not url:
            line = proc.stderr.readline()
            if not line:
                raise SystemExit("edgestyle run ended before serving the preview")
            url = line.split()[1] if line.startswith("preview: ") else ""
        time.sleep(3)  # a few frames through the pipeline first
        watching: dict = {}
        done = threading.Event()

        def poll() -> None:  # /status while the browser has the page open: keep the busiest reading
            while not done.wait(0.5):
                status = json.loads(urllib.request.urlopen(url + "status", timeout=5).read())
                if status["viewers"] >= watching.get("viewers", 0):
                    watching.update(status)

        poller = threading.Thread(target=poll)
        poller.start()
        try:
            chromium(browser, "--window-size=1280,420", "--timeout=5000", f"--screenshot={screenshot}", url)
        finally:
            done.set()
            poller.join()
        return {"url": url, "status_during_screenshot": watching, "screenshot": str(screenshot)}
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--screenshot", type=Path, default=Path(tempfile.gettempdir()) / "edgestyle_preview.png"
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    browser = next((b for b in BROWSERS if shutil.which(b)), None)
    try:
        import av  # noqa: F401
    except ImportError:
        browser = None
    if browser is None:
        print("skipped: no chromium/chrome binary (apt install chromium) or no PyAV")
        return 0
    from edgestyle.atomic import write_text_atomic
    from edgestyle.evaluation.report import markdown_table

    version = subprocess.run([browser, "--version"], capture_output=True, text=True).stdout.strip()
    rows = []
    with tempfile.TemporaryDirectory(prefix="check_browser.") as tmp:
        folder = Path(tmp)
        (folder / "page.html").write_text(PAGE)
        made = write_videos(folder)
        server = serve(folder)
        try:
            for name, what in made.items():
                dom = chromium(browser, "--virtual-time-budget=5000", "--dump-dom",
                               f"http://127.0.0.1:{server.server_address[1]}/page.html?f={name}")  # fmt: skip
                found = re.search(r'<pre id="out">(.*?)</pre>', dom)
                result = json.loads(found.group(1).replace("&quot;", '"')) if found and found.group(1) != "pending" else {"ok": False, "error": "no result"}  # fmt: skip
                rows.append({"file": name, "writer": what, **result})
        finally:
            server.shutdown()
    preview = preview_screenshot(browser, args.screenshot)
    cells = [
        [r["file"], r["writer"], "plays" if r["ok"] and r.get("frames_decoded") else "refused",
         f"{r['width']}x{r['height']}, {r['duration']:.2f} s, {r['frames_decoded']} frames and "
         f"{r['audio_bytes_decoded']} audio bytes decoded" if r["ok"] else str(r.get("error"))]
        for r in rows
    ]  # fmt: skip
    status = preview["status_during_screenshot"]
    text = "\n".join(
        [
            f"# Browser check: {version}, headless",
            "",
            markdown_table(["file", "written by", "in a <video> element", "what Chromium reports"], cells),
            "",
            f"Live preview: Chromium opened {preview['url']}; `/status` while it was open: "
            f"{status.get('viewers')} viewer(s), {status.get('fps')} fps, style {status.get('style')}, "
            f"{status.get('frames_encoded')} JPEGs encoded. Screenshot: {preview['screenshot']}.",
        ]
    )
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(args.out / "check_browser.md", text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
