"""``http://127.0.0.1:8080``: a live preview in any browser, for boards without a screen.

Serves exactly three things: ``/`` (a small page), ``/stream`` (MJPEG: ``multipart/x-mixed-replace``,
which browsers show in a plain ``<img>``) and ``/status`` (JSON: fps, dropped frames, style, viewers).
Anything else is a 404. It binds to 127.0.0.1 unless the URI names another address
(``http://0.0.0.0:8080`` for the whole network), and port 0 lets the OS pick one. Off loopback
every one of the three needs the access token (:mod:`.preview_access`); a request without it is a
403 answered before anything else happens, so it costs no JPEG encoding.

The camera pipeline never waits for a viewer: :meth:`HttpPreviewSink.write` only swaps a reference
to the newest frame. One encoder thread turns it into a JPEG (only while someone watches, at most
``?fps=`` per second), and each viewer has its own thread that sends the newest JPEG when it is
ready; a slow viewer skips frames (counted) and one that stops reading is dropped after
``VIEWER_TIMEOUT`` seconds, neither of which touches the pipeline or the other viewers.
"""

from __future__ import annotations

import errno
import json
import socket
import socketserver
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from edgestyle.errors import EdgestyleError
from edgestyle.runtime.sinks.base import FrameSink, SinkOptions
from edgestyle.runtime.sinks.preview_access import (
    check_token,
    is_loopback,
    open_network_warning,
    presented_token,
    redact,
    token_for,
    token_matches,
)
from edgestyle.runtime.uris import Uri

if TYPE_CHECKING:
    import numpy as np

