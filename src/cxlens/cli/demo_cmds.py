"""Commands: the demo company, end to end."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from cxlens.cli._app import app, console, handles_errors, render, say, shell_command


@app.command("demo")
@handles_errors
def demo_cmd(
    customers: Annotated[int, typer.Option(help="Number of customers to generate.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same company.")] = 7,
    directory: Annotated[Path, typer.Option("--dir", help="Workspace folder to create.")] = Path("demo"),
) -> None:
    """Generate a mobile operator with planted truth, load it, measure it and write report.html."""
    from cxlens.demo_app import run_demo

    start = time.perf_counter()
    with console.status("starting") as status:
        run = run_demo(directory, customers, seed, step=lambda msg: status.update(msg))
    render([{"table": k, **{c: getattr(r, c) for c in ("rows_read", "inserted", "updated", "unchanged", "quarantined")}}
            for k, r in run.loads.items()], title="Loaded through `cxlens load`")
    nps = run.headline["nps"]
    console.print(f"Overall NPS {nps['nps']:.1f} (95% interval {nps['ci_low']:.1f} to {nps['ci_high']:.1f}, n = {nps['n']:,})")
    for source in run.headline.get("identity", []):
        console.print(_identity_line(source))
    render(run.headline["weakest"], title="Touchpoints customers rate lowest (CSAT 1-5, 95% interval)",
           columns=["touchpoint", "n", "csat", "ci_low", "ci_high", "top2_pct"])
    console.print(f"Timings: " + ", ".join(f"{k} {v:.1f}s" for k, v in run.seconds.items())
                  + f"; total {time.perf_counter() - start:.1f}s")
    say("Report: ", (str(run.report), "bold"), f"   Planted truth: {run.truth}   Workspace: {run.workspace}")
    say(f"Next: `{shell_command('nps', '--by', 'touchpoint,segment', '-w', run.workspace)}`")


def _identity_line(source: dict) -> str:
    """One line per matched source: how many records found their customer, and how well against the planted truth."""
    line = (f"Identity ({source['source']}): {source['linked']:,} of {source['records']:,} records linked to "
            f"{source['customers']:,} customers, {source['review']:,} for review, {source['unmatched']:,} unmatched")
    if source.get("precision") is not None:
        line += f"; against the planted truth precision {source['precision']:.4f}, recall {source['recall']:.3f}"
    return line + " (`cxlens identities`)"
