"""``edgestyle doctor``: what board, cameras, displays, delegates and runtimes this machine has."""

from __future__ import annotations

from pathlib import Path

import typer


def doctor(
    as_json: bool = typer.Option(
        False, "--json", help="Print the report as JSON (for scripts and bug reports)."
    ),
    model: list[Path] = typer.Option(
        None, "--model", "-m", help="Also say what this model takes as its style (repeatable)."
    ),
) -> None:
    """Report the detected board, cameras, displays, delegates, ONNX providers, versions and which
    models take any picture as their style; suggest a --device."""
    import json

    from rich.console import Console
    from rich.table import Table

    from edgestyle.runtime.doctor import collect

    report = collect(models=list(model or []))
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2))
        return
    table = Table(title=f"edgestyle doctor: {report.board}", show_lines=False)
    for column in ("", "what", "found", "ok"):
        table.add_column(column)
    section = None
    for check in report.checks:
        mark = {True: "[green]yes[/]", False: "[red]no[/]", None: ""}[check.ok]
        table.add_row(check.section if check.section != section else "", check.name, check.value, mark)
        section = check.section
    Console().print(table)
    if report.profile:
        typer.echo(f"run live: edgestyle run --device {report.profile}")
