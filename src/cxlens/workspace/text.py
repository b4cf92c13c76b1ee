"""What a workspace does with its texts: the pinned themes, the stored text analysis, calibrated sentiment heads
and the NPS points each theme costs (cxlens.text).

A mixin of `Workspace` (it uses the workspace's `root` and `store()`), apart from the class because text is a
capability of its own with its own files (`themes.yaml`, `.cxlens/text`): its models load only when a method runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from cxlens.errors import ConfigError
from cxlens.workspace.files import THEMES_FILE

if TYPE_CHECKING:
    import pandas as pd

    from cxlens.query import Scope
    from cxlens.store import Store
    from cxlens.text.calibrate import CalibrationReport
    from cxlens.text.sentiment import SentimentModel
    from cxlens.text.stored import AnalyzeReport
    from cxlens.text.themes import ThemeSet


@dataclass(frozen=True)
class TextImpact:
    """What `Workspace.text_impact` returns: the impact table and how many texts were analysed first."""

    table: "pd.DataFrame"
    newly_analysed: int


class TextMixin:
    """The text methods of a `Workspace` (mixed into it; not used alone)."""

    @property
    def themes_path(self) -> Path:
        """Where the workspace's pinned themes live (the file may not exist: then the default themes apply)."""
        return self.root / THEMES_FILE

    def themes(self) -> "ThemeSet":
        """The workspace's pinned `themes.yaml` when present, else the shipped default themes."""
        from cxlens.text.themes import ThemeSet

        return ThemeSet.load(self.themes_path if self.themes_path.exists() else None)

    def init_themes(self) -> Path:
        """Write the default themes into the workspace's `themes.yaml` (refused when one exists); returns its path."""
        from cxlens.text.themes import ThemeSet

        if self.themes_path.exists():
            raise ConfigError(f"{self.themes_path} exists; edit it, or delete it to start again from the default")
        return ThemeSet.load().save(self.themes_path)

    def analyze_texts(self, source: str = "all", full: bool = False,
                      on_progress: Callable[[str, int, int], None] | None = None,
                      store: "Store | None" = None) -> "AnalyzeReport":
        """Bring the stored text analysis (`comment_analysis`) up to date with the workspace's themes.

        Only new or changed texts are analysed unless `full`; pass an open `store` to reuse it.
        """
        from cxlens.text.stored import analyze_store, check_sources

        check_sources(source)  # before any model loads
        sentiment = self.sentiment_model()
        if store is not None:
            return analyze_store(store, source, full=full, themes=self.themes(), sentiment=sentiment,
                                 on_progress=on_progress)
        with self.store(migrate=True) as opened:
            return analyze_store(opened, source, full=full, themes=self.themes(), sentiment=sentiment,
                                 on_progress=on_progress)

    @property
    def text_models_dir(self) -> Path:
        """The workspace's own text models (`.cxlens/text`): `cxlens text calibrate` saves calibrated heads here."""
        return self.root / ".cxlens" / "text"

    def sentiment_model(self) -> "SentimentModel":
        """The sentiment models the workspace's text analysis uses: the default ones, with the workspace's
        calibrated heads (`cxlens text calibrate`) in front for their languages."""
        from cxlens.text.calibrate import with_calibrated
        from cxlens.text.pipeline import default_sentiment_model

        return with_calibrated(default_sentiment_model(), self.text_models_dir)

    def calibrate_text(self, seed: int = 0, save: bool = True, max_rows: int | None = None) -> "CalibrationReport":
        """Fit a sentiment head per language on the store's comments weakly labelled by their NPS/CSAT answer and
        keep it where it beats the default model on held-out comments (`text.calibrate`); returns the table."""
        from cxlens.text.calibrate import MAX_ROWS, calibrate
        from cxlens.text.pipeline import default_sentiment_model

        with self.store() as store:
            return calibrate(store, self.text_models_dir, default_sentiment_model(), seed=seed, save=save,
                             max_rows=max_rows or MAX_ROWS)

    def theme_mentions(self, theme_ids: list[str]) -> dict[str, int] | None:
        """Analysed texts mentioning each theme; None before any text was analysed (nothing to count)."""
        from cxlens.text.stored import TABLE, theme_mentions

        with self.store() as store:
            if store.count(TABLE) == 0:
                return None
            counts = theme_mentions(store, theme_ids)
        return {t: int(n) for t, n in zip(counts["theme"], counts["mentions"])}

    def text_impact(self, scope: "Scope | None" = None) -> TextImpact:
        """NPS points each theme costs in `scope`; new or changed NPS comments are analysed first, so it is current."""
        from cxlens.query import Scope
        from cxlens.text.store_impact import store_theme_impact

        with self.store(migrate=True) as store:
            done = self.analyze_texts("survey", store=store)
            table = store_theme_impact(store, scope or Scope())
        return TextImpact(table, done.analysed)
