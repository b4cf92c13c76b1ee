"""`cxlens personas fit|show|cards`: a few customer types found in the customer view (cxlens.personas).

`fit` prints the BIC of every k tried and the stability (adjusted Rand index across seeds and resamples); `show`
lists the personas' profiles as a table, JSON or CSV; `cards` prints one card per persona. Personas smaller than
`[privacy] min_group` are not shown. docs/people.md "Personas".
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.panel import Panel
from rich.text import Text

from cxlens.cli._app import FormatOpt, WorkspaceOpt, app, console, handles_errors, nothing_to_show, render, require, say
from cxlens.cli._lazy import lazy_typer

personas_app = lazy_typer(
    "personas", __name__,
    help="Personas: a few customer types found in the customer view (latent class model, number by BIC), "
         "described in plain words, with size, NPS, value, needs, channels and weakest touchpoints.",
    no_args_is_help=True)
app.add_typer(personas_app, name="personas")


@personas_app.command("fit")
@handles_errors
def fit_cmd(k: Annotated[int | None, typer.Option("--k", help="Number of personas (default: 3 to 8, the lowest BIC).")] = None,
            seed: Annotated[int, typer.Option(help="Random seed of the fit.")] = 0,
            seeds: Annotated[int, typer.Option(help="Refits with other seeds for the stability check.")] = 3,
            resamples: Annotated[int, typer.Option(help="Bootstrap refits for the stability check.")] = 3,
            sample: Annotated[int | None, typer.Option(help="Choose the number of personas on this many customers drawn at random (seeded), then fit it on everyone: minutes become seconds on a big base.")] = None,
            fmt: FormatOpt = "table", workspace: WorkspaceOpt = Path(".")) -> None:
    """Fit personas on the customer view and store them (table `personas`); prints BIC per k and stability."""
    ws = _checked(workspace, fitted=False)
    summary = ws.fit_personas(k=k, seed=seed, seeds=seeds, resamples=resamples, sample=sample,
                              progress=lambda step: say(("fitting ", "dim"), step, err=True))
    for note in summary["notes"]:
        say(("warning: ", "bold yellow"), note, err=True)
    if fmt == "json":
        sys.stdout.write(json.dumps(summary, ensure_ascii=False, indent=1) + "\n")
        return
    rows = [{"k": int(k_), "bic": v, "chosen": "yes" if int(k_) == summary["k"] else ""} for k_, v in summary["bic"].items()]
    if fmt == "table":
        say("BIC per number of personas k (lower is better; the lowest is chosen):")
    render(rows, fmt)
    if fmt == "table":
        stab = summary["stability"]
        if stab:
            for what, label in (("seeds", "other seeds"), ("bootstrap", "bootstrap resamples")):
                s = stab[what]
                if s["n"]:
                    say(f"Stability, ARI with {s['n']} {label}: mean {s['mean']:.2f}, min {s['min']:.2f}")
        chosen = summary.get("k_chosen_on")
        fitted = "" if chosen in (None, summary["customers"]) else f" (their number chosen on a sample of {chosen})"
        say(f"{summary['k']} personas of {summary['customers']} customers{fitted} stored; "
            "`cxlens personas cards` shows them.")


def _checked(workspace: Path, fitted: bool) -> Any:
    """The workspace, once its store has customers (and, with `fitted`, stored personas); else one line and exit 3."""
    from cxlens.personas.stored import META_KEY
    from cxlens.workspace import Workspace

    ws = Workspace.open(workspace)
    with ws.store() as store:
        require(store, "customers")
        if fitted and store.meta(META_KEY) is None:
            nothing_to_show("no personas were fitted in this store yet: run `cxlens personas fit`")
    return ws


def _rows(shown: dict) -> list[dict[str, Any]]:
    rows = []
    for p in shown["profiles"]:
        rows.append({
            "persona_id": p["persona_id"], "persona": p["name"], "customers": p["customers"],
            "share": round(p["share"], 3), "share_low": round(p["share_low"], 3), "share_high": round(p["share_high"], 3),
            "nps": _r(p["nps"]), "nps_low": _r(p["nps_low"]), "nps_high": _r(p["nps_high"]), "nps_answers": p["nps_answers"],
            "revenue_month": _r(p["revenue_month"], 2), "cost_to_serve_month": _r(p["cost_to_serve_month"], 2),
            "needs": ", ".join(n["theme"] for n in p["needs"]), "channels": ", ".join(c["channel"] for c in p["channels"]),
            "least_satisfied": ", ".join(f"{t['touchpoint']} ({t['csat']:.2f})" for t in p["least_satisfied"]),
            "top_need": p["needs"][0]["theme"] if p["needs"] else None,
            "weakest": p["least_satisfied"][0]["touchpoint"] if p["least_satisfied"] else None,
            "description": p["description"]})
    return rows


def _r(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def _hidden_note(shown: dict) -> list[str]:
    h = shown["hidden"]
    return [f"{h} persona(s) with fewer than {shown['min_group']} customers not shown ([privacy] min_group)."] if h else []


@personas_app.command("show")
@handles_errors
def show_cmd(fmt: FormatOpt = "table", workspace: WorkspaceOpt = Path(".")) -> None:
    """The stored personas: size (95% Wilson interval), NPS (interval), value, needs, channels, weakest touchpoints."""
    shown = _checked(workspace, fitted=True).personas()
    # the terminal keeps one need and one touchpoint so the table reads in a 100-column window; `cards` has them all
    columns = None if fmt != "table" else ["persona_id", "persona", "customers", "share", "nps", "revenue_month",
                                            "top_need", "weakest"]
    render(_rows(shown), fmt, title="Personas", columns=columns, notes=_hidden_note(shown))


@personas_app.command("cards")
@handles_errors
def cards_cmd(workspace: WorkspaceOpt = Path(".")) -> None:
    """One card per persona in the terminal: name, description, size, NPS, value, needs, channels, weakest touchpoints."""
    shown = _checked(workspace, fitted=True).personas()
    for p in shown["profiles"]:
        console.print(Panel(card_text(p), title=Text(f"{p['persona_id']} · {p['name']}", style="bold"), expand=False))
    for note in _hidden_note(shown):
        say((note, "dim"))


def card_text(p: dict) -> Text:
    """The body of one persona card (plain text, no markup read from the data)."""
    lines = [p["description"], "",
             f"Customers  {p['customers']} ({p['share']:.0%}, 95% CI {p['share_low']:.0%}-{p['share_high']:.0%})"]
    if p["nps"] is not None:
        lines.append(f"NPS        {p['nps']:+.0f} ({p['nps_low']:+.0f} to {p['nps_high']:+.0f}; {p['nps_answers']} answers)")
    if p["revenue_month"] is not None:
        cost = f", cost to serve {p['cost_to_serve_month']:.2f}" if p["cost_to_serve_month"] is not None else ""
        lines.append(f"Value      revenue {p['revenue_month']:.2f} a month{cost}")
    if p["needs"]:
        lines.append("Needs      " + ", ".join(f"{n['theme'].replace('_', ' ')} ({n['share']:.0%})" for n in p["needs"]))
    if p["channels"]:
        lines.append("Channels   " + ", ".join(f"{c['channel']} ({c['share']:.0%})" for c in p["channels"]))
    if p["least_satisfied"]:
        lines.append("Weakest    " + ", ".join(f"{t['touchpoint']} (CSAT {t['csat']:.2f}, n={t['answers']})"
                                               for t in p["least_satisfied"]))
    return Text("\n".join(lines))
