"""Scope: which answers an analysis looks at and how it cuts them, as one validated value.

Every analysis takes a `Scope` instead of loose keyword arguments, so the CLI (and the web app)
parse their options once, in one place, and every analysis reads `by`, `period`, dates, filters and
weighting the same way. A Scope is frozen and hashable: derive another with `replace`.

    >>> Scope.parse(by="touchpoint,segment", period="month", filters=["region=north"])
    Scope(by=('touchpoint', 'segment'), period='month', filters={'region': ('north',)})

Errors are `UsageError`s naming the library's parameter (`period`), which the CLI translates to its flag.
Which dimensions an analysis accepts is the analysis's own check; Scope checks only the form.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Iterable, Iterator, Mapping, Sequence

from cxlens.errors import UsageError
from cxlens.query.dimensions import PERIODS

WEIGHTINGS = ("poststratify", "raking")


class Filters(Mapping[str, tuple[str, ...]]):
    """A frozen, hashable mapping dimension -> values (a row passes when its value is one of them)."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, Any] | Iterable[tuple[str, Any]] = ()):
        pairs = items.items() if isinstance(items, Mapping) else items
        data: dict[str, tuple[str, ...]] = {}
        for dim, value in pairs:
            if not isinstance(dim, str) or not dim.strip():
                raise UsageError("filters", dim, message=f"filters: {dim!r} is not a dimension name")
            values = (value,) if isinstance(value, str) or not isinstance(value, Iterable) else tuple(value)
            if not values:
                raise UsageError("filters", {dim: value}, message=f"filters: {dim!r} has no value to keep")
            data[dim.strip()] = tuple(str(v) for v in values)
        object.__setattr__(self, "_items", data)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Filters is frozen")

    def __getitem__(self, key: str) -> tuple[str, ...]:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(frozenset(self._items.items()))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and dict(self._items) == dict(other)

    def __repr__(self) -> str:
        return repr(self._items)

    def without(self, *dims: str) -> Filters:
        """The same filters less `dims` (e.g. the theme filter, applied separately)."""
        return Filters((d, v) for d, v in self._items.items() if d not in dims)


def _as_date(parameter: str, value: Any) -> date | None:
    """None, a date, a datetime (its day) or an ISO "YYYY-MM-DD" string -> date."""
    if value is None or isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str):
        text = value.strip()
        for read in (date.fromisoformat, lambda s: datetime.fromisoformat(s).date()):
            try:
                return read(text)
            except ValueError:
                pass
    raise UsageError(parameter, value, message=f"{parameter}={value!r} is not a date; use YYYY-MM-DD")


def _split_by(by: str | Sequence[str] | None) -> tuple[str, ...]:
    if by is None:
        return ()
    parts = by.split(",") if isinstance(by, str) else list(by)
    out = []
    for d in parts:
        if not isinstance(d, str):
            raise UsageError("by", by, message=f"by={by!r}: dimensions are names such as 'touchpoint'")
        if d.strip():
            out.append(d.strip())
    return tuple(out)


@dataclass(frozen=True, repr=False)
class Scope:
    """Which answers an analysis uses and how it groups them.

    by: dimension names to group by ("touchpoint", "segment", ...; the analysis says which it allows).
    period: None, "week", "month", "quarter" or "year": also group by calendar period.
    since, until: first and last day included (dates; None = open).
    filters: dimension -> values to keep (one of them); `theme` keeps customers who mentioned the theme.
    weighting: None (unweighted), "poststratify" or "raking": weight survey answers to the customer base.
    """

    by: tuple[str, ...] = ()
    period: str | None = None
    since: date | None = None
    until: date | None = None
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=Filters)
    weighting: str | None = None

    def __post_init__(self) -> None:
        by = _split_by(self.by)
        if len(set(by)) != len(by):
            raise UsageError("by", self.by, message=f"by={self.by!r} lists a dimension twice")
        if self.period is not None and self.period not in PERIODS:
            raise UsageError("period", self.period, PERIODS)
        since, until = _as_date("since", self.since), _as_date("until", self.until)
        if since is not None and until is not None and since > until:
            raise UsageError("until", self.until, message=f"until={until.isoformat()} is before since={since.isoformat()}")
        filters = self.filters if isinstance(self.filters, Filters) else Filters(self.filters or {})
        if self.weighting is not None and self.weighting not in WEIGHTINGS:
            raise UsageError("weighting", self.weighting, ["None"] + list(WEIGHTINGS))
        for name, value in (("by", by), ("since", since), ("until", until), ("filters", filters)):
            object.__setattr__(self, name, value)

    @classmethod
    def parse(cls, by: str | Sequence[str] | None = "", period: str | None = None, since: Any = None,
              until: Any = None, filters: Sequence[str] | Mapping[str, Any] | None = None,
              weighting: str | bool | None = None) -> Scope:
        """A Scope from the textual forms people type: by="touchpoint,segment",
        filters=["region=north", "region=south"] (same dimension twice: either value), empty strings
        for "not given", weighting=True for "poststratify". The CLI and the web app both call this."""
        if isinstance(filters, Mapping):
            parsed: Mapping[str, Any] = filters
        else:
            grouped: dict[str, list[str]] = {}
            for item in [filters] if isinstance(filters, str) else (filters or []):
                dim, sep, value = str(item).partition("=")
                if not sep or not dim.strip():
                    raise UsageError("filters", item, message=f"filters={item!r} is not DIM=VALUE (e.g. region=north)")
                grouped.setdefault(dim.strip(), []).append(value.strip())
            parsed = grouped
        if weighting is True:
            weighting = WEIGHTINGS[0]
        return cls(by=_split_by(by), period=period or None, since=since or None, until=until or None,
                   filters=Filters(parsed), weighting=weighting or None)

    def replace(self, **changes: Any) -> Scope:
        """A copy with some fields changed (validated again), e.g. `scope.replace(by=("touchpoint",), period="month")`."""
        return dataclasses.replace(self, **changes)

    def require_empty(self, *names: str, analysis: str) -> None:
        """Raise UsageError for the first of `names` that is set: for analyses that do not use it."""
        for name in names:
            value = getattr(self, name)
            if value:
                raise UsageError(name, value, message=f"{name}={_show(value)} is not used by {analysis}; leave it unset")

    def __repr__(self) -> str:
        parts = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value:
                parts.append(f"{f.name}={_show(value)}")
        return f"Scope({', '.join(parts)})"


def _show(value: Any) -> str:
    if isinstance(value, date):
        return repr(value.isoformat())
    return repr(dict(value)) if isinstance(value, Mapping) else repr(value)
