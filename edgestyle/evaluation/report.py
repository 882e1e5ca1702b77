"""Write an evaluation or benchmark as JSON (for machines) and Markdown tables (for people).

Both come from the same row dicts; non-finite floats (PSNR of identical images) become null in
JSON and "identical"/"-" in tables, so the JSON stays valid for any parser.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from typing import Any

from edgestyle.atomic import write_text_atomic

EVAL_FORMAT = "edgestyle.eval/1"
BENCH_FORMAT = "edgestyle.bench/1"


def json_safe(value: Any) -> Any:
    """Replace NaN/inf by None recursively (json.dumps would write invalid JSON for them)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def write_json(path: str | os.PathLike, data: dict[str, Any]) -> None:
    write_text_atomic(path, json.dumps(json_safe(data), indent=2) + "\n")


def fmt(value: Any, style: str = "g3") -> str:
    """Table cell text: ``g3`` 3 significant digits, ``f1``/``f2`` fixed, ``x`` ratio, ``db`` decibels."""
    if value is None:
        return "-"
    if isinstance(value, float) and math.isinf(value):
        return "identical"
    if isinstance(value, float) and math.isnan(value):
        return "-"
    if style == "x":
        return f"{value:.2f}x" if abs(value) >= 0.1 else f"{value:.2g}x"
    if style == "ms":
        return f"{value:.1f}" if abs(value) >= 10 else f"{value:.3g}"
    if style == "db":
        return f"{value:.2f} dB"
    if style.startswith("f"):
        return f"{value:.{style[1:]}f}"
    if style == "int":
        return f"{int(value):,}"
    return f"{value:.3g}"


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(" --- " for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell.replace("|", "/") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def eval_table(report: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Headers and cells of the main evaluation table (only columns that have data)."""
    rows = report["rows"]
    has = {
        key: any(r.get(key) is not None for r in rows)
        for key in ("psnr_vs_teacher", "psnr_vs_float", "style_distance", "style_gap_closed")
    }
    styled = any(r.get("style") for r in rows)
    headers = ["model", "role", *(["style"] if styled else []), "warping error", "vs input"]
    if has["psnr_vs_teacher"]:
        headers += ["PSNR vs teacher", "SSIM vs teacher"]
    if has["psnr_vs_float"]:
        headers += ["PSNR vs float", "SSIM vs float"]
    if has["style_distance"]:
        headers += ["style distance"]
    if has["style_gap_closed"]:
        headers += ["style gap closed"]
    cells = []
    for r in rows:
        line = [r["label"], r["role"], *([r.get("style") or "-"] if styled else [])]
        line += [fmt(r.get("warping_error")), fmt(r.get("warping_error_vs_input"), "x")]
        if has["psnr_vs_teacher"]:
            line += [fmt(r.get("psnr_vs_teacher"), "db"), fmt(r.get("ssim_vs_teacher"), "f3")]
        if has["psnr_vs_float"]:
            line += [fmt(r.get("psnr_vs_float"), "db"), fmt(r.get("ssim_vs_float"), "f3")]
        if has["style_distance"]:
            line += [fmt(r.get("style_distance"), "f4")]
        if has["style_gap_closed"]:
            line += [fmt(r.get("style_gap_closed"), "f2")]
        cells.append(line)
    return headers, cells


def _style_reference(report: dict[str, Any]) -> str:
    if report.get("style_reference") == "teacher frames":
        return "the teacher's own frames"
    return f"the style image `{report.get('style_image')}`"


def eval_markdown(report: dict[str, Any]) -> str:
    clip = report["clip"]
    headers, cells = eval_table(report)
    notes = [f"- {r['label']}: {note}" for r in report["rows"] for note in r.get("notes", [])]
    parts = [
        "# edgestyle evaluation",
        "",
        f"Clip `{clip['source']}`: {clip['frames']} frames, evaluated at {clip['size'][0]}x{clip['size'][1]} "
        f"(source {clip['source_size'][0]}x{clip['source_size'][1]}).",
        f"Machine: {report['machine_line']}.",
        "",
        markdown_table(headers, cells),
        "",
        "Warping error: Lai et al. 2018 temporal warping error (masked mean squared difference, [0,1] scale, "
        "between each output and the previous output warped by the input's optical flow; "
        f"{report['flow']['valid_fraction']:.0%} of pixels valid on average). The input row is the floor; "
        "'vs input' is the ratio to it. PSNR/SSIM compare with the per-frame reference outputs. "
        f"Style distance: sliced-Wasserstein distance of colour and multi-scale patch statistics to {_style_reference(report)} "
        "(lower = closer; compare rows, not absolute values). Style gap closed: the share of the input -> teacher "
        "style distance an output closes (input = 0, teacher = 1).",
    ]
    if notes:
        parts += ["", "Notes:", *notes]
    parts += ["", "![contact sheet](contact_sheet.png)", "", "![stability](stability.png)", ""]
    parts += ["Where the warping error sits (bright = crawl or shimmer; one scale for all):", ""]
    parts += ["![flicker map](flicker_map.png)", ""]
    return "\n".join(parts)


def bench_table(
    rows: Sequence[dict[str, Any]], facts: Sequence[dict[str, Any]]
) -> tuple[list[str], list[list[str]]]:
    by_label = {f["label"]: f for f in facts}
    headers = [
        "model",
        "runtime",
        "delegate",
        "threads",
        "median ms",
        "p10-p90 ms",
        "FPS",
        "vs first",
        "MACs/frame",
        "params",
        "file KiB",
    ]
    cells = []
    for r in rows:
        f = by_label.get(r["label"], {})
        if r.get("error"):
            cells.append([r["label"], "-", r["delegate"], str(r["threads"]), "unavailable", *["-"] * 6])
            continue
        cells.append(
            [
                r["label"],
                r.get("runtime") or "-",
                r["delegate"],
                str(r["threads"]),
                fmt(r["median_ms"], "ms"),
                f"{fmt(r['p10_ms'], 'ms')}-{fmt(r['p90_ms'], 'ms')}",
                fmt(r["fps"], "ms"),
                fmt(r["ratio"], "x"),
                _si(f.get("macs_per_frame")),
                _si(f.get("params")),
                fmt(f.get("file_bytes", 0) / 1024, "f0"),
            ]
        )
    return headers, cells


def bench_errors(rows: Sequence[dict[str, Any]]) -> list[str]:
    """Each distinct failure once (a missing delegate fails every model the same way)."""
    seen: dict[str, None] = {}
    for r in rows:
        if r.get("error"):
            seen.setdefault(f"{r['delegate']}: {r['error']}")
    return list(seen)


def _si(value: int | None) -> str:
    if value is None:
        return "-"
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if value >= size:
            return f"{value / size:.2f}{unit}"
    return str(value)


def bench_markdown(report: dict[str, Any]) -> str:
    headers, cells = bench_table(report["rows"], report["models"])
    return "\n".join(
        [
            f"Machine: {report['machine_line']}. {report['runs']} timed invocations after {report['warmup']} "
            "warm-up calls, models interleaved; ratios are to the first model under the same setting.",
            "",
            markdown_table(headers, cells),
            "",
            *(f"- {line}" for line in bench_errors(report["rows"])),
        ]
    )


def print_table(title: str, headers: Sequence[str], cells: Sequence[Sequence[str]]) -> None:
    """A rich table on a terminal; Markdown when stdout is a file or pipe (pasteable, never truncated)."""
    import sys

    if not sys.stdout.isatty():
        print(f"{title}\n\n{markdown_table(headers, cells)}")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for i, header in enumerate(headers):
        table.add_column(header, justify="left" if i < 2 else "right")
    for row in cells:
        table.add_row(*row)
    Console().print(table)
