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


class UsageError(CxlensError):
    """A parameter of a library call has a value it does not accept.

    Names the parameter as the library spells it (`period=`); the CLI translates it to its flag
    (`--period`) through `parameter`, so the same error reads right in Python, the CLI and the web app.
    """

    def __init__(self, parameter: str, value: object, allowed: object = None, message: str | None = None):
        self.parameter, self.value, self.allowed = parameter, value, allowed
        text = message or f"{parameter}={value!r} is not accepted"
        if allowed is not None and not message:
            choices = ", ".join(map(str, allowed)) if isinstance(allowed, (list, tuple, set, frozenset)) else str(allowed)
            text += f"; use one of: {choices}"
        super().__init__(text)


def first_line(exc: BaseException) -> str:
    """The first line of an engine's or library's error message (its type when it has none): the part people read."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
