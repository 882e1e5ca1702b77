"""The browser preview sink (``run -o http://HOST:PORT``) through a real HTTP client on loopback:
page, MJPEG stream, JSON status, several viewers, a viewer that stops reading, a port in use."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from edgestyle.cli import app
from edgestyle.errors import EdgestyleError
from edgestyle.runtime.sinks import HttpPreviewSink, open_sink

MODEL = str(Path(__file__).parent / "data" / "tiny_stateful_dev.tflite")


@pytest.fixture
def preview():
    sink = open_sink("http://127.0.0.1:0")
    yield sink
    sink.close()


def get(sink: HttpPreviewSink, path: str, method: str = "GET") -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection(sink.host, sink.port, timeout=5)
    conn.request(method, path)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, dict(response.getheaders()), body


class Viewer(threading.Thread):
    """Reads /stream like a browser's <img>: parts with Content-Length, decoded as JPEG."""

    def __init__(self, sink: HttpPreviewSink, want: int):
        super().__init__(daemon=True)
        self.sink, self.want, self.frames = sink, want, []

    def run(self) -> None:
        conn = http.client.HTTPConnection(self.sink.host, self.sink.port, timeout=10)
        conn.request("GET", "/stream")
        response = conn.getresponse()
        assert response.getheader("Content-Type").startswith("multipart/x-mixed-replace; boundary=")
        while len(self.frames) < self.want:
            headers = {}
            while (line := response.fp.readline().strip()) != b"" or not headers:
                if b":" in line:
                    key, value = line.decode().split(":", 1)
                    headers[key.lower()] = value.strip()
            jpeg = response.fp.read(int(headers["content-length"]))
            response.fp.readline()
            self.frames.append(cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR))
        conn.close()


def test_page_status_and_nothing_else(preview):
    assert preview.host == "127.0.0.1" and preview.port > 0
    code, headers, page = get(preview, "/")
    assert code == 200 and headers["Content-Type"].startswith("text/html") and b'<img src="stream"' in page
    code, _, body = get(preview, "/status")
    status = json.loads(body)
    assert code == 200 and status["viewers"] == 0 and set(status["dropped"]) >= {"before_inference"}
    for path in ["/../etc/passwd", "/stream.jpg", "/favicon.ico", "/index.php"]:
        assert get(preview, path)[0] == 404
    assert get(preview, "/", "POST")[0] == 501
    code, _, body = get(preview, "/", "HEAD")
    assert code == 200 and body == b""


def test_three_viewers_see_the_newest_frames(preview):
    viewers = [Viewer(preview, want=5) for _ in range(3)]
    for viewer in viewers:
        viewer.start()
    deadline = time.monotonic() + 10
    shade = 0
    while any(v.is_alive() for v in viewers) and time.monotonic() < deadline:
        shade = (shade + 10) % 250
        preview.write(np.full((48, 64, 3), shade, np.uint8))
        time.sleep(0.01)
    for viewer in viewers:
        viewer.join(1)
        assert len(viewer.frames) == 5 and viewer.frames[-1].shape == (48, 64, 3)


def test_a_viewer_that_stops_reading_stalls_neither_the_pipeline_nor_other_viewers(preview):
    stalled = socket.socket()
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.connect((preview.host, preview.port))
    stalled.sendall(b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")  # and never reads a byte
    rng = np.random.default_rng(0)
    noisy = [rng.integers(0, 256, (480, 640, 3), dtype=np.uint8) for _ in range(4)]  # ~0.4 MB JPEGs
    slowest, start = 0.0, time.monotonic()
    for i in range(120):
        t0 = time.perf_counter()
        preview.write(noisy[i % 4])
        slowest = max(slowest, time.perf_counter() - t0)
        time.sleep(0.005)
    assert slowest < 1.0  # write() never waits for the viewer (that would be VIEWER_TIMEOUT, 10 s)
    status = json.loads(get(preview, "/status")[2])
    assert status["viewers"] == 1 and status["frames_encoded"] > 20  # the stalled viewer's socket is full
    viewer = Viewer(preview, want=3)
    viewer.start()
    while viewer.is_alive() and time.monotonic() - start < 20:
        preview.write(noisy[0])
        time.sleep(0.01)
    assert len(viewer.frames) == 3  # served while the other one is stuck
    assert json.loads(get(preview, "/status")[2])["dropped"]["preview_viewers"] > 0
    stalled.close()


def test_localhost_by_default_and_port_in_use_is_one_error(preview):
    sink = open_sink("http://:0")
    assert sink.host == "127.0.0.1"
    sink.close()
    with pytest.raises(EdgestyleError, match="already in use"):
        open_sink(f"http://127.0.0.1:{preview.port}")
    result = CliRunner().invoke(
        app,
        ["run", "test://?size=64x48", "-m", MODEL, "-o", f"http://127.0.0.1:{preview.port}", "--frames", "3"],
    )
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert [line for line in result.output.splitlines() if line.startswith("error:")] == [
        f"error: cannot serve the preview on 127.0.0.1:{preview.port}: the address is already in use "
        "(another edgestyle run?); pick another port, e.g. -o http://127.0.0.1:8081"
    ]
    for bad in ["http://127.0.0.1:0/live", "http://127.0.0.1:0?quality=0", "http://127.0.0.1:0?fps=x"]:
        with pytest.raises(EdgestyleError, match="preview"):
            open_sink(bad)


def test_run_serves_live_status_with_the_style(tmp_path):
    """`edgestyle run -o http://127.0.0.1:0 -o null` end to end: status from the running pipeline."""
    proc = subprocess.Popen(
        [sys.executable, "-c", "from edgestyle.cli import main; main()", "run", "test://?size=64x48&fps=30",
         "-m", MODEL, "--style", "b", "-o", "http://127.0.0.1:0", "-o", "null"],
        stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    try:
        url = ""
        while not url:
            line = proc.stderr.readline()
            assert line, "run ended before serving"
            url = line.split()[1] if line.startswith("preview: ") else ""
        host, port = url.removeprefix("http://").rstrip("/").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=5)
        deadline = time.monotonic() + 60  # a loaded 2-core CI box may run the model at a few fps
        while time.monotonic() < deadline:
            conn.request("GET", "/status")
            status = json.loads(conn.getresponse().read())
            if status["frames"] >= 3:
                break
            time.sleep(0.2)
        assert status["style"] == "b" and status["fps"] > 0 and status["model"] == "tiny_stateful_dev.tflite"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 143  # 128 + SIGTERM, after a clean stop
