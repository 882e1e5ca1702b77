"""``run --style-dir``: a folder of pictures as live styles, switched on a key, a timer or a new file.

The style predictor never runs in the inference thread. A worker thread watches the folder
(polling: no inotify dependency, and it works on SD cards and network shares alike), computes
the code of the picture to show next (each picture once, then cached) and hands it over; the
hook the pipeline calls before each frame only crossfades between two code vectors, which costs
microseconds. The recurrent state is *not* reset at a switch: it carries the scene, and the
fade moves the style input gradually, so the picture stays as stable as within one style.

A file is taken only once it is complete: it decodes whole (the strict decoder of
:mod:`edgestyle.runtime.decode` finds a JPEG's end marker, a PNG's IEND, the size a header
promises) with its size and time the same before and after the read. A file that does not decode
is waited for, silently, while it may still be copying; once its size and time have held for
``SETTLE_SECONDS`` it is skipped with one warning line. Hidden files (``.name``, what most copy
tools write to first) are ignored. Anything else that cannot be used (a folder, FIFO, socket,
broken symlink or symlink loop named like a picture, an unreadable, tiny or huge file) is skipped
with one warning line and never stops the run; it is looked at again only if it changes.
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
from edgestyle.runtime.decode import DamagedPicture, not_a_file
from edgestyle.runtime.images import read_style_picture
from edgestyle.runtime.palette import mean_colour
from edgestyle.runtime.style_code import StylePredictor, code_input, predictor_for
from edgestyle.runtime.video_io import IMAGE_SUFFIXES

DEFAULT_FADE = 0.5  # seconds of crossfade between two codes
POLL_SECONDS = 0.25  # how often the folder is looked at (a new file shows within ~2 polls)
SETTLE_SECONDS = 2.0  # a file that does not decode is given up on once unchanged this long
FIRST_WAIT_SECONDS = 10.0  # before the first frame: how long to wait for pictures still being written
NEXT_KEYS = ("n", " ")  # keys in the display window that show the next picture

Stamp = tuple[int, int]  # (size, mtime_ns): a file changed when this does


def _stamp(path: Path) -> Stamp | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


class StyleFolder:
    """The pictures of one folder in name order, what else is named like one, and how long each held still.

    Scanning never raises: a folder that vanished lists nothing, and an entry that cannot be
    stat'ed (a symlink loop) is listed among :meth:`strays` with what it is.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        settle: float = SETTLE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.path = Path(path)
        if not self.path.is_dir():
            raise EdgestyleError(f"style folder not found: {self.path}")
        self.settle, self.clock = settle, clock
        self._held: dict[str, tuple[Stamp, float]] = {}  # name -> (stamp, since when it is that stamp)

    def scan(self) -> tuple[list[Path], dict[str, str]]:
        """(regular picture files by name, {name: what it is} for other entries named like pictures)."""
        try:
            entries = list(os.scandir(self.path))
        except OSError:
            return [], {}
        pictures, strays = [], {}
        for entry in entries:
            if entry.name.startswith(".") or Path(entry.name).suffix.lower() not in IMAGE_SUFFIXES:
                continue
            try:
                regular = entry.is_file()  # follows symlinks; a loop raises
            except OSError:
                regular = False
            if regular:
                pictures.append(Path(entry.path))
            else:
                strays[entry.name] = not_a_file(entry.path)
        return sorted(pictures), strays

    def pictures(self) -> list[Path]:
        """Picture files by name (hidden files, other suffixes and non-files left out); [] if the folder is gone."""
        return self.scan()[0]

    def settled(self, path: Path, stamp: Stamp | None) -> bool:
        """True once ``path`` has had ``stamp`` for ``settle`` seconds (watched here, or by its mtime)."""
        if stamp is None:
            return False
        now = self.clock()
        held = self._held.get(path.name)
        if held is None or held[0] != stamp:
            self._held[path.name] = held = (stamp, now)
        return now - held[1] >= self.settle or time.time() - stamp[1] / 1e9 >= self.settle


