"""Commands: load files into the store, and read back what was quarantined."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cxlens.cli._app import (FormatOpt, WorkspaceOpt, app, console, err_console, handles_errors, render, say, tell_new_key,
                             warn_orphans)
from cxlens.model import KINDS


@app.command("load")
@handles_errors
def load_cmd(
    file: Annotated[Path, typer.Argument(help="CSV, Parquet, JSON Lines or Excel file.")],
    kind: Annotated[str, typer.Option("--kind", "-k", help=f"Canonical table: {', '.join(KINDS)}.")],
    mapping: Annotated[Path | None, typer.Option("--mapping", "-m", help="Mapping YAML (rename, dates, values, wide surveys).")] = None,
    encoding: Annotated[str, typer.Option(help="Text encoding of CSV files.")] = "utf-8",
    replace: Annotated[bool, typer.Option("--replace", help="Replace whole stored rows: columns the file lacks become empty "
                                          "(default: merge, updating only the file's columns).")] = False,
    allow_orphans: Annotated[bool, typer.Option("--allow-orphans", help="Load even though journey.yaml dropped touchpoints "
                                                "that stored rows reference (they then show as (unknown)).")] = False,
    workspace: WorkspaceOpt = Path("."),
) -> None:
    """Load FILE as one transaction: bad rows go to quarantine with a reason, good rows are upserted.

    A row whose key is already stored is merged: the columns FILE provides are updated, the others kept.
    """
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from cxlens.workspace import Workspace

    ws = Workspace.open(workspace)
    tell_new_key(ws)
    if allow_orphans:
        warn_orphans(ws)
    with Progress(TextColumn("loading {task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                  TimeElapsedColumn(), console=err_console, transient=True) as bar:
        task = bar.add_task(file.name, total=1.0)
        try:
            report = ws.load(file, kind, mapping, encoding, on_progress=lambda f: bar.update(task, completed=f),
                             replace=replace, allow_orphans=allow_orphans)
        except KeyboardInterrupt:
            say((f"Interrupted: nothing from {file.name} was loaded; the store is as it was.", "yellow"), err=True)
            raise typer.Exit(130) from None
    render([report.as_dict()], "table", title=f"Loaded {file.name} into {kind}",
           columns=["rows_read", "inserted", "updated", "unchanged", "quarantined"] + (["skipped"] if report.skipped else [])
           + (["respondents"] if report.respondents else []))
    r = report
    unit = f"answers (from {r.respondents} respondent rows)" if r.respondents is not None else "rows"
    skipped = f" + {r.skipped} skipped" if r.skipped else ""
    console.print(f"{r.rows_read} {unit} read = {r.inserted} inserted + {r.updated} updated + {r.unchanged} unchanged + "
                  f"{r.quarantined} quarantined{skipped}")
    if r.skipped:
        console.print(f"{r.skipped} skipped: earlier rows of keys the file repeats (the mapping says duplicates: last).")
    if r.not_selected:
        console.print(f"{r.not_selected} {'respondent ' if r.respondents is not None else ''}rows of the file not selected "
                      "by the mapping's where (not read).")
    if r.redactions:
        found = ", ".join(f"{n} {kind}" for kind, n in r.redactions.items())
        console.print(f"Redacted in free text before storage: {found} (placeholders such as [email]; "
                      "[privacy] redact_comments in cxlens.toml).")
    ident = r.identity
    if ident.get("records"):
        console.print(f"Identity resolution: {ident['records']} records: {ident['linked']} linked ({ident['rule:email']} by "
                      f"e-mail, {ident['rule:external_id']} by external id, {ident['rule:phone+name']} by phone and name, "
                      f"{ident['fellegi_sunter']} by probability), {ident['review']} for review, {ident['unmatched']} "
                      "unmatched (see `cxlens identities`).")
    elif ident.get("customers"):
        console.print(f"Identity index: {ident['keys']} keys of {ident['customers']} customers (keyed, never raw).")
    for warning in ident.get("warnings", []):
        say((warning, "yellow"), err=True)
    if r.updated or r.unchanged:
        kept = "whole rows replaced" if r.mode == "replace" else "their other columns kept"
        render([{"column": c, "stored rows changed": n} for c, n in r.changed.items()], "table",
               title=f"Columns written to {r.updated + r.unchanged} stored rows ({kept})")
    if report.quarantined:
        console.print(f"[yellow]{report.quarantined} {'answer' if r.respondents is not None else 'row'}(s) quarantined[/]: see `cxlens quarantine --kind {kind}`.")


@app.command("quarantine")
@handles_errors
def quarantine_cmd(
    kind: Annotated[str | None, typer.Option("--kind", "-k", help="Only this table.")] = None,
    limit: Annotated[int, typer.Option(min=0, help="At most this many rows (0: all).")] = 200,
    fmt: FormatOpt = "table",
    workspace: WorkspaceOpt = Path("."),
) -> None:
    """List quarantined rows: file, row number, field, value and the reason they were refused."""
    from cxlens.workspace import Workspace

    rows = Workspace.open(workspace).quarantined(kind, limit)
    if fmt == "table":
        rows = [{**r, "file": Path(r["file"]).name} for r in rows]
    if not rows and fmt == "table":
        console.print("Nothing in quarantine.")
        return
    render(rows, fmt, title="Quarantined rows", columns=["kind", "file", "row_number", "field", "value", "reason"])
