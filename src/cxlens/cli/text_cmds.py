"""Commands: text score / train / themes / impact: multilingual comments, offline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from cxlens.cli._app import FormatOpt, WorkspaceOpt, app, console, err_console, handles_errors, render
from cxlens.errors import CxlensError

text_app = typer.Typer(help="Language, sentiment, themes and emotions of comments, tickets and call notes (offline).",
                       no_args_is_help=True)
app.add_typer(text_app, name="text")

THEMES_FILE = "themes.yaml"


@text_app.command("score")
@handles_errors
def score(
    file: Annotated[Path, typer.Argument(help="CSV or Parquet file with one text per row.")],
    text_column: Annotated[str, typer.Option("--text-column", "-c", help="Column holding the text.")] = "text",
    source: Annotated[str, typer.Option("--source", help="survey, ticket, interview or call_note.")] = "survey",
    fmt: FormatOpt = "table",
) -> None:
    """Score every row of FILE: language, sentiment, score in [-1, 1], themes; rows stay in file order."""
    from cxlens.text.pipeline import analyze_file

    frames = []
    with Progress(TextColumn("scoring"), BarColumn(), TextColumn("{task.completed} rows"), TimeElapsedColumn(),
                  console=err_console, transient=True, disable=not err_console.is_terminal) as progress:
        task = progress.add_task("score", total=None)
        for frame in analyze_file(file, text_column, source=source):
            frames.append(frame)
            progress.advance(task, len(frame))
    result = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["row"])
    records = [_record(r) for r in result.to_dict("records")]
    render(records, fmt, title=f"{file.name}: {len(records)} rows",
           columns=["row", "language", "sentiment", "sentiment_score", "themes", "emotions"])


def _record(row: dict) -> dict:
    row["themes"] = ";".join(row.get("themes") or [])
    row["emotions"] = ";".join(row.get("emotions") or [])
    row["sentiment_score"] = round(float(row["sentiment_score"]), 4)
    return row


@text_app.command("train")
@handles_errors
def train(
    corpus: Annotated[Path | None, typer.Option("--corpus", help="Folder with <lang>.csv (text,label); default shared/data/sentiment.")] = None,
    languages: Annotated[str, typer.Option("--languages", "-l", help="Comma-separated language codes.")] = "ar,zh,ru,de",
    output: Annotated[Path | None, typer.Option("--output", help="Folder for the models (default: the user cache).")] = None,
    fmt: FormatOpt = "table",
) -> None:
    """Train the sentiment models whose corpora cannot ship with cxlens; prints held-out accuracy."""
    from cxlens.text.sentiment import cache_dir, save_model, train_language

    folder = output or cache_dir() / "text"
    records = []
    for lang in [x.strip() for x in languages.split(",") if x.strip()]:
        with err_console.status(f"training {lang}"):
            model = train_language(lang, corpus)
        path = save_model(model, folder)
        m = model["metrics"]
        records.append({"language": lang, "test_rows": m["n"], "binary_accuracy": round(m["binary_accuracy"], 3),
                        "binary_macro_f1": round(m["binary_macro_f1"], 3), "macro_f1_3class": round(m["macro_f1_3class"], 3),
                        "model": str(path), "corpus_licence": model["licence"]})
    render(records, fmt, title="sentiment models", notes=[f"saved under {folder}"])


@text_app.command("themes")
@handles_errors
def themes(
    workspace: WorkspaceOpt = Path("."),
    init: Annotated[bool, typer.Option("--init", help="Write the default themes.yaml into the workspace.")] = False,
    fmt: FormatOpt = "table",
) -> None:
    """List the workspace's themes (themes.yaml, else the shipped default) with their keyword counts."""
    from cxlens.text.themes import ThemeSet

    path = Path(workspace) / THEMES_FILE
    if init:
        if path.exists():
            raise CxlensError(f"{path} exists; edit it, or delete it to start again from the default")
        ThemeSet.load().save(path)
        console.print(f"wrote {path}")
        return
    theme_set = ThemeSet.load(path if path.exists() else None)
    records = [{"theme": t.id, "name": t.name, "polarity": t.polarity, "pinned": t.pinned,
                **{f"kw_{lang}": len(t.keywords.get(lang, [])) for lang in ("en", "ar", "zh", "ru", "de")}}
               for t in theme_set.themes]
    render(records, fmt, title=str(path if path.exists() else "default themes"))


@text_app.command("impact")
@handles_errors
def impact(
    workspace: WorkspaceOpt = Path("."),
    by: Annotated[str | None, typer.Option("--by", "-b", help="touchpoint_id or segment.")] = None,
    fmt: FormatOpt = "table",
) -> None:
    """NPS points each theme costs, from NPS answers with comments in the workspace store."""
    from cxlens.text.pipeline import analyze
    from cxlens.text.themes import ThemeSet
    from cxlens.text.impact import theme_impact
    from cxlens.workspace import Workspace

    ws = Workspace.open(workspace)
    store = ws.store()
    try:
        frame = nps_comments(store)
    finally:
        store.close()
    path = Path(workspace) / THEMES_FILE
    scored = analyze(frame["comment"].tolist(), frame["language"].tolist(), themes=ThemeSet.load(path if path.exists() else None))
    frame = pd.concat([frame.reset_index(drop=True), scored[["sentiment_score", "themes"]]], axis=1)
    result = theme_impact(frame, by=by)
    render(result.round(3).to_dict("records"), fmt, title="theme impact on NPS",
           notes=["nps_gap: NPS with minus without the theme (adjusted-Wald 95% CI);",
                  "nps_effect: OLS coefficient on NPS contribution with all themes at once (HC1 95% CI)."])


def nps_comments(store) -> pd.DataFrame:
    """NPS answers that carry a comment, with the customer's segment (one row per answer)."""
    responses = store.table("responses")
    customers = store.table("customers")
    expr = responses.filter((responses.metric == "nps") & responses.comment.notnull())
    expr = expr.left_join(customers.select("customer_id", "segment"), "customer_id")
    frame = store.execute(expr.select("response_id", "customer_id", "ts", "touchpoint_id", "score", "comment",
                                      "language", "segment"))
    if frame.empty:
        raise CxlensError("no NPS answers with comments in the store; load responses first (cxlens load)")
    frame["language"] = frame["language"].where(frame["language"].notna(), None)
    return frame
