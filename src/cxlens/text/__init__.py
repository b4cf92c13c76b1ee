"""Multilingual text analysis for CX comments (en, ar, zh, ru, de), fully offline.

    from cxlens.text import analyze
    analyze(["Mir wurde doppelt abgebucht", "客服态度很好"])   # language, sentiment, themes, emotions

See docs/text.md for how each step works, what the models were trained on and how accurate they are.
"""

from cxlens.text.discovery import DiscoveredTheme, discover_themes
from cxlens.text.impact import nps_gap, theme_impact, theme_trend
from cxlens.text.language import SUPPORTED, detect_language
from cxlens.text.lexicon import EMOTIONS, detect_emotions
from cxlens.text.pipeline import analyze, analyze_file
from cxlens.text.sentiment import SentimentModel
from cxlens.text.sentiment_training import train_language
from cxlens.text.themes import Theme, ThemeSet, assign_themes

__all__ = [
    "SUPPORTED", "EMOTIONS", "detect_language", "SentimentModel", "train_language", "Theme", "ThemeSet",
    "assign_themes", "discover_themes", "DiscoveredTheme", "detect_emotions", "analyze", "analyze_file",
    "theme_impact", "theme_trend", "nps_gap",
]
