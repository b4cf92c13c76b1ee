"""Commands for data subjects' requests and retention: `cxlens forget`, `cxlens export-customer`,
`cxlens retention apply` (docs/privacy.md)."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer

from cxlens.cli._app import WorkspaceOpt, app, console, handles_errors, render, say
from cxlens.errors import UsageError

retention_app = typer.Typer(help="Delete rows older than the [privacy] retention periods of cxlens.toml.",
                            no_args_is_help=True)
app.add_typer(retention_app, name="retention")


def read_ids(ids: list[str] | None, file: Path | None) -> list[str]:
    """The ids given on the command line and in `file` (one per line; blank lines and `#` comments skipped)."""
    found = list(ids or [])
    if file is not None:
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError("file", str(file), message=f"file={str(file)!r} cannot be read ({exc.strerror or exc}); "
                                                        "give a text file with one customer id per line") from None
        found += [line.split("#", 1)[0].strip() for line in text.splitlines()]
    found = list(dict.fromkeys(i.strip() for i in found if i.strip()))
    if not found:
        raise UsageError("file", "", message="no customer id given: name one or more on the command line "
                                             "(cxlens forget C000123) or in a file (--file ids.txt, one id per line)")
    return found


@app.command("forget")
@handles_errors
def forget_cmd(
    customer_ids: Annotated[list[str] | None, typer.Argument(help="Customer ids to erase.", show_default=False)] = None,
    file: Annotated[Path | None, typer.Option("--file", help="Text file with one customer id per line.")] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    by: Annotated[str | None, typer.Option("--by", help="Who asked for the erasure, for the audit (default: your OS user).")] = None,
    workspace: WorkspaceOpt = Path("."),
) -> None:
    """Erase customers from every table (derived ones included) and purge the bytes; records the erasure in `erasures`."""
    from cxlens.workspace import Workspace

    ids = read_ids(customer_ids, file)
    ws = Workspace.open(workspace)
    shown = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
    if not yes:
        typer.confirm(f"Erase every row of {len(ids)} customer(s) ({shown}) from {ws.root}? This cannot be undone",
                      abort=True)
    report = ws.forget(ids, by or _os_user())
    render([{"table": t, "rows removed": n} for t, n in sorted(report.rows_removed.items())], "table",
           title=f"Erasure {report.erasure_id}: {len(ids)} customer id(s), {report.total} rows removed")
    say("Purged: ", report.purge, ".")
    say("Recorded in table erasures (no personal data): ", (report.erasure_id, "bold"), f", by {by or _os_user()}.")
    if report.external:
        say(("warning:", "bold yellow"), f" external tables {', '.join(report.external)} are read in place and were not "
            "changed: erase these customers in the pipeline that writes them.", err=True)


@app.command("export-customer")
@handles_errors
def export_customer_cmd(
    customer_id: Annotated[str, typer.Argument(help="The customer whose data to export.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="JSON file to write.")],
    workspace: WorkspaceOpt = Path("."),
) -> None:
    """Write everything stored about one customer to a JSON file a person can read (an access request)."""
    from cxlens.workspace import Workspace

    if out.exists() and out.is_dir():
        raise UsageError("out", str(out), message=f"out={str(out)!r} is a folder; give a file name such as customer.json")
    if not out.parent.is_dir():
        raise UsageError("out", str(out), message=f"out={str(out)!r}: the folder {out.parent} does not exist")
    record = Workspace.open(workspace).export_customer(customer_id, out)
    total = sum(record["rows"].values())
    render([{"table": t, "rows": n} for t, n in record["rows"].items()], "table",
           title=f"Customer {record['customer_id']}: {total} rows")
    say("Written to ", (str(out), "bold"), ".")
    if total == 0:
        say(("note:", "bold"), f" nothing is stored about {customer_id!r} (check the id).", err=True)


@retention_app.command("apply")
@handles_errors
def retention_apply_cmd(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only count what would be deleted.")] = False,
    workspace: WorkspaceOpt = Path("."),
) -> None:
    """Delete rows older than each table's [privacy] retention period (derived rows go with them)."""
    from cxlens.workspace import Workspace

    report = Workspace.open(workspace).apply_retention(dry_run=dry_run)
    if not report.items:
        console.print("No retention period is set: add e.g. `retention = {events = \"24 months\"}` under [privacy] "
                      "in cxlens.toml.")
        return
    verb = "would delete" if dry_run else "deleted"
    render([{"table": i.table, "kept for": i.period, "column": i.column, "older than": i.cutoff, f"rows {verb}": i.rows}
            for i in report.items], "table", title=f"Retention: {report.total} rows {verb}")
    if dry_run:
        say("Dry run: nothing was deleted. Run without --dry-run to delete.")
    elif report.purge:
        say("Purged: ", report.purge, ".")


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in the environment (some containers)
        return "unknown"
