"""Report sections of journey analytics: the journey map picture (and, as they land, paths, funnel, breakpoints).

Each builder returns a `Section` or None; `cxlens.report.sections` lists them with what each needs from the
store, so a store without journey events gets the map (it needs only journey.yaml) and the reason why the
event-based sections are missing.
"""

from __future__ import annotations

from cxlens.query import Scope
from cxlens.report.components import Figure, Paragraph, Section
from cxlens.report.journey_health import BELOW_SIG, NO_DATA, touchpoint_health
from cxlens.report.journey_map import journey_map_svg


def journey_map_section(store, min_n: int) -> Section:
    """The journey map as a picture: stages as columns, touchpoint cards coloured by health against their targets."""
    health = touchpoint_health(store, Scope(), min_n=min_n)
    svg = journey_map_svg(store, min_n=min_n, title="Journey map", health=health)
    failing = health.loc[health["health"] == BELOW_SIG, "name"].fillna(health["touchpoint"]).tolist()
    unmeasured = int((health["health"] == NO_DATA).sum())
    summary = (f"{len(failing)} of {len(health)} touchpoints miss a target beyond sampling noise"
               + (f": {', '.join(failing)}." if failing else ".")
               + (f" {unmeasured} have too few answers to judge." if unmeasured else ""))
    return Section("journey-map", "Journey map", (Figure(svg, wide=True), Paragraph(summary)),
                   intro="Stages in journey order, each touchpoint a card with its channel and owner; ★ marks the moments "
                         "of truth named in journey.yaml. Colours read the scorecard's figures against the targets in "
                         "journey.yaml: red only when the whole 95% interval misses a target.",
                   note="Cards within a stage follow the order in which customers first reach them in the observed events.")
