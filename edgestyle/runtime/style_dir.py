"""``run --style-dir``: a folder of pictures as live styles, switched on a key, a timer or a new file.

The style predictor never runs in the inference thread. A worker thread watches the folder
(polling: no inotify dependency, and it works on SD cards and network shares alike), computes
the code of the picture to show next (each picture once, then cached) and hands it over; the
hook the pipeline calls before each frame only crossfades between two code vectors, which costs
microseconds. The recurrent state is *not* reset at a switch: it carries the scene, and the
fade moves the style input gradually, so the picture stays as stable as within one style.

A file that is still being copied is taken only once its size and time have stayed the same
for one poll; hidden files (``.name``, what most copy tools write to first) are ignored. A
picture that cannot be used (unreadable, tiny, huge) is skipped with one warning line, and
retried only if the file changes.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edgestyle.errors import EdgestyleError
from edgestyle.runtime.style_code import StylePredictor, code_input, predictor_for
from edgestyle.runtime.video_io import IMAGE_SUFFIXES

DEFAULT_FADE = 0.5  # seconds of crossfade between two codes
POLL_SECONDS = 0.25  # how often the folder is looked at (a new file shows within ~2 polls)
NEXT_KEYS = ("n", " ")  # keys in the display window that show the next picture

Stamp = tuple[int, int]  # (size, mtime_ns): a file changed when this does


def _stamp(path: Path) -> Stamp | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


class StyleFolder:
    """The pictures of one folder in name order, and the ones that appeared (complete) since last asked."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        if not self.path.is_dir():
            raise EdgestyleError(f"style folder not found: {self.path}")
        self._known: dict[str, Stamp] = {}
        self._settling: dict[str, Stamp] = {}
        for picture in self.pictures():
            if (stamp := _stamp(picture)) is not None:
                self._known[picture.name] = stamp

    def pictures(self) -> list[Path]:
        """Picture files by name (hidden files and other suffixes left out); [] if the folder is gone."""
        try:
            entries = list(os.scandir(self.path))
        except OSError:
            return []
        return sorted(
            Path(e.path)
            for e in entries
            if not e.name.startswith(".") and Path(e.name).suffix.lower() in IMAGE_SUFFIXES and e.is_file()
        )

    def added(self) -> list[Path]:
        """Pictures new or rewritten since the last call, once their size and time held for one poll."""
        ready = []
        current = {p.name: p for p in self.pictures()}
        for name, path in current.items():
            stamp = _stamp(path)
            if stamp is None or self._known.get(name) == stamp:
                continue
            if self._settling.get(name) == stamp:
                self._known[name] = stamp
                del self._settling[name]
                ready.append(path)
            else:
                self._settling[name] = stamp
        for gone in set(self._known) - set(current):
            del self._known[gone]
        return ready


@dataclass
class _Switch:
    """A code ready to be shown, made by the worker for the inference thread."""

    name: str
    code: np.ndarray
    reason: str


