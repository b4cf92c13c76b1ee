"""Commands: text score / train / themes / impact: multilingual comments, offline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

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
    import pandas as pd

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
    """List the workspace's themes (themes.yaml, else the shipped default) with their keyword counts and,
    once the store's texts are analysed (`cxlens text analyze`), how many texts mention each."""
    from cxlens.text.themes import ThemeSet

    path = Path(workspace) / THEMES_FILE
    if init:
        if path.exists():
            raise CxlensError(f"{path} exists; edit it, or delete it to start again from the default")
        ThemeSet.load().save(path)
        console.print(f"wrote {path}")
        return
    theme_set = ThemeSet.load(path if path.exists() else None)
    mentions = _stored_mentions(Path(workspace), [t.id for t in theme_set.themes])
    records = [{"theme": t.id, "name": t.name, "polarity": t.polarity, "pinned": t.pinned,
                **{f"kw_{lang}": len(t.keywords.get(lang, [])) for lang in ("en", "ar", "zh", "ru", "de")},
                **({"mentions": mentions[t.id]} if mentions is not None else {})}
               for t in theme_set.themes]
    notes = ["mentions: analysed texts (survey comments, ticket descriptions, notes) in the store that mention the theme."]
    render(records, fmt, title=str(path if path.exists() else "default themes"), notes=notes if mentions is not None else [])


def _stored_mentions(workspace: Path, theme_ids: list[str]) -> dict[str, int] | None:
    """Mentions per theme from the workspace store's comment_analysis; None outside a workspace or before
    any text was analysed (then there is nothing to count)."""
    from cxlens.text.stored import TABLE, theme_mentions
    from cxlens.workspace import CONFIG_FILE, Workspace

    if not (workspace / CONFIG_FILE).exists():
        return None
    with Workspace.open(workspace).store() as store:
        if store.count(TABLE) == 0:
            return None
        counts = theme_mentions(store, theme_ids)
    return {t: int(n) for t, n in zip(counts["theme"], counts["mentions"])}


@text_app.command("analyze")
@handles_errors
def analyze_cmd(
    workspace: WorkspaceOpt = Path("."),
    source: Annotated[str, typer.Option("--source", "-s", help="survey, ticket, note or all.")] = "all",
    full: Annotated[bool, typer.Option("--full", help="Re-analyse every text, not only new and changed ones.")] = False,
    fmt: FormatOpt = "table",
) -> None:
    """Analyse every comment, ticket description and note in the store into comment_analysis (incremental)."""
    from cxlens.text.stored import analyze_store
    from cxlens.workspace import Workspace

    ws = Workspace.open(workspace)
    with ws.store(migrate=True) as store, Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                       TimeElapsedColumn(), console=err_console, transient=True,
                                       disable=not err_console.is_terminal) as progress:
        tasks: dict[str, object] = {}

        def on_progress(src: str, done: int, total: int) -> None:
            if src not in tasks:
                tasks[src] = progress.add_task(f"analysing {src} texts", total=total)
            progress.update(tasks[src], completed=done, total=total)

        with err_console.status("loading the sentiment models") if err_console.is_terminal else _nothing():
            from cxlens.text.pipeline import default_sentiment_model

            default_sentiment_model()
        result = analyze_store(store, source, full=full, themes=workspace_themes(workspace), on_progress=on_progress)
    render(result.rows(), fmt, title=f"comment_analysis ({result.seconds:.1f}s)",
           columns=["source", "texts", "analysed", "skipped", "removed"],
           notes=["skipped: text and analysis version unchanged since the last run; removed: the text's row left the store.",
                  f"analysis version: {result.model}"])


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def workspace_themes(workspace: Path):
    """The workspace's pinned themes.yaml when present, else the shipped default themes."""
    from cxlens.text.themes import ThemeSet

    path = Path(workspace) / THEMES_FILE
    return ThemeSet.load(path if path.exists() else None)


@text_app.command("impact")
@handles_errors
def impact(
    workspace: WorkspaceOpt = Path("."),
    by: Annotated[str | None, typer.Option("--by", "-b", help="touchpoint or segment.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="First date included (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Last date included (YYYY-MM-DD).")] = None,
    fmt: FormatOpt = "table",
) -> None:
    """NPS points each theme costs, from the analysed NPS comments in the store (new comments are analysed first)."""
    from cxlens.cli.metrics_cmds import parse_scope, sparkline
    from cxlens.text.store_impact import store_theme_impact
    from cxlens.text.stored import analyze_store
    from cxlens.workspace import Workspace

    scope = parse_scope(by, since=since, until=until)
    ws = Workspace.open(workspace)
    with ws.store() as store:
        with err_console.status("analysing new or changed comments") if err_console.is_terminal else _nothing():
            done = analyze_store(store, "survey", themes=workspace_themes(workspace))
        result = store_theme_impact(store, scope)
    notes = ["share: of commented NPS answers; trend: monthly share (--format json has the series);",
             "nps_gap: NPS with minus without the theme (adjusted-Wald 95% CI);",
             "nps_effect: OLS coefficient on NPS contribution with all themes at once (HC1 95% CI)."]
    if done.analysed:
        notes.append(f"{done.analysed} new or changed comments were analysed first.")
    if fmt == "table":
        view = result.drop(columns=["months", "trend", "nps_with", "nps_without", "score_effect", "score_effect_low",
                                    "score_effect_high", "n_with", "n_without"], errors="ignore").round(3)
        view["trend"] = result["trend"].map(sparkline)
        render(view.to_dict("records"), fmt, title="theme impact on NPS", notes=notes)
    else:
        render(result.round(4).to_dict("records"), fmt)
