"""What an analysis looks at: the `Scope` (by, period, since, until, filters, weighting) and the
joined rows every analysis starts from (`responses`, with dates and filters applied).

Core layer: imports only store, model and errors, so every analysis package (metrics, text,
journey, ...) can use it without importing another analysis. Names are imported on first use (D37, D61): the
`Scope` and the dimensions need no Ibis or pandas, the rows do.
"""

from typing import TYPE_CHECKING

from cxlens._exports import export_lazily

if TYPE_CHECKING:
    from cxlens.query.dimensions import EVENT_DIMENSIONS, PERIODS, RESPONSE_DIMENSIONS, UNKNOWN
    from cxlens.query.rows import events, responses, within, with_period
    from cxlens.query.scope import WEIGHTINGS, Filters, Scope

export_lazily(__name__, {
    "EVENT_DIMENSIONS": "dimensions", "PERIODS": "dimensions", "RESPONSE_DIMENSIONS": "dimensions",
    "UNKNOWN": "dimensions", "events": "rows", "responses": "rows", "within": "rows", "with_period": "rows",
    "WEIGHTINGS": "scope", "Filters": "scope", "Scope": "scope",
})

__all__ = ["EVENT_DIMENSIONS", "PERIODS", "RESPONSE_DIMENSIONS", "UNKNOWN", "WEIGHTINGS", "Filters", "Scope", "events", "responses", "within",
           "with_period"]