class StyleCycler:
    """The ``before_inference`` hook of ``run --style-dir``: call it before each frame.

    ``every`` (seconds, None: never) switches to the next picture by name on a timer; :meth:`next`
    (a key) switches at once; a picture added to the folder is shown as soon as it is complete.
    The first usable picture is applied before the first frame; an empty or all-unusable folder
    is an error. ``log`` gets one line per switch and one warning per unusable file.
    """

    def __init__(
        self,
        stylizer,
        folder: str | os.PathLike,
        every: float | None = None,
        fade: float = DEFAULT_FADE,
        log: Callable[[str], None] | None = None,
        poll: float = POLL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ):
        code = code_input(stylizer.contract, stylizer.model.path.name)  # refuse a model that cannot
        self.stylizer, self.every, self.fade, self.poll, self.clock = stylizer, every, fade, poll, clock
        self.log = log or (lambda message: None)
        self.folder = StyleFolder(folder)
        pictures = self.folder.pictures()
        if not pictures:
            raise EdgestyleError(
                f"--style-dir {self.folder.path} has no pictures ({', '.join(IMAGE_SUFFIXES)})"
            )
        # The worker's own interpreter: LiteRT interpreters must not be shared between threads.
        self._predictor: StylePredictor = predictor_for(code, threads=1, warn=self.log)
        self._codes: dict[str, tuple[Stamp, np.ndarray]] = {}
        self._bad: dict[str, Stamp | None] = {}
        first = self._next_usable(pictures, after=None)
        if first is None:
            raise EdgestyleError(
                f"--style-dir {self.folder.path}: none of its {len(pictures)} pictures is usable"
            )
        self.current = first.name
        self._shown = self._to = first.code
        self._from = first.code
        self._fade_start = 0.0
        stylizer.set_style(first.code, label=first.name)
        self.log(f"style: {first.name} (first of {len(pictures)} in {self.folder.path})")
        self.switches = 0
        self._lock = threading.Lock()
        self._ready: _Switch | None = None
        self._wanted = threading.Event()  # a key asked for the next picture
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._errors: list[BaseException] = []
        self._thread = threading.Thread(target=self._work, name="style-dir", daemon=True)

    @property
    def code(self) -> np.ndarray:
        """The code fed to the model now (mid-fade: the mix of the two pictures' codes)."""
        return self._shown

    # -- control (any thread) ------------------------------------------------------------
    def start(self) -> StyleCycler:
        self._last_switch = self.clock()
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5.0)

    def next(self) -> None:
        """Show the next picture by name (a key in the display window)."""
        self._wanted.set()
        self._wake.set()

    def on_key(self, key: str) -> None:
        if key in NEXT_KEYS:
            self.next()

    # -- the inference thread ---------------------------------------------------------------
    def __call__(self) -> None:
        """Before each frame: take a switch the worker made ready, and advance the crossfade."""
        if self._errors:  # a bug in the worker surfaces in the pipeline, with its traceback
            raise self._errors[0]
        with self._lock:
            ready, self._ready = self._ready, None
        now = self.clock()
        if ready is not None:
            self._from, self._to, self._fade_start = self._shown, ready.code, now
            self.current = ready.name
            self.switches += 1
            self.log(f"style: {ready.name} ({ready.reason})")
        if self._shown is self._to:
            return
        w = 1.0 if self.fade <= 0 else min(1.0, (now - self._fade_start) / self.fade)
        self._shown = self._to if w >= 1.0 else ((1.0 - w) * self._from + w * self._to).astype(np.float32)
        self.stylizer.set_style(self._shown, label=self.current)

    # -- the worker thread -------------------------------------------------------------------
    def _work(self) -> None:
        try:
            while not self._stop.is_set():
                self._wake.wait(self.poll)
                self._wake.clear()
                if self._stop.is_set():
                    return
                switch = self._due()
                if switch is not None:
                    with self._lock:
                        self._ready = switch
                    self._last_switch = self.clock()
        except BaseException as exc:
            self._errors.append(exc)

    def _due(self) -> _Switch | None:
        """The switch to make now, if any: a new file first, then a key, then the timer."""
        for path in reversed(self.folder.added()):  # several at once: the last by name wins
            self._bad.pop(path.name, None)
            if (made := self._usable(path, "new file")) is not None:
                return made
        if self._wanted.is_set() or (self.every and self.clock() - self._last_switch >= self.every):
            reason = "key" if self._wanted.is_set() else "timer"
            self._wanted.clear()
            made = self._next_usable(self.folder.pictures(), after=self.current, reason=reason)
            if made is None:  # nothing else usable: keep the style, wait a full period again
                self._last_switch = self.clock()
            return made
        return None

    def _next_usable(self, pictures: list[Path], after: str | None, reason: str = "first") -> _Switch | None:
        """The first usable picture after ``after`` by name (wrapping round), never ``after`` itself."""
        names = [p.name for p in pictures]
        start = sum(1 for n in names if after is not None and n <= after)
        for path in pictures[start:] + pictures[:start]:
            if path.name != after and (made := self._usable(path, reason)) is not None:
                return made
        return None

    def _usable(self, path: Path, reason: str) -> _Switch | None:
        """The picture's code (cached per file version), or None after one warning line."""
        stamp = _stamp(path)
        cached = self._codes.get(path.name)
        if cached is not None and cached[0] == stamp:
            return _Switch(path.name, cached[1], reason)
        if path.name in self._bad and self._bad[path.name] == stamp:
            return None  # already warned about this version of the file
        try:
            code = self._predictor.code_of_file(path)
        except (EdgestyleError, OSError) as exc:
            self._bad[path.name] = stamp
            self.log(
                f"warning: skipped {exc}"
                if isinstance(exc, EdgestyleError)
                else f"warning: skipped {path}: {exc}"
            )
            return None
        if stamp is not None:
            self._codes[path.name] = (stamp, code)
        return _Switch(path.name, code, reason)
