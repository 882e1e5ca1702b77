"""The ``edgestyle`` command line: train, convert, run, stylize, eval, bench, doctor.

Each command lives in its own module and imports its heavy dependencies (TensorFlow, OpenCV)
inside the function body, so ``edgestyle --help`` is instant and the board never needs TF.
"""

from __future__ import annotations

import typer

from edgestyle.cli import convert_cmd, doctor_cmd, eval_cmd, run_cmd, stylize_cmd, train_cmd
from edgestyle.cli._common import one_line_errors

app = typer.Typer(
    name="edgestyle",
    help="Flicker-free video style transfer for small boards: train on a host, convert to TFLite, run live.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

for name, func in [
    ("train", train_cmd.train),
    ("convert", convert_cmd.convert),
    ("run", run_cmd.run),
    ("stylize", stylize_cmd.stylize),
    ("eval", eval_cmd.evaluate),
    ("bench", eval_cmd.bench),
    ("doctor", doctor_cmd.doctor),
]:
    app.command(name)(one_line_errors(func))


def main() -> None:
    app()
