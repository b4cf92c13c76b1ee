"""Commands: text score / train / themes / impact: multilingual comments, offline."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cxlens.cli._app import FormatOpt, WorkspaceOpt, app, console, err_console, handles_errors, render, require, say
from cxlens.cli import text_models_cmds
from cxlens.cli.publish import MinGroupOpt

text_app = typer.Typer(help="Language, sentiment, themes and emotions of comments, tickets and call notes (offline).",
                       no_args_is_help=True)
app.add_typer(text_app, name="text")

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

    from cxlens.text.models import model_for, model_line
    from cxlens.text.pipeline import analyze_file, default_sentiment_model

    frames = []
    with Progress(TextColumn("scoring"), BarColumn(), TextColumn("{task.completed} rows"), TimeElapsedColumn(),
                  console=err_console, transient=True, disable=not err_console.is_terminal) as progress:
        task = progress.add_task("score", total=None)
        for frame in analyze_file(file, text_column, source=source):
            frames.append(frame)
            progress.advance(task, len(frame))
    result = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["row"])
    sentiment = default_sentiment_model()  # the model analyze_file scored with (loaded once per process)
    records = [{**_record(r), "model": model_for(sentiment, r["language"])} for r in result.to_dict("records")]
    columns = ["row", "language", "sentiment", "sentiment_score", "themes", "emotions"]
    detail = ["theme_sources", "model"] if fmt != "table" else []  # why each theme was found, and by which model
    render(records, fmt, title=f"{file.name}: {len(records)} rows", columns=columns + detail,
           notes=[model_line(sentiment, [r["language"] for r in records])])


def _record(row: dict) -> dict:
    row["theme_sources"] = ";".join(f"{theme}:{how}" for theme, how in zip(row.get("themes") or [], row.get("theme_sources") or []))
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
    from cxlens.text.sentiment import cache_dir
    from cxlens.text.sentiment_training import save_model, train_language

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
    from cxlens.workspace import Workspace

    if init:
        say("wrote ", str(Workspace.open(workspace).init_themes()))
        return
    ws = Workspace.open(workspace) if Workspace.exists(workspace) else None  # outside a workspace: the defaults
    theme_set = ws.themes() if ws else ThemeSet.load()
    mentions = ws.theme_mentions([t.id for t in theme_set.themes]) if ws else None
    records = [{"theme": t.id, "name": t.name, "polarity": t.polarity, "pinned": t.pinned,
                **{f"kw_{lang}": len(t.keywords.get(lang, [])) for lang in ("en", "ar", "zh", "ru", "de")},
                **({"mentions": mentions[t.id]} if mentions is not None else {})}
               for t in theme_set.themes]
    notes = ["mentions: analysed texts (survey comments, ticket descriptions, notes) in the store that mention the theme."]
    title = str(ws.themes_path) if ws and ws.themes_path.exists() else "default themes"
    render(records, fmt, title=title, notes=notes if mentions is not None else [])


@text_app.command("analyze")
@handles_errors
def analyze_cmd(
    workspace: WorkspaceOpt = Path("."),
    source: Annotated[str, typer.Option("--source", "-s", help="survey, ticket, note or all.")] = "all",
    full: Annotated[bool, typer.Option("--full", help="Re-analyse every text, not only new and changed ones.")] = False,
    fmt: FormatOpt = "table",
) -> None:
    """Analyse every comment, ticket description and note in the store into comment_analysis (incremental)."""
    from cxlens.text.stored import check_sources
    from cxlens.workspace import Workspace

    ws = Workspace.open(workspace)
    check_sources(source)  # a typo fails before the models load
    with ws.store() as store:
        require(store, "texts")
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err_console, transient=True, disable=not err_console.is_terminal) as progress:
        tasks: dict[str, object] = {}

        def on_progress(src: str, done: int, total: int) -> None:
            if src not in tasks:
                tasks[src] = progress.add_task(f"analysing {src} texts", total=total)
            progress.update(tasks[src], completed=done, total=total)

        with err_console.status("loading the sentiment models") if err_console.is_terminal else nullcontext():
            from cxlens.text.pipeline import default_sentiment_model

            default_sentiment_model()
        result = ws.analyze_texts(source, full=full, on_progress=on_progress)
    from cxlens.text.models import model_line, source_models, stored_languages

    sentiment = ws.sentiment_model()
    with ws.store() as store:
        languages = stored_languages(store)
    rows = [{**r, "model": source_models(sentiment, languages.get(r["source"], []))} for r in result.rows()]
    render(rows, fmt, title=f"comment_analysis ({result.seconds:.1f}s)",
           columns=["source", "texts", "analysed", "skipped", "removed"] + (["model"] if fmt != "table" else []),
           notes=["skipped: text and analysis version unchanged since the last run; removed: the text's row left the store.",
                  model_line(sentiment, [lang for src in languages.values() for lang in src]),
                  f"analysis version: {result.model}"])


@text_app.command("impact")
@handles_errors
def impact(
    workspace: WorkspaceOpt = Path("."),
    by: Annotated[str | None, typer.Option("--by", "-b", help="touchpoint or segment.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="First date included (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Last date included (YYYY-MM-DD).")] = None,
    min_group: MinGroupOpt = None,
    fmt: FormatOpt = "table",
) -> None:
    """NPS points each theme costs, from the analysed NPS comments in the store (new comments are analysed first)."""
    from cxlens.cli.metrics_cmds import parse_scope, sparkline
    from cxlens.cli.publish import publish, smallest_group
    from cxlens.privacy.suppress import min_group_for, suppress_series
    from cxlens.workspace import Workspace

    scope = parse_scope(by, since=since, until=until)
    ws = Workspace.open(workspace)
    with ws.store() as store:
        require(store, "nps")
    with err_console.status("analysing new or changed comments") if err_console.is_terminal else nullcontext():
        impact = ws.text_impact(scope)
    if impact.table.empty:  # after the library checked --by: no comment at all is a missing-data line, not an empty table
        with ws.store() as store:
            require(store, "nps_comments")
    result, done = impact.table, impact
    # NPS with and without a theme each describe a group: the smaller decides; a theme's mentions per touchpoint or
    # segment add up to its mentions overall (complements), themes overlap (one comment, several themes)
    key = {"touchpoint": "touchpoint_id"}.get(by or "", by)
    counted = (result.assign(_c=smallest_group(result, ["customers", "customers_without"])) if "customers" in result
               else result)
    result, privacy = publish(counted, ws, [*([key] if key else []), "theme"], min_group, keep=["months"], customers="_c")
    result = result.drop(columns="_c", errors="ignore")
    if "trend_customers" in result:  # each month's share of a theme is a group of its own
        result = result.assign(**{c: result[c].map(lambda v: v if isinstance(v, list) else [])
                                  for c in ("trend", "months", "trend_customers")})
        result, point = suppress_series(result, series="trend", counts="trend_customers", periods="months",
                                        min_group=min_group_for(ws.min_group, min_group))
        privacy += [point] if point and not privacy else []
    notes = ["share: of commented NPS answers; trend: monthly share (--format json has the series);",
             "nps_gap: NPS with minus without the theme (adjusted-Wald 95% CI);",
             "nps_effect: OLS coefficient on NPS contribution with all themes at once (HC1 95% CI)."]
    notes += privacy
    if done.newly_analysed:
        notes.append(f"{done.newly_analysed} new or changed comments were analysed first.")
    from cxlens.text.models import analysed_models, model_line, stored_languages

    with ws.store() as store:  # the models that scored the stored comments (today's, for older analyses)
        notes.append(model_line(analysed_models(store) or ws.sentiment_model(), stored_languages(store).get("survey", [])))
    if fmt == "table":
        view = result.drop(columns=["months", "trend", "nps_with", "nps_without", "score_effect", "score_effect_low",
                                    "score_effect_high", "n_with", "n_without", "customers", "customers_without",
                                    "trend_customers"],
                           errors="ignore").round(3)
        view["trend"] = result["trend"].map(lambda t: sparkline(t) if isinstance(t, list) else "")
        render(view.to_dict("records"), fmt, title="theme impact on NPS", notes=notes)
    else:
        render(result.round(4).to_dict("records"), fmt)


text_app.command("models")(text_models_cmds.models_cmd)
text_app.command("calibrate")(text_models_cmds.calibrate_cmd)
