"""One exception hierarchy, so callers (CLI, web) can catch cxlens problems and show them to people."""

from __future__ import annotations


class CxlensError(Exception):
    """Base of every error cxlens raises on purpose; the message says what to change."""


class ConfigError(CxlensError):
    """A workspace file (cxlens.toml, journey.yaml, a mapping) is missing or invalid."""


class InputFileError(CxlensError):
    """A file to load cannot be read as a whole: unreadable, wrong encoding, missing required column.

    Nothing is loaded when this is raised.
    """

    def __init__(self, file: str, message: str, column: str | None = None):
        self.file = file
        self.column = column
        where = f"{file}" + (f", column '{column}'" if column else "")
        super().__init__(f"{where}: {message}")


class StoreError(CxlensError):
    """The store URL is unsupported or the store cannot be opened."""


class AnalysisError(CxlensError):
    """An analysis was asked for something the data cannot answer (unknown dimension, no rows)."""


def first_line(exc: BaseException) -> str:
    """The first line of an engine's or library's error message (its type when it has none): the part people read."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
