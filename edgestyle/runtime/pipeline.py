"""Capture, inference and display in three threads joined by one-slot queues.

A live camera must never lag: each queue holds one item, and a live source's newer frame
replaces the one still waiting (counted as a drop), so latency stays at about one frame of each
stage however slow the model is. Finite sources (files, folders) are read losslessly instead:
the slot blocks until the next stage takes the frame. The display stage runs in the caller's
thread because GUI toolkits and signal handlers want the main thread.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from edgestyle.runtime.sinks import FrameSink
from edgestyle.runtime.sources import FrameSource
from edgestyle.runtime.views import draw_overlay, side_by_side

END = object()  # end of stream marker


@dataclass
class Packet:
    """One frame on its way through the stages, with the times it reached each."""

    index: int
    frame: np.ndarray
    captured: float
    restart: int
    model_input: np.ndarray | None = None  # prepared in the capture thread
    output: np.ndarray | None = None


class Slot:
    """A one-item queue. ``put(drop=True)`` replaces a waiting item (a drop); ``drop=False`` waits."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._item: Any = None
        self._full = False
        self.closed = False
        self.drops = 0

    def put(self, item: Any, drop: bool) -> None:
        with self._cond:
            while self._full and not drop and not self.closed:
                self._cond.wait(0.1)
            if self.closed:
                return
            if self._full:
                self.drops += 1
            self._item, self._full = item, True
            self._cond.notify_all()

    def get(self, timeout: float = 0.1) -> Any:
        """The waiting item, or None after ``timeout`` or once closed."""
        with self._cond:
            if not self._full and not self.closed:
                self._cond.wait(timeout)
            if not self._full:
                return None
            item, self._item, self._full = self._item, None, False
            self._cond.notify_all()
            return item

    def close(self) -> None:
        with self._cond:
            self.closed = True
            self._cond.notify_all()


class StageTimer:
    """Rolling mean of the last ``window`` durations of one stage, in milliseconds."""

    def __init__(self, window: int = 120):
        self._values: deque[float] = deque(maxlen=window)

    def add(self, seconds: float) -> None:
        self._values.append(seconds * 1000.0)

    @property
    def ms(self) -> float:
        return sum(self._values) / len(self._values) if self._values else 0.0


@dataclass
class PipelineStats:
    frames: int = 0
    fps: float = 0.0
    capture_ms: float = 0.0
    infer_ms: float = 0.0
    display_ms: float = 0.0
    latency_ms: float = 0.0
    dropped_capture: int = 0
    dropped_inference: int = 0
    resets: int = 0
    reconnects: int = 0
    elapsed_s: float = 0.0

    def line(self) -> str:
        return (
            f"{self.fps:5.1f} fps | capture {self.capture_ms:.1f} ms | inference {self.infer_ms:.1f} ms | "
            f"display {self.display_ms:.1f} ms | latency {self.latency_ms:.0f} ms | "
            f"dropped {self.dropped_capture} before / {self.dropped_inference} after inference | "
            f"{self.frames} frames, {self.resets} state resets"
        )


