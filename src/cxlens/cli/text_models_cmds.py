"""Commands: `cxlens text models` (which model scores each language) and `cxlens text calibrate` (self-calibration).

`cli/text_cmds.py` registers these on the `text` group (this module does not import it: no import cycle).
"""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import typer

from cxlens.cli._app import FormatOpt, WorkspaceOpt, err_console, handles_errors, render, require


@handles_errors
def models_cmd(workspace: WorkspaceOpt = Path("."), fmt: FormatOpt = "table") -> None:
    """List the sentiment model each language is scored with: source, licence, size on disk and held-out accuracy.

    In a workspace the list includes its calibrated heads (`cxlens text calibrate`) and says how many stored
    analyses were made with these models; outside one, the models every `cxlens text score` uses.
    """
    from cxlens.text.models import encoder_note, model_table, stored_current
    from cxlens.text.pipeline import default_sentiment_model
    from cxlens.workspace import Workspace

    ws = Workspace.open(workspace) if Workspace.exists(workspace) else None
    with err_console.status("loading the sentiment models") if err_console.is_terminal else nullcontext():
        sentiment = ws.sentiment_model() if ws else default_sentiment_model()
    records = model_table(sentiment)
    notes = ["accuracy: binary (sign of the score) on held-out rows, as recorded in the model file when it was "
             "trained or calibrated; accuracy_on says which rows."]
    if encoder_note():
        notes.append(encoder_note())
    if ws is not None:
        with ws.store() as store:
            current, total = stored_current(store, sentiment, ws.themes())
        if total:
            notes.append(f"stored analyses: {current:,} of {total:,} made with these models and themes"
                         + ("" if current == total else "; `cxlens text analyze` brings the rest up to date"))
    title = f"sentiment models ({ws.root})" if ws else "sentiment models (no workspace: the defaults)"
    columns = ["language", "model", "source", "licence", "size_kb", "accuracy", "accuracy_on"]
    render(records, fmt, title=title, columns=columns if fmt == "table" else [*columns, "file"], notes=notes)


@handles_errors
def calibrate_cmd(
    workspace: WorkspaceOpt = Path("."),
    seed: Annotated[int, typer.Option("--seed", help="Seed of the train / held-out split.")] = 0,
    max_rows: Annotated[int | None, typer.Option("--max-rows", min=100, help="Labelled comments used per language at most (a stratified sample; default 6000).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Measure only: save or remove no calibrated head.")] = False,
    fmt: FormatOpt = "table",
) -> None:
    """Fit a sentiment head per language on your own comments, labelled by their answers; used where it is better.

    It is used where it beats the current model on held-out comments (the rule is printed under the table).

    Weak labels: NPS 0-6 negative, 9-10 positive; CSAT 1-2 negative, 4-5 positive (other answers are left out).
    Saved heads go to the workspace's .cxlens/text/ and `cxlens text analyze` uses them from then on.
    """
    from cxlens.workspace import Workspace

    ws = Workspace.open(workspace)
    with ws.store() as store:
        require(store, "responses")
    with err_console.status("embedding and fitting per language") if err_console.is_terminal else nullcontext():
        report = ws.calibrate_text(seed=seed, save=not dry_run, max_rows=max_rows)
    records = [{k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()} for r in report.rows()]
    notes = [f"accuracy: agreement of the score's sign with the answer's weak label on held-out comments (95% Wilson "
             f"intervals); rule: {report.rule}.",
             f"{len(report.used)} language(s) use a calibrated head" + (f" ({', '.join(report.used)})" if report.used else "")
             + (" (dry run: nothing saved)" if dry_run else f", saved in {report.folder}")
             + ("; run `cxlens text analyze` to re-score the stored texts with them." if report.used and not dry_run else "."),
             *[f"{r['language']}: {r['decision']}" for r in records if not r["used"]],
             f"{report.seconds:.0f}s"]
    if fmt == "table":
        records = [_view(r) for r in records]
    render(records, fmt, title="self-calibration on your own answers", notes=notes)


def _interval(value: float, low: float, high: float, signed: bool = False) -> str:
    if value != value:  # NaN: not fitted
        return ""
    return f"{value:+.3f} ({low:+.3f} to {high:+.3f})" if signed else f"{value:.3f} ({low:.3f}-{high:.3f})"


def _view(r: dict) -> dict:
    """A calibration record as the terminal shows it: figures with their intervals in one cell."""
    return {"language": r["language"], "labelled": r["labelled"], "heldout": r["heldout"],
            "current_model": r["current_model"],
            "current": _interval(r["current_accuracy"], r["current_low"], r["current_high"]),
            "calibrated": _interval(r["calibrated_accuracy"], r["calibrated_low"], r["calibrated_high"]),
            "difference": _interval(r["difference"], r["difference_low"], r["difference_high"], signed=True),
            "used": "yes" if r["used"] else ("not fitted" if not r["heldout"] else "no")}
