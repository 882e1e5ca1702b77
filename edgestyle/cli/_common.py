"""Shared CLI manners: one-line errors, exit codes, signals, ``--verbose``, and notes on stderr.

Exit codes, the same for every command:

====  ==========================================================================================
0     done
1     a problem the user can fix (bad input, missing file, full disk, read-only folder, closed stdout)
2     a usage error (unknown option) or a feature that is not built yet
130   stopped by Ctrl-C (SIGINT), 128 + 2
141   the reader of stdout left before taking everything (``| head``): EPIPE, 128 + SIGPIPE as a
      shell reports it, with one ``error:`` line
143   stopped by SIGTERM (``kill``, ``systemctl stop``), 128 + 15
====  ==========================================================================================

On either signal every command finishes the same way: a live recording and a training run keep
what they have (a playable file, a checkpoint and a model directory); an offline job (stylize,
convert, eval, bench) leaves no output and no temporary file, and an earlier file at the output's
name stays as it was.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import signal
import sys
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import typer

from edgestyle.errors import BrokenPipe, Interrupted, signal_of, user_error
from edgestyle.stdout import silence_stdout

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


def exit_code_for_signal(signum: int) -> int:
    """The shell's convention: 128 + the signal number (130 for Ctrl-C, 143 for SIGTERM)."""
    return 128 + int(signum)


_received: list[int] = []  # signals caught by the block below, newest last


@contextlib.contextmanager
def signals_raise_interrupt(signums: tuple[int, ...] = (signal.SIGINT, signal.SIGTERM)) -> Iterator[None]:
    """Turn these signals into :class:`Interrupted` for the block, so cleanup runs as for Ctrl-C.

    The signal is also remembered: a library that catches everything (TensorFlow's tracing does)
    can turn the interrupt into an unrelated error, which the CLI boundary must still call a stop.
    """

    def interrupt(signum: int, frame: object) -> None:
        _received.append(signum)
        raise Interrupted(signum)

    _received.clear()

    previous = {}
    try:
        for signum in signums:
            previous[signum] = signal.signal(signum, interrupt)
    except ValueError:  # not the main thread (e.g. a test runner's worker): leave signals alone
        pass
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def stopped(signum: int) -> typer.Exit:
    """Say why the command stopped and return the exit to raise (128 + the signal number)."""
    name = signal.Signals(signum).name
    typer.echo(f"stopped by {name}" if signum != signal.SIGINT else "interrupted", err=True)
    return typer.Exit(exit_code_for_signal(signum))


def one_line_errors(func: F) -> F:
    """The CLI boundary: user errors -> ``error: <message>``; Ctrl-C/SIGTERM -> 130/143; bugs keep tracebacks.

    Also gives every command a ``--verbose`` flag (quiet by default, see :mod:`edgestyle.console`).
    """
    from edgestyle.console import set_verbose

    @functools.wraps(func)
    def wrapper(*args: Any, verbose: bool = False, **kwargs: Any) -> Any:
        set_verbose(verbose)
        try:
            with signals_raise_interrupt():
                result = func(*args, **kwargs)
                _flush_stdout()  # a reader that left (| head) is an error now, not a traceback at exit
                return result
        except KeyboardInterrupt as exc:
            raise stopped(signal_of(exc)) from None
        except Exception as exc:
            if _received:  # the interrupt surfaced as another exception
                raise stopped(_received[-1]) from None
            problem = (
                BrokenPipe("cannot write to stdout: the reader closed the pipe")
                if isinstance(exc, BrokenPipeError)
                else user_error(exc)
            )
            if problem is None:
                raise
            if isinstance(problem, BrokenPipe):
                silence_stdout()
            typer.echo("error: " + " ".join(str(problem).split()), err=True)  # one line, always
            raise typer.Exit(problem.exit_code) from None

    signature = inspect.signature(func)
    wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*signature.parameters.values(), VERBOSE_OPTION]
    )
    return wrapper  # type: ignore[return-value]


def _flush_stdout() -> None:
    if sys.stdout is not None:
        sys.stdout.flush()


def info(message: str) -> None:
    """Progress notes go to stderr so stdout stays parseable (tables, JSON)."""
    print(message, file=sys.stderr, flush=True)