class Pipeline:
    """Run ``source -> stylizer -> sink`` until the source ends, :meth:`stop`, or ``max_frames``.

    ``stylizer`` is anything with ``process(bgr) -> bgr`` and ``reset()``; a
    :class:`~edgestyle.runtime.stylizer.Stylizer` also offers ``prepare``/``infer``/``restore``,
    which the pipeline spreads over the capture, inference and display threads so the inference
    thread only runs the model. ``max_fps`` caps inference (and so power use); ``log`` receives
    a stats line every ``report_every`` seconds; ``before_inference`` runs in the inference
    thread before each frame, the safe place to change the style live.
    """

    def __init__(
        self,
        source: FrameSource,
        stylizer: Any,
        sink: FrameSink,
        *,
        max_fps: float | None = None,
        side_by_side: bool = False,
        overlay: bool = False,
        max_frames: int | None = None,
        report_every: float = 5.0,
        log: Callable[[str], None] | None = None,
        before_inference: Callable[[], None] | None = None,
    ):
        self.source, self.stylizer, self.sink = source, stylizer, sink
        self.max_fps = max_fps
        self.side_by_side, self.overlay = side_by_side, overlay
        self.max_frames = max_frames
        self.report_every = report_every
        self.log = log or (lambda message: None)
        self.before_inference = before_inference  # runs in the inference thread (e.g. a style change)
        # A Stylizer splits its work so only the model call stays in the inference thread.
        self._split = all(hasattr(stylizer, name) for name in ("prepare", "infer", "restore"))
        self._captured, self._inferred = Slot(), Slot()
        self._stop = threading.Event()
        self._errors: list[BaseException] = []
        self.timers = {name: StageTimer() for name in ("capture", "inference", "display", "latency")}
        self._shown: deque[float] = deque(maxlen=60)
        self.frames = 0
        self.resets = 0
        self.stop_reason = ""

    # -- control ------------------------------------------------------------------------
    def stop(self, reason: str = "stopped") -> None:
        """Ask every stage to finish (safe from signal handlers and other threads)."""
        if not self._stop.is_set():
            self.stop_reason = reason
        self._stop.set()
        self.source.closed.set()  # wakes a source waiting to reconnect or pacing itself
        self._captured.close()
        self._inferred.close()

    @property
    def lossless(self) -> bool:
        return not self.source.live

    def stats(self) -> PipelineStats:
        shown = list(self._shown)
        fps = (len(shown) - 1) / (shown[-1] - shown[0]) if len(shown) > 1 and shown[-1] > shown[0] else 0.0
        return PipelineStats(
            frames=self.frames,
            fps=fps,
            capture_ms=self.timers["capture"].ms,
            infer_ms=self.timers["inference"].ms,
            display_ms=self.timers["display"].ms,
            latency_ms=self.timers["latency"].ms,
            dropped_capture=self._captured.drops,
            dropped_inference=self._inferred.drops,
            resets=self.resets,
            reconnects=getattr(self.source, "reconnects", 0),
        )

    def status(self) -> dict[str, Any]:
        """The live figures as JSON-ready values (the browser preview's ``/status``; any thread)."""
        s = self.stats()
        return {
            "fps": round(s.fps, 2),
            "frames": s.frames,
            "inference_ms": round(s.infer_ms, 2),
            "latency_ms": round(s.latency_ms, 1),
            "dropped": {"before_inference": s.dropped_capture, "after_inference": s.dropped_inference},
            "state_resets": s.resets,
            "reconnects": s.reconnects,
        }

    # -- stages -------------------------------------------------------------------------
    def _guard(self, stage: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                stage()
            except BaseException as exc:  # surfaced in run(); the other stages stop
                self._errors.append(exc)
                self.stop("error")

        return run

    def _capture(self) -> None:
        try:
            self._capture_loop()
        finally:
            self.source.close()  # released by the thread that reads it, never under its feet

    def _capture_loop(self) -> None:
        index = 0
        while not self._stop.is_set():
            t0 = time.perf_counter()
            frame = self.source.read()
            if frame is None:
                self._captured.put(END, drop=False)
                return
            captured = time.perf_counter()
            packet = Packet(index, frame, captured, self.source.restarts)
            if self._split:  # resize + colour conversion here, in parallel with the model
                packet.model_input = self.stylizer.prepare(frame)
            self.timers["capture"].add(time.perf_counter() - t0)
            self._captured.put(packet, drop=not self.lossless)
            index += 1

    def _infer(self) -> None:
        restart = self.source.restarts
        next_due = time.perf_counter()
        while not self._stop.is_set():
            if self.max_fps and self._stop.wait(max(0.0, next_due - time.perf_counter())):
                return  # paced before taking a frame, so the one taken is the newest
            packet = self._captured.get()
            if packet is None:
                continue
            if packet is END:
                self._inferred.put(END, drop=False)
                return
            if self.max_fps:
                next_due = max(next_due + 1.0 / self.max_fps, time.perf_counter())
            if packet.restart != restart:  # the source reconnected or looped: old state is wrong
                self.stylizer.reset()
                self.resets += 1
                restart = packet.restart
            if self.before_inference:
                self.before_inference()
            t0 = time.perf_counter()
            if self._split:
                packet.output = self.stylizer.infer(packet.model_input)
            else:
                packet.output = self.stylizer.process(packet.frame)
            self.timers["inference"].add(time.perf_counter() - t0)
            self._inferred.put(packet, drop=not self.lossless)

    def _compose(self, packet: Packet) -> np.ndarray:
        if self._split:  # back to the input's size and BGR, in the display thread
            packet.output = self.stylizer.restore(packet.output, packet.frame.shape[1::-1])
        view = side_by_side(packet.frame, packet.output) if self.side_by_side else packet.output
        if self.overlay:
            s = self.stats()
            view = draw_overlay(
                view.copy() if view is packet.output else view,
                [f"{s.fps:.1f} fps  inference {s.infer_ms:.0f} ms  latency {s.latency_ms:.0f} ms"],
            )
        return view

    def run(self) -> PipelineStats:
        """Run until the end; returns the final stats. Errors from any stage are re-raised here."""
        threads = [
            threading.Thread(target=self._guard(self._capture), name="capture", daemon=True),
            threading.Thread(target=self._guard(self._infer), name="inference", daemon=True),
        ]
        started = time.perf_counter()
        last_report = started
        for t in threads:
            t.start()
        try:
            while not self._stop.is_set():
                packet = self._inferred.get()
                if packet is None:
                    continue
                if packet is END:
                    self.stop("end of source")
                    break
                t0 = time.perf_counter()
                keep = self.sink.write(self._compose(packet))
                now = time.perf_counter()
                self.timers["display"].add(now - t0)
                self.timers["latency"].add(now - packet.captured)
                self._shown.append(now)
                self.frames += 1
                if not keep:
                    self.stop("closed by the viewer")
                elif self.max_frames and self.frames >= self.max_frames:
                    self.stop("frame limit reached")
                if self.report_every and now - last_report >= self.report_every:
                    self.log(self.stats().line())
                    last_report = now
        finally:
            self.stop(self.stop_reason or "interrupted")
            for t in threads:
                t.join(timeout=5.0)
        if self._errors:
            raise self._errors[0]
        stats = self.stats()
        stats.elapsed_s = time.perf_counter() - started
        return stats
