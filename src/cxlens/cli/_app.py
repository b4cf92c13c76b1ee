"""The Typer app and the few helpers every command shares: workspace option, output rendering, errors.

The CLI is a thin layer: it parses options, calls the library, and renders what comes back.

Exit status: 0 done; 1 an error (one line on stderr, no traceback); 2 a bad option (Click's usage message);
3 nothing to show: the store lacks the data the command needs, and the line on stderr names the command that adds it.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import math
import os
import re
import shlex
import shutil
import sys
from pathlib import Path
from typing import Annotated, Any, Callable, Iterable, Sequence

import click
import typer

from cxlens.cli._lazy import ROOT, lazy_typer
from cxlens.errors import CxlensError, UsageError, first_line

# Commands register on `app` from their own modules, imported when the command runs (cxlens.cli._lazy).
app = lazy_typer(
    ROOT, __name__,
    help="Open customer-experience analytics: load CX data, measure it honestly, explain it.",
    epilog="Exit status: 0 done; 1 error (one line on stderr); 2 bad option; 3 nothing to show: the store lacks the data "
           "the command needs (the line on stderr names the command that adds it).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
_CONSOLES: dict[str, Any] = {}


def _console(err: bool = False) -> Any:
    """The rich Console of stdout (or stderr), made on first use: JSON and CSV output never import rich (20-30 ms of
    start-up, architecture D37). No emoji codes: `:x:` in a customer's value stays `:x:`. Data is printed as
    rich.text.Text (never markup)."""
    name = "err_console" if err else "console"
    if name not in _CONSOLES:
        from rich.console import Console

        _CONSOLES[name] = Console(stderr=err, emoji=False)
    return _CONSOLES[name]


def __getattr__(name: str) -> Any:
    """`console` and `err_console` for the command modules (`from cxlens.cli._app import console`)."""
    if name in ("console", "err_console"):
        return _console(err=name == "err_console")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

MinNOpt = Annotated[int | None, typer.Option("--min-n", min=1, help="Flag cells with fewer answers (default: workspace min_n).")]
WorkspaceOpt = Annotated[Path, typer.Option("--workspace", "-w", help="Workspace folder (holds cxlens.toml).")]
FORMATS = ("table", "json", "csv")


def _check_format(value: str) -> str:
    """Refuse an unknown --format before any work is done (a long analysis should not end in this error)."""
    if value not in FORMATS:
        raise typer.BadParameter(f"{value!r} is not a format; use one of: {', '.join(FORMATS)}")
    return value


FormatOpt = Annotated[str, typer.Option("--format", "-f", callback=_check_format, help="Output format: table, json or csv. CSV text cells starting with = + - @ tab or CR get a leading ' so spreadsheets do not run them as formulas; set CXLENS_CSV_RAW=1 to write them as they are.")]


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
        except (typer.Exit, click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
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


NO_DATA = 3  # exit status of a command the store has no data for (see the module docstring)


def require(store: Any, *needs: str) -> None:
    """Stop with one line on stderr and exit status NO_DATA when `store` lacks what the command needs.

    `needs` are keys of `cxlens.query.needs.NEEDS` (nps, tickets, ...); the line says what is missing and the
    command that adds it (`cxlens load FILE --kind tickets`, `cxlens text analyze`), instead of an empty table.
    """
    from cxlens.query.needs import missing

    reason = missing(store, *needs)
    if reason:
        nothing_to_show(reason)


def nothing_to_show(reason: str) -> None:
    """Print `nothing to show: <reason>` on stderr and exit with NO_DATA."""
    from rich.text import Text

    _console(err=True).print(Text.assemble(("nothing to show:", "bold yellow"), " ", reason), highlight=False,
                             soft_wrap=True)
    raise typer.Exit(NO_DATA)


def say(*parts: str | tuple[str, str], err: bool = False) -> None:
    """Print a message whose parts are literal text: `(text, style)` pairs are styled, nothing is read as markup.

    For messages that hold paths or data (`[red]x` is a folder name, not a colour): `say("Report: ", (str(path), "bold"))`.
    `err`: to stderr (warnings, progress notes), so stdout stays the command's result.
    """
    from rich.text import Text

    _console(err).print(Text.assemble(*parts), highlight=False, soft_wrap=True)


def command_name() -> str:
    """How the user can run cxlens again, for hints (`Next: ...`): `cxlens` when that is on PATH and is this program,
    else the path the running executable was started by (`.venv/bin/cxlens` under `make demo`), else
    `<this python> -m cxlens`."""
    started, on_path = sys.argv[0], shutil.which("cxlens")
    if Path(started).name == "cxlens":
        if os.sep not in started or (on_path and Path(on_path).resolve() == Path(started).resolve()):
            return "cxlens"
        return shlex.quote(started)
    return "cxlens" if on_path else f"{shlex.quote(sys.executable)} -m cxlens"


def shell_command(*args: str | Path) -> str:
    """A command line the user can paste: `command_name()` then `args`, each quoted for the shell where needed."""
    return " ".join([command_name(), *(shlex.quote(str(a)) for a in args)])


def warn_orphans(ws: Any) -> None:
    """Before a load with --allow-orphans: say on stderr which touchpoints' stored rows will read as (unknown)."""
    from cxlens.ingest.journey_sync import describe_orphans

    orphans = ws.orphaned_touchpoints()
    if orphans:
        say(("warning:", "bold yellow"), f" journey.yaml no longer lists {describe_orphans(orphans)}; with --allow-orphans "
            "those rows stay stored but show as (unknown) and leave the scorecard.", err=True)


