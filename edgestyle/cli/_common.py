"""Shared CLI manners: one-line errors, exit codes, ``--verbose``, and notes on stderr."""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer

from edgestyle.errors import EdgestyleError

F = TypeVar("F", bound=Callable[..., Any])

DELEGATE_HELP = (
    "xnnpack (CPU, default), cpu, edgetpu, gpu, or a path to a delegate library; for an .onnx model: "
    "auto (the default), tensorrt, cuda or cpu."
)

VERBOSE_OPTION = inspect.Parameter(
    "verbose",
    inspect.Parameter.KEYWORD_ONLY,
    default=typer.Option(
        False, "--verbose", help="Also show the INFO lines of LiteRT, TensorFlow and FFmpeg."
    ),
    annotation=bool,
)


def one_line_errors(func: F) -> F:
    """Turn :class:`EdgestyleError` into ``error: <message>`` on stderr and its exit code.

    Also gives every command a ``--verbose`` flag (quiet by default, see :mod:`edgestyle.console`).
    """
    from edgestyle.console import set_verbose

    @functools.wraps(func)
    def wrapper(*args: Any, verbose: bool = False, **kwargs: Any) -> Any:
        set_verbose(verbose)
        try:
            return func(*args, **kwargs)
        except EdgestyleError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            raise typer.Exit(130) from None

    signature = inspect.signature(func)
    wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*signature.parameters.values(), VERBOSE_OPTION]
    )
    return wrapper  # type: ignore[return-value]


def info(message: str) -> None:
    """Progress notes go to stderr so stdout stays parseable (tables, JSON)."""
    print(message, file=sys.stderr, flush=True)
