"""Quiet by default: native INFO lines filtered from fd 2, --verbose shows them, plain progress lines."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from edgestyle.console import Progress, is_info_line

NOISY = textwrap.dedent(
    """
    import os, sys
    from edgestyle.console import native_logs_filtered
    with native_logs_filtered():
        os.write(2, b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\\n")
        os.write(2, b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\\n")
        os.write(2, b"I0000 00:00:1.5 1 cudart_stub.cc:31] Could not find cuda drivers on your machine.\\n")
        os.write(2, b"E0000 00:00:1.5 1 something.cc:1] a real error\\n")
        print("our own line", file=sys.stderr)
    os.write(2, b"INFO: after the block\\n")
    """
)


def run(env: dict[str, str]) -> str:
    proc = subprocess.run([sys.executable, "-c", NOISY], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stderr


def test_native_info_lines_are_filtered_unless_verbose():
    env = {k: v for k, v in os.environ.items() if k != "EDGESTYLE_VERBOSE"}
    quiet = run(env)
    # Python's line goes straight out, the native ones through the filter thread: order may differ.
    assert sorted(quiet.splitlines()) == [
        "E0000 00:00:1.5 1 something.cc:1] a real error",
        "INFO: after the block",
        "our own line",
    ]
    loud = run({**env, "EDGESTYLE_VERBOSE": "1"})
    assert "INFO: Created TensorFlow Lite XNNPACK delegate" in loud and "cuda drivers" in loud
    assert is_info_line("2026-01-01 10:00:00.1: I tensorflow/core/util/port.cc:153] oneDNN custom operations")
    assert not is_info_line("2026-01-01 10:00:00.1: W tensorflow/core/x.cc:1] a warning")


def test_progress_writes_plain_lines_when_not_a_terminal(capsys):
    with Progress("stylize", 4, "frames", every=0.0) as progress:
        progress.set_postfix({"l1": "0.120"})
        for _ in range(4):
            progress.advance()
    lines = capsys.readouterr().err.splitlines()
    assert (
        len(lines) == 4
        and lines[-1].startswith("stylize: 4/4 frames (100%),")
        and lines[-1].endswith("l1 0.120")
    )
    with Progress("quiet", 2, enabled=False) as progress:
        progress.update(2)
    assert capsys.readouterr().err == ""
