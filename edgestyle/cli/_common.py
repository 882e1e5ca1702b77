"""Shared CLI manners: one-line errors, exit codes, and a console for progress and tables."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer

from edgestyle.errors import EdgestyleError

F = TypeVar("F", bound=Callable[..., Any])


def one_line_errors(func: F) -> F:
    """Turn :class:`EdgestyleError` into ``error: <message>`` on stderr and its exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except EdgestyleError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


def info(message: str) -> None:
    """Progress notes go to stderr so stdout stays parseable (tables, JSON)."""
    print(message, file=sys.stderr, flush=True)
