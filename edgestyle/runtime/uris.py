"""URIs and the scheme-keyed registry that sources and sinks are opened through.

A source or sink is one class in its own module that says which ``schemes`` it answers
(``picam`` for ``picam:0``, ``hdmi`` for the bare word ``hdmi``), optionally which scheme-less
path ``prefixes`` it claims (``/dev/video``), an ``example`` for help texts, and a classmethod
``from_uri(uri, options)``. The package's ``__init__`` holds one registry line per class, so
adding one is one new file plus one line (docs/runtime.md, "Adding a source or sink").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar
from urllib.parse import parse_qs, urlparse

from edgestyle.errors import EdgestyleError
from edgestyle.sizes import parse_size

_BARE_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


@dataclass(frozen=True)
class Uri:
    """A parsed source or sink address.

    ``scheme`` is lower case and empty for a plain path; ``target`` is what follows the scheme
    without the query (``0`` in ``picam:0`` and ``csi://0``, ``/dev/video0`` in
    ``v4l2:///dev/video0``, the path itself for a plain path).
    """

    text: str
    scheme: str
    target: str
    query: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> Uri:
        parsed = urlparse(text)
        return cls(text, parsed.scheme.lower(), parsed.netloc + parsed.path, parse_qs(parsed.query))

    def param(self, key: str, default: str | None = None) -> str | None:
        """The first ``key=`` value of the query, else ``default``."""
        return self.query.get(key, [default])[0]

    def size_param(self, default: tuple[int, int]) -> tuple[int, int]:
        """``?size=WIDTHxHEIGHT`` (within what a live pipeline can hold here) or ``default``."""
        from edgestyle.limits import LIVE_BYTES_PER_PIXEL, check_frame_size

        size = self.param("size")
        return check_frame_size(parse_size(size), "size", LIVE_BYTES_PER_PIXEL) if size else default


class Opener(Protocol):
    """What a registry entry provides (a source or sink class, or a chooser such as ``hdmi``)."""

    schemes: tuple[str, ...]
    prefixes: tuple[str, ...]
    example: str

    @classmethod
    def from_uri(cls, uri: Uri, options: Any) -> Any: ...


T = TypeVar("T", bound=Opener)


class UriRegistry(Generic[T]):
    """Scheme -> opener, scheme-less path prefixes -> opener, and one fallback for plain paths.

    ``kind`` ("source", "sink") words the errors. Registering a scheme twice replaces the
    earlier entry (a board package may override a built-in).
    """

    def __init__(self, kind: str, fallback_scheme: str) -> None:
        self.kind = kind
        self.fallback_scheme = fallback_scheme
        self._entries: list[T] = []

    def register(self, entry: T) -> T:
        """Add ``entry`` (usable as a class decorator); its schemes win over earlier ones."""
        self.unregister(entry)
        self._entries.append(entry)
        return entry

    def unregister(self, entry: T) -> None:
        self._entries = [e for e in self._entries if e is not entry]

    def __iter__(self):
        return iter(list(self._entries))

    def schemes(self) -> dict[str, T]:
        table: dict[str, T] = {}
        for entry in self._entries:
            table.update(dict.fromkeys(entry.schemes, entry))
        return table

    def help(self) -> str:
        """The examples of every entry, for ``unknown source`` errors and ``--help`` texts."""
        examples = [e.example for e in self._entries if e.example]
        return ", ".join(examples[:-1]) + (" or " if len(examples) > 1 else "") + examples[-1]

    def resolve(self, text: str) -> tuple[T, Uri]:
        """The entry for ``text`` and the parsed URI, or one ``unknown <kind>`` error.

        Order: a bare registered word (``hdmi``), a registered scheme (``picam:0``), a claimed
        path prefix (``/dev/video0``), then the fallback entry for anything without a scheme.
        """
        schemes = self.schemes()
        if _BARE_WORD.fullmatch(text) and text.lower() in schemes:
            return schemes[text.lower()], Uri(text, text.lower(), "")
        uri = Uri.parse(text)
        if uri.scheme in schemes:
            return schemes[uri.scheme], uri
        for entry in reversed(self._entries):
            if any(text.startswith(prefix) for prefix in entry.prefixes):
                return entry, Uri(text, "", text)
        if not uri.scheme and self.fallback_scheme in schemes:
            return schemes[self.fallback_scheme], Uri(text, "", text)
        raise EdgestyleError(f"unknown {self.kind} {text!r}: use {self.help()}")

    def open(self, text: str, options: Any) -> Any:
        entry, uri = self.resolve(text)
        return entry.from_uri(uri, options)