@dataclass
class _Switch:
    """A code ready to be shown, made by the worker for the inference thread."""

    name: str
    code: np.ndarray
    colour: np.ndarray  # the picture's mean colour, for the palette anchor
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
        settle: float = SETTLE_SECONDS,
    ):
        code = code_input(stylizer.contract, stylizer.model.path.name)  # refuse a model that cannot
        self.stylizer, self.every, self.fade, self.poll, self.clock = stylizer, every, fade, poll, clock
        self.log = log or (lambda message: None)
        self.folder = StyleFolder(folder, settle=settle)
        self._strays: dict[str, str] = {}  # warned about: name -> what it is
        pictures, strays = self.folder.scan()
        self._warn_strays(strays)
        if not pictures:
            raise EdgestyleError(
                f"--style-dir {self.folder.path} has no pictures ({', '.join(IMAGE_SUFFIXES)})"
            )
        # The worker's own interpreter: LiteRT interpreters must not be shared between threads.
        self._predictor: StylePredictor = predictor_for(code, threads=1, warn=self.log)
        self._codes: dict[str, tuple[Stamp, np.ndarray, np.ndarray]] = {}  # name -> stamp, code, colour
        self._bad: dict[str, Stamp] = {}  # warned about this version of the file
        self._waiting: dict[str, tuple[Stamp, str]] = {}  # does not decode (yet): maybe still copying
        self._handled: dict[str, Stamp | None] = {p.name: _stamp(p) for p in pictures}  # not "new files"
        first = self._first_usable(pictures)
        for name in self._waiting:  # taken as a new file once complete
            self._handled.pop(name, None)
        self.current = first.name
        self._shown = self._to = first.code
        self._from = first.code
        self._colour = self._colour_from = self._colour_to = first.colour
        self._fade_start = 0.0
        stylizer.set_style(first.code, label=first.name, colour=first.colour)
        self.log(f"style: {first.name} (first of {len(pictures)} in {self.folder.path})")
        self.switches = 0
        self._lock = threading.Lock()
        self._ready: _Switch | None = None
        self._wanted = threading.Event()  # a key asked for the next picture
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._errors: list[BaseException] = []
        self._thread = threading.Thread(target=self._work, name="style-dir", daemon=True)

    def _first_usable(self, pictures: list[Path]) -> _Switch:
        """The first usable picture by name; while none is but some are still being written, wait for them."""
        deadline = time.monotonic() + max(FIRST_WAIT_SECONDS, 2 * self.folder.settle)
        while True:
            first = self._next_usable(pictures, after=None)
            if first is not None:
                return first
            if not self._waiting or time.monotonic() > deadline:
                writing = f" ({len(self._waiting)} still being written)" if self._waiting else ""
                raise EdgestyleError(
                    f"--style-dir {self.folder.path}: none of its {len(pictures)} pictures is usable{writing}"
                )
            time.sleep(self.poll)
            pictures = self.folder.pictures() or pictures

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
            self._colour_from, self._colour_to = self._colour, ready.colour
            self.current = ready.name
            self.switches += 1
            self.log(f"style: {ready.name} ({ready.reason})")
        if self._shown is self._to:
            return
        w = 1.0 if self.fade <= 0 else min(1.0, (now - self._fade_start) / self.fade)

        def mix(start: np.ndarray, end: np.ndarray) -> np.ndarray:  # the end itself once the fade is over
            return end if w >= 1.0 else ((1.0 - w) * start + w * end).astype(np.float32)

        self._shown = mix(self._from, self._to)
        self._colour = mix(self._colour_from, self._colour_to)
        self.stylizer.set_style(self._shown, label=self.current, colour=self._colour)

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
        pictures, strays = self.folder.scan()
        self._warn_strays(strays)
        names = {p.name for p in pictures}
        for gone in set(self._handled) - names:
            del self._handled[gone]
        new = [p for p in pictures if self._handled.get(p.name, ()) != _stamp(p)]
        for path in reversed(new):  # several at once: the last by name wins
            if (made := self._usable(path, "new file")) is not None:
                return made
        if self._wanted.is_set() or (self.every and self.clock() - self._last_switch >= self.every):
            reason = "key" if self._wanted.is_set() else "timer"
            self._wanted.clear()
            made = self._next_usable(pictures, after=self.current, reason=reason)
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
        """The picture's code (cached per file version), or None: still being written (silently, until
        it has held still for the settle time), gone, or unusable (one warning per version)."""
        name, stamp = path.name, _stamp(path)
        if stamp is None:
            return None  # gone since the scan
        cached = self._codes.get(name)
        if cached is not None and cached[0] == stamp:
            self._handled[name] = stamp
            return _Switch(name, cached[1], cached[2], reason)
        if self._bad.get(name) == stamp:
            return None  # already warned about this version of the file
        waiting = self._waiting.get(name)
        if waiting is not None and waiting[0] == stamp:  # unchanged since it failed to decode
            return self._give_up(path, stamp, waiting[1]) if self.folder.settled(path, stamp) else None
        try:
            picture = read_style_picture(path)
            code = self._predictor.code(picture)
        except DamagedPicture as exc:  # a copy in progress looks exactly like this
            if _stamp(path) != stamp or not self.folder.settled(path, stamp):
                self._waiting[name] = (stamp, str(exc))
                return None
            return self._give_up(path, stamp, str(exc))
        except (EdgestyleError, OSError) as exc:
            if _stamp(path) is None:
                return None
            return self._give_up(path, stamp, str(exc))
        if _stamp(path) != stamp:  # it changed while being read: not complete yet
            return None
        self._waiting.pop(name, None)
        colour = mean_colour(picture)
        self._codes[name] = (stamp, code, colour)
        self._handled[name] = stamp
        return _Switch(name, code, colour, reason)

    def _give_up(self, path: Path, stamp: Stamp, why: str) -> None:
        self._bad[path.name] = self._handled[path.name] = stamp
        self._waiting.pop(path.name, None)
        self.log(skip_line(path, why))
        return None

    def _warn_strays(self, strays: dict[str, str]) -> None:
        """One warning per entry named like a picture that is no file (again only if it changes)."""
        for name in set(self._strays) - set(strays):
            del self._strays[name]
        for name, what in sorted(strays.items()):
            if self._strays.get(name) != what:
                self._strays[name] = what
                self.log(skip_line(self.folder.path / name, f"it is {what}"))


def skip_line(path: Path, why: str) -> str:
    """``warning: skipped style image P: cannot decode it: truncated JPEG (...)``: the file named once."""
    prefix = f"style image {path}: "
    why = why[len(prefix) :] if why.startswith(prefix) else why.replace(f"style image {path}", "it")
    return f"warning: skipped style image {path}: {why}"