def tell_new_key(ws: Any) -> None:
    """Create the workspace's pseudonymisation key when it needs one and has none, and say where it is (stderr)."""
    created = ws.ensure_pseudonym_key()
    if created:
        say(("note:", "bold"), " created the pseudonymisation key ", (str(created), "bold"), " (mode 0600): identifiers "
            "are stored as keyed hashes made with it. Back it up somewhere safe, outside the workspace: without it, new "
            "loads cannot be linked to what is stored (docs/privacy.md).", err=True)


def _fail(message: str) -> None:
    from rich.text import Text

    _console(err=True).print(Text.assemble(("error:", "bold red"), " ", message), highlight=False, soft_wrap=True)
    raise typer.Exit(1)


def render(records: Sequence[dict], fmt: str = "table", title: str | None = None,
           columns: Sequence[str] | None = None, notes: Iterable[str] = ()) -> None:
    """Print records as a Rich table, a JSON list of records, or CSV, with the same column names."""
    columns = list(columns or (records[0].keys() if records else []))
    if fmt == "json":
        # One record per line, each by json's C encoder: `indent` selects its pure-Python encoder, which took
        # 0.06 s of `cxlens nps --by touchpoint,segment --period month` (4,800 records) against 0.03 s.
        lines = ",\n".join(json.dumps({c: _plain(r.get(c)) for c in columns}, ensure_ascii=False) for r in records)
        sys.stdout.write(f"[\n{lines}\n]\n" if records else "[]\n")
    elif fmt == "csv":
        safe = _plain if os.environ.get("CXLENS_CSV_RAW") == "1" else _csv_cell
        sys.stdout.write(_csv_text(columns, ({c: safe(r.get(c)) for c in columns} for r in records)))
    elif fmt == "table":
        from rich.table import Table
        from rich.text import Text

        console = _console()
        # Everything is Text, so data prints literally (`[/red]` is a segment, not a closing tag).
        table = Table(title=Text(title) if title else None, show_lines=False, header_style="bold")
        # Label columns (the leading text columns: segment, touchpoint, ...) are never cut to `busin…`: a fixed width
        # makes Rich narrow the measure columns instead, and a label wider than that folds onto more lines.
        labels = _label_widths(records, columns, console.width // 2)
        for c in columns:
            table.add_column(Text(c), justify="right" if _numeric(records, c) else "left", width=labels.get(c),
                             overflow="fold" if c in labels else "ellipsis")
        for r in records:
            table.add_row(*(Text(_cell(r.get(c))) for c in columns))
        console.print(table)
        for note in notes:
            console.print(Text(note, style="dim"), highlight=False)
    else:
        raise UsageError("format", fmt, FORMATS)


_PLAIN = (str, int, bool, type(None))


def _plain(value: Any) -> Any:
    """JSON/CSV-safe value: NaN becomes null, numpy scalars become Python numbers."""
    if type(value) in _PLAIN:  # most values: nothing to do (the checks below cost 0.03 s per 50,000 values)
        return value
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


# Text a spreadsheet would run as a formula starts with one of these (OWASP, "CSV Injection").
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
LABEL_MAX = 40  # widest a label column gets; a longer value folds onto more lines


def _csv_cell(value: Any) -> Any:
    """CSV value with formula-like text neutralised: a leading `'` (OWASP), so `=HYPERLINK(...)` stays text.

    Numbers, and text that is only a number (`-12.5`), are left as they are: a spreadsheet reads them as numbers.
    """
    value = _plain(value)
    if isinstance(value, str) and value.startswith(FORMULA_LEADS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def _csv_text(columns: Sequence[str], rows: Iterable[dict]) -> str:
    r"""CSV with a header and `\n` line ends; a field holding a carriage return is quoted, so it reads back whole.

    Python's csv writer quotes only the characters of its line terminator: with `\n`, a lone `\r` would go out
    unquoted and break the row. Rows holding one are written with a `\r\n` terminator, then given `\n`.
    """
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    crlf = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        if any(isinstance(v, str) and "\r" in v for v in row.values()):
            crlf.writerow(row)
            buf.seek(buf.tell() - 2)  # overwrite the row's "\r\n" with "\n"
            buf.write("\n")
            buf.truncate()
        else:
            writer.writerow(row)
    return buf.getvalue()


def _label_widths(records: Sequence[dict], columns: Sequence[str], budget: int) -> dict[str, int]:
    """Widths of the label columns, the leading run of text columns (what a row is about: segment, period).

    Each is as wide (in terminal cells) as its longest value or name (at most LABEL_MAX); together, with 3 characters of padding and
    border each, at most `budget` (the widest shrinks first, to no less than 4), so the measures keep some room.
    """
    from rich.cells import cell_len

    widths: dict[str, int] = {}
    for c in columns:
        if _numeric(records, c):
            break
        widths[c] = min(max([cell_len(c), *(cell_len(_cell(r.get(c))) for r in records)]), LABEL_MAX)
    room = budget - 3 * len(widths)
    while widths and sum(widths.values()) > room and max(widths.values()) > 4:
        widest = max(widths, key=widths.__getitem__)
        widths[widest] -= 1
    return widths


def _numeric(records: Sequence[dict], column: str) -> bool:
    return any(isinstance(_plain(r.get(column)), (int, float)) and not isinstance(r.get(column), bool) for r in records)


def _cell(value: Any) -> str:
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 100 else f"{value:.2f}"
    return str(value)
