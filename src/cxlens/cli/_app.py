"""The Typer app and the few helpers every command shares: workspace option, output rendering, errors.

The CLI is a thin layer: it parses options, calls the library, and renders what comes back.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import math
import os
import sys
from pathlib import Path
from typing import Annotated, Any, Callable, Iterable, Sequence

import click
import typer
from rich.console import Console
from rich.table import Table

from cxlens.errors import CxlensError, UsageError, first_line

app = typer.Typer(
    name="cxlens",
    help="Open customer-experience analytics: load CX data, measure it honestly, explain it.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console()
err_console = Console(stderr=True)

MinNOpt = Annotated[int | None, typer.Option("--min-n", min=1, help="Flag cells with fewer answers (default: workspace min_n).")]
WorkspaceOpt = Annotated[Path, typer.Option("--workspace", "-w", help="Workspace folder (holds cxlens.toml).")]
FORMATS = ("table", "json", "csv")


def _check_format(value: str) -> str:
    """Refuse an unknown --format before any work is done (a long analysis should not end in this error)."""
    if value not in FORMATS:
        raise typer.BadParameter(f"{value!r} is not a format; use one of: {', '.join(FORMATS)}")
    return value


FormatOpt = Annotated[str, typer.Option("--format", "-f", callback=_check_format, help="Output format: table, json or csv.")]


# Library parameter name (UsageError.parameter) -> the CLI flag that sets it, where they differ.
FLAGS = {"filters": "--filter", "weighting": "--weighted", "fmt": "--format", "format": "--format",
         "min_n": "--min-n", "directory": "--dir", "text_column": "--text-column", "store_url": "--store"}


def flag(parameter: str) -> str:
    """The CLI flag for a library parameter: `filters` -> `--filter`, `min_n` -> `--min-n`."""
    return FLAGS.get(parameter, "--" + parameter.replace("_", "-"))


def usage_message(exc: UsageError) -> str:
    """The UsageError's message with the library's `parameter=` spelled as the CLI flag (`--period 'x' ...`)."""
    text, name, option = str(exc), exc.parameter, flag(exc.parameter)
    for lead, repl in ((f"{name}=", f"{option} "), (f"{name}:", f"{option}:"), (f"{name} ", f"{option} ")):
        if text.startswith(lead):
            return repl + text[len(lead):]
    return f"{option}: {text}"


def handles_errors(fn: Callable) -> Callable:
    """Turn any error into one readable line on stderr and exit code 1 (no traceback for people).

    A UsageError names the CLI flag; any other CxlensError prints its message; an unexpected error
    prints its type and first line (set CXLENS_DEBUG=1 to see the traceback).
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except UsageError as exc:
            _fail(usage_message(exc))
        except CxlensError as exc:
            _fail(str(exc))
        except Exception as exc:
            if os.environ.get("CXLENS_DEBUG"):
                raise
            _fail(f"unexpected {type(exc).__name__}: {first_line(exc)} (set CXLENS_DEBUG=1 for the traceback)")

    return wrapper


def _fail(message: str) -> None:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(1)


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
        raise UsageError("format", fmt, FORMATS)


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