DEFAULT_PORT = 8080
VIEWER_TIMEOUT = 10.0  # seconds a viewer may leave a frame unread before it is disconnected
BOUNDARY = "edgestyle-frame"
ROUTES = ("/", "/index.html", "/stream", "/status")
FORBIDDEN = b"forbidden: this preview needs its token (?token=..., printed when the preview started)\n"
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>edgestyle preview</title>
<style>body{margin:0;background:#111;color:#ddd;font:14px sans-serif;text-align:center}
img{max-width:100vw;max-height:calc(100vh - 2.5em);display:block;margin:0 auto}
p{margin:.6em}</style></head>
<body><img src="stream__QUERY__" alt="stylized stream"><p id="status">edgestyle live preview</p>
<script>
async function poll(){try{const s=await (await fetch("status__QUERY__")).json();
document.getElementById("status").textContent=`${s.fps.toFixed(1)} fps | style ${s.style} | `+
`dropped ${s.dropped.before_inference} before / ${s.dropped.after_inference} after inference | `+
`${s.viewers} viewer${s.viewers==1?"":"s"}`;}catch(e){}}
poll();setInterval(poll,1000);
</script></body></html>
"""


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # viewer threads never keep the process alive
    allow_reuse_port = False  # a port in use is an error, not a second listener
    # socketserver's default backlog of 5 let a burst of connections (a page, its stream and status,
    # several viewers, idle sockets) wait for SYN retries of 1, 3, 7 s: measured with 50 at once.
    request_queue_size = 128
    sink: HttpPreviewSink

    def server_bind(self) -> None:
        """Bind without HTTPServer's reverse DNS lookup of the host (seconds on a board without DNS)."""
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "edgestyle"
    sys_version = ""
    timeout = VIEWER_TIMEOUT  # socket timeout: a viewer that stops reading is dropped

    def do_GET(self) -> None:  # noqa: N802 - the http.server naming
        route = urlparse(self.path).path
        sink = self.server.sink
        if route not in ROUTES:
            self._send(404, "text/plain; charset=utf-8", b"not found\n")
        elif not sink.admits(self.path, self.headers.get("Authorization")):
            self._send(403, "text/plain; charset=utf-8", FORBIDDEN)  # before any work for this request
        elif route in ("/", "/index.html"):
            self._send(200, "text/html; charset=utf-8", sink.page())
        elif route == "/status":
            self._send(200, "application/json", json.dumps(self.server.sink.status()).encode())
        else:
            self.server.sink.stream_to(self)

    def do_HEAD(self) -> None:  # noqa: N802
        self.do_GET()

    def _send(self, code: int, kind: str, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")  # the token in links stays on this page
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per request would flood a board's journal


class HttpPreviewSink(FrameSink):
    """An MJPEG preview server; see the module docstring. ``status()`` is what ``/status`` returns."""

    schemes = ("http",)
    example = "http://127.0.0.1:8080 (a browser preview; ?fps=15&quality=80; off loopback ?token=...)"
    watched = True

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        max_fps: float | None = None,
        quality: int = 80,
        log: Callable[[str], None] | None = None,
        token: str | None = None,
    ):
        self.quality, self.max_fps = quality, max_fps
        self._lock = threading.Lock()
        self._new_frame = threading.Condition(self._lock)  # wakes the encoder only
        self._new_jpeg = threading.Condition(self._lock)  # wakes the viewers only
        self._frame: np.ndarray | None = None
        self._written = 0  # frames handed to write()
        self._jpeg: bytes | None = None
        self._encoded = 0  # sequence number of self._jpeg
        self._viewers = 0
        self._skipped = 0  # frames no JPEG was made of (encoder busy or paced)
        self._viewer_skips = 0  # JPEGs that viewers who moved on or left never received
        self._viewer_sent: dict[int, int] = {}  # per live viewer: the last JPEG it was handed
        self._closed = False
        self._started = time.monotonic()
        self._status_of_pipeline: Callable[[], dict[str, Any]] = dict
        self._server = _open_server(host, port)
        self._server.sink = self
        self.host, self.port = self._server.server_address[:2]
        shown = f"[{self.host}]" if ":" in self.host else self.host
        self.url = f"http://{shown}:{self.port}/"
        self.name = self.url
        self.token = token_for(self.host, token)
        self._threads = [
            threading.Thread(target=self._server.serve_forever, name="preview-http", daemon=True),
            threading.Thread(target=self._encode_loop, name="preview-jpeg", daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        say = log or (lambda message: None)
        if self.token is None:
            say(f"preview: {self.url} (stream at /stream, JSON at /status)")
        else:  # the only line that shows the token
            say(
                f"preview: {self.url}?token={self.token} (stream at /stream, JSON at /status; each needs the token)"
            )
        if not is_loopback(self.host):
            say(open_network_warning(self.host, self.port))

    @classmethod
    def from_uri(cls, uri: Uri, options: SinkOptions) -> HttpPreviewSink:
        parsed = urlparse(uri.text)
        if parsed.path not in ("", "/"):
            raise EdgestyleError(f"the preview is served at the root: use http://HOST:PORT, not {uri.text!r}")
        try:
            port = parsed.port
        except ValueError:
            raise EdgestyleError(f"bad port in {uri.text!r}: expected http://HOST:PORT") from None
        fps, quality = uri.param("fps"), uri.param("quality", "80")
        token = _given_token(uri, options.preview_token)
        try:
            max_fps = float(fps) if fps else None
            quality_value = int(quality or "80")
        except ValueError:
            raise EdgestyleError(f"bad preview option in {uri.text!r}: fps and quality are numbers") from None
        if not 1 <= quality_value <= 100 or (max_fps is not None and max_fps <= 0):
            raise EdgestyleError(f"bad preview option in {uri.text!r}: quality 1-100, fps above 0")
        return cls(
            parsed.hostname or "127.0.0.1",
            DEFAULT_PORT if port is None else port,
            max_fps,
            quality_value,
            options.log,
            token,
        )

    # -- access -----------------------------------------------------------------------------
    def admits(self, path: str, authorization: str | None) -> bool:
        """Whether a request may see anything: always on an open preview, else only with the token."""
        return self.token is None or token_matches(presented_token(path, authorization), self.token)

    def page(self) -> bytes:
        """The page, its links carrying the token (a browser's ``<img>`` sends no header)."""
        return PAGE.replace("__QUERY__", f"?token={self.token}" if self.token else "").encode()

    # -- the pipeline side: never blocks ------------------------------------------------
    def write(self, frame_bgr: np.ndarray) -> bool:
        with self._lock:
            self._frame = frame_bgr  # a reference: the pipeline hands over a new array per frame
            self._written += 1
            self._new_frame.notify()
        return True

    def attach_status(self, status: Callable[[], dict[str, Any]]) -> None:
        self._status_of_pipeline = status

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._new_frame.notify_all()
            self._new_jpeg.notify_all()
        self._server.shutdown()
        self._server.server_close()
        for thread in self._threads:
            thread.join(timeout=2.0)

    # -- the encoder thread ----------------------------------------------------------------
    def _encode_loop(self) -> None:
        import cv2

        done, next_due = 0, 0.0
        while True:
            with self._lock:
                while not self._closed and (self._written == done or self._viewers == 0):
                    if self._viewers == 0:
                        done = self._written  # frames nobody watched are not drops
                    self._new_frame.wait()
                if self._closed:
                    return
                frame, written = self._frame, self._written
            if self.max_fps:
                delay = next_due - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                    with self._lock:
                        frame, written = self._frame, self._written  # the newest after the pause
                next_due = max(next_due + 1.0 / self.max_fps, time.monotonic())
            ok, jpeg = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, self.quality])
            with self._lock:
                self._skipped += max(0, written - done - 1)
                done = written
                if ok:
                    self._jpeg, self._encoded = jpeg.tobytes(), self._encoded + 1
                    self._new_jpeg.notify_all()

    # -- one viewer thread per /stream request ---------------------------------------------
    def stream_to(self, handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
        handler.send_header("Cache-Control", "no-store")
        handler.end_headers()
        if handler.command == "HEAD":
            return
        with self._lock:
            self._viewers += 1
            self._new_frame.notify()  # the encoder may have been idle with nobody watching
        sent, me = 0, threading.get_ident()
        try:
            while True:
                with self._lock:
                    while not self._closed and self._encoded == sent:
                        self._new_jpeg.wait(1.0)
                    if self._closed:
                        return
                    if sent:
                        self._viewer_skips += self._encoded - sent - 1
                    jpeg, sent = self._jpeg, self._encoded
                    self._viewer_sent[me] = sent
                head = f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n"
                handler.wfile.write(head.encode() + jpeg + b"\r\n")
        except (OSError, TimeoutError):
            pass  # the viewer left or stopped reading
        finally:
            with self._lock:
                self._viewers -= 1
                if self._viewer_sent.pop(me, 0):
                    self._viewer_skips += self._encoded - sent  # what it missed before leaving

    def status(self) -> dict[str, Any]:
        """What ``/status`` serves: the pipeline's figures (once attached) and the preview's own."""
        pipeline = self._status_of_pipeline()
        with self._lock:
            mine = {"viewers": self._viewers, "frames_encoded": self._encoded}
            stalled = sum(max(0, self._encoded - sent - 1) for sent in self._viewer_sent.values())
            skipped = {"preview_encoder": self._skipped, "preview_viewers": self._viewer_skips + stalled}
        dropped = {"before_inference": 0, "after_inference": 0, **pipeline.pop("dropped", {}), **skipped}
        return {
            "fps": 0.0,
            "frames": 0,
            "style": "",
            **pipeline,
            **mine,
            "dropped": dropped,
            "uptime_s": round(time.monotonic() - self._started, 1),
        }


def _given_token(uri: Uri, option: str | None) -> str | None:
    """``?token=`` of the URI or ``--preview-token`` (both: the same one), checked; None if neither."""
    in_uri = uri.param("token")
    if in_uri is not None and option is not None and in_uri != option:
        raise EdgestyleError(f"{redact(uri.text)} names another token than --preview-token: give one of them")
    token = in_uri if in_uri is not None else option
    return None if token is None else check_token(token, redact(uri.text) if in_uri else "--preview-token")


def _open_server(host: str, port: int) -> _Server:
    """Bind now, so a port in use is one error before the camera starts."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    server_class = type("_Server", (_Server,), {"address_family": family})
    try:
        return server_class((host, port), _Handler)
    except OSError as exc:
        where = f"{host}:{port}"
        if exc.errno == errno.EADDRINUSE:
            raise EdgestyleError(
                f"cannot serve the preview on {where}: the address is already in use "
                "(another edgestyle run?); pick another port, e.g. -o http://127.0.0.1:8081"
            ) from None
        if exc.errno == errno.EACCES:
            raise EdgestyleError(f"cannot serve the preview on {where}: ports below 1024 need root") from None
        reason = exc.strerror or str(exc)
        raise EdgestyleError(f"cannot serve the preview on {where}: {reason}") from None
