"""The teacher kinds, keyed by spec prefix: how ``load_teacher`` finds the kind a spec names.

A spec is a built-in name (``cartoon``), a built-in with a picture (``colour-transfer@IMAGE``),
``KIND:PATH`` (``magenta:DIR``, ``tflite:FILE``, ``savedmodel:DIR``), or a bare ``PATH`` that a
file kind recognises (a ``.tflite``, a folder with ``saved_model.pb``, a Magenta folder). Help
texts and errors list the kinds from here. Entries name their builder as ``module:function`` and
import it only when a teacher is built, so the registry (and ``--help``) never loads numpy or OpenCV.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from edgestyle.errors import EdgestyleError
from edgestyle.teachers.spec import TeacherSpec, split_spec

if TYPE_CHECKING:
    from edgestyle.teachers.base import Teacher


@dataclass(frozen=True)
class TeacherKind:
    """One kind of teacher: its spec prefix, how a spec of it looks, and what builds it."""

    prefix: str  # ``cartoon`` (a built-in name) or ``magenta`` (for ``magenta:PATH``)
    usage: str  # how a spec of this kind looks, for help texts: ``magenta:DIR@STYLE.jpg``
    builder: str  # ``edgestyle.teachers.magenta:build``: a function TeacherSpec -> Teacher
    # File kinds: whether a bare path is one of theirs (None: a built-in that takes no path).
    claims: Callable[[Path], bool] | None = None

    @property
    def builtin(self) -> bool:
        return self.claims is None

    def build(self, spec: TeacherSpec) -> Teacher:
        module, function = self.builder.split(":")
        return getattr(importlib.import_module(module), function)(spec)


def is_tflite_file(path: Path) -> bool:
    return path.is_file() and path.suffix == ".tflite"


def is_saved_model_dir(path: Path) -> bool:
    return path.is_dir() and (path / "saved_model.pb").is_file()


def is_magenta_dir(path: Path) -> bool:
    """Any other folder is taken as Magenta's (its build says what is missing from it)."""
    return path.is_dir() and not is_saved_model_dir(path)


class TeacherRegistry:
    """Kinds in registration order (the order help texts list them and bare paths are tried)."""

    def __init__(self) -> None:
        self._kinds: dict[str, TeacherKind] = {}

    def register(self, kind: TeacherKind) -> TeacherKind:
        if kind.prefix in self._kinds:
            raise ValueError(f"teacher kind {kind.prefix!r} is already registered")
        self._kinds[kind.prefix] = kind
        return kind

    def unregister(self, kind: TeacherKind) -> None:
        self._kinds.pop(kind.prefix, None)

    def __iter__(self) -> Iterator[TeacherKind]:
        return iter(self._kinds.values())

    def builtin_names(self) -> list[str]:
        """Built-ins that are a bare name (``cartoon``, ``stylization``)."""
        return [k.prefix for k in self if k.builtin and k.usage == k.prefix]

    def help(self) -> str:
        return ", ".join(k.usage for k in self)

    def resolve(self, spec: str) -> tuple[TeacherKind, TeacherSpec]:
        """The kind a spec names and the parsed spec; one clear line when nothing matches."""
        head, style, value_range = split_spec(spec.strip())
        prefix, sep, rest = head.partition(":")
        named, prefixed = self._kinds.get(head), self._kinds.get(prefix) if sep else None
        if named is not None and named.builtin:
            kind, path = named, None
        elif prefixed is not None:
            kind, path = prefixed, Path(rest)
            if kind.builtin:
                raise EdgestyleError(f"teacher {kind.prefix} takes no path (got {spec!r}); use {kind.usage}")
            if not path.exists():
                raise self._unknown(spec, path)
            if not kind.claims(path):
                raise EdgestyleError(
                    f"teacher {spec!r}: {str(path)!r} is not what {prefix}: takes ({kind.usage})"
                )
        else:
            path = Path(head)
            kind = self._claimant(path, spec)
        return kind, TeacherSpec(spec, path, Path(style) if style else None, value_range)

    def style_name(self, spec: str) -> str:
        """A style name for a teacher given alone (``--teacher``): the built-in's name or the file's stem."""
        head = split_spec(spec)[0]
        prefix, sep, rest = head.partition(":")
        if head in self._kinds:
            return head
        if sep and prefix in self._kinds:
            head = rest
        return Path(head).stem or "style"

    def _claimant(self, path: Path, spec: str) -> TeacherKind:
        if not path.exists():
            raise self._unknown(spec, path)
        for kind in self:
            if kind.claims is not None and kind.claims(path):
                return kind
        raise EdgestyleError(f"unknown teacher file {str(path)!r}: expected one of {self.help()}")

    def _unknown(self, spec: str, path: Path) -> EdgestyleError:
        builtins = ", ".join(k.usage for k in self if k.builtin)
        return EdgestyleError(
            f"unknown teacher {spec!r}: not a built-in ({builtins}) and no file or directory {str(path)!r}"
        )
