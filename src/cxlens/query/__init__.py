"""What an analysis looks at: the `Scope` (by, period, since, until, filters, weighting) and the
joined rows every analysis starts from (`responses`, with dates and filters applied).

Core layer: imports only store, model and errors, so every analysis package (metrics, text,
journey, ...) can use it without importing another analysis.
"""

from cxlens.query.dimensions import EVENT_DIMENSIONS, PERIODS, RESPONSE_DIMENSIONS, UNKNOWN
from cxlens.query.rows import events, responses, within, with_period
from cxlens.query.scope import WEIGHTINGS, Filters, Scope

__all__ = ["EVENT_DIMENSIONS", "PERIODS", "RESPONSE_DIMENSIONS", "UNKNOWN", "WEIGHTINGS", "Filters", "Scope", "events", "responses", "within",
           "with_period"]
