"""One exception type for every problem a user can fix, so the CLI can print one line and exit.

Anything raised as :class:`EdgestyleError` is the user's input being wrong (a missing file, a frame
size the model cannot take); everything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class EdgestyleError(Exception):
    """A problem with the user's input, reported as one line and a non-zero exit code."""

    exit_code = 1


class NotBuiltYet(EdgestyleError):
    """A command or option that exists in the CLI but is not implemented yet (exit code 2)."""

    exit_code = 2
