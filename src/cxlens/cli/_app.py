"""The Typer app and the few helpers every command shares: workspace option, output rendering, errors.

The CLI is a thin layer: it parses options, calls the library, and renders what comes back.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import math
import sys
from pathlib import Path
from typing import Annotated, Any, Callable, Iterable, Sequence

import typer
from rich.console import Console
from rich.table import Table

from cxlens.errors import CxlensError

app = typer.Typer(
    name="cxlens",
    help="Open customer-experience analytics: load CX data, measure it honestly, explain it.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console()
err_console = Console(stderr=True)

WorkspaceOpt = Annotated[Path, typer.Option("--workspace", "-w", help="Workspace folder (holds cxlens.toml).")]
FormatOpt = Annotated[str, typer.Option("--format", "-f", help="Output format: table, json or csv.")]


def handles_errors(fn: Callable) -> Callable:
    """Turn a CxlensError into one readable line on stderr and exit code 1 (no traceback for people)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except CxlensError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
            raise typer.Exit(1) from None

    return wrapper


def render(records: Sequence[dict], fmt: str = "table", title: str | None = None,
           columns: Sequence[str] | None = None, notes: Iterable[str] = ()) -> None:
    """Print records as a Rich table, a JSON list of records, or CSV, with the same column names."""
    columns = list(columns or (records[0].keys() if records else []))
    if fmt == "json":
        sys.stdout.write(json.dumps([{c: _plain(r.get(c)) for c in columns} for r in records], ensure_ascii=False, indent=1) + "\n")
    elif fmt == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows({c: _plain(r.get(c)) for c in columns} for r in records)
        sys.stdout.write(buf.getvalue())
    elif fmt == "table":
        table = Table(title=title, show_lines=False, header_style="bold")
        for c in columns:
            table.add_column(c, justify="right" if _numeric(records, c) else "left")
        for r in records:
            table.add_row(*(_cell(r.get(c)) for c in columns))
        console.print(table)
        for note in notes:
            console.print(f"[dim]{note}[/]", highlight=False)
    else:
        raise CxlensError(f"unknown --format '{fmt}'; use table, json or csv")


def _plain(value: Any) -> Any:
    """JSON/CSV-safe value: NaN becomes null, numpy scalars become Python numbers."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _numeric(records: Sequence[dict], column: str) -> bool:
    return any(isinstance(_plain(r.get(column)), (int, float)) and not isinstance(r.get(column), bool) for r in records)


def _cell(value: Any) -> str:
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 100 else f"{value:.2f}"
    return str(value)
