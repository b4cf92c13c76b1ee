"""The report's personas section: one card per persona (`cxlens personas fit`), only when personas were fitted.

Each card is the persona's name, its plain-words description and its profile (size with a 95% Wilson interval,
NPS with its interval, value, top needs, preferred channels, the touchpoints where it is least satisfied), as
`cxlens personas cards` prints them; personas smaller than `min_group` customers are left out and counted.
"""

from __future__ import annotations

import pandas as pd

from cxlens.people import customer_view_frame
from cxlens.personas import shown
from cxlens.personas.stored import META_KEY
from cxlens.report.components import Block, Card, Cards, Heading, Paragraph, Section, table


def _facts(p: dict) -> pd.DataFrame:
    rows = [("customers", f"{p['customers']} ({p['share']:.0%}; 95% CI {p['share_low']:.0%}-{p['share_high']:.0%})")]
    if p["nps"] is not None:
        rows.append(("NPS", f"{p['nps']:+.0f} ({p['nps_low']:+.0f} to {p['nps_high']:+.0f}; {p['nps_answers']} answers)"))
    if p["revenue_month"] is not None:
        cost = f"; cost to serve {p['cost_to_serve_month']:.2f}" if p["cost_to_serve_month"] is not None else ""
        rows.append(("value", f"revenue {p['revenue_month']:.2f} a month{cost}"))
    if p["needs"]:
        rows.append(("top needs", ", ".join(f"{n['theme'].replace('_', ' ')} ({n['share']:.0%})" for n in p["needs"])))
    if p["channels"]:
        rows.append(("preferred channels", ", ".join(f"{c['channel']} ({c['share']:.0%})" for c in p["channels"])))
    if p["least_satisfied"]:
        rows.append(("least satisfied at", ", ".join(f"{t['touchpoint']} (CSAT {t['csat']:.2f}, {t['answers']} answers)"
                                                      for t in p["least_satisfied"])))
    return pd.DataFrame(rows, columns=["", "value"])


def persona_section(store, min_n: int = 30, min_group: int = 5) -> Section | None:
    """The persona cards; None when no personas were fitted in this store (or none is large enough to show)."""
    if store.meta(META_KEY) is None or not store.backend.has_table("personas"):
        return None
    view = shown(store, customer_view_frame(store), min_group)
    if not view["profiles"]:
        return None
    summary = view["summary"]
    blocks: list[Block] = [Cards((Card(summary["k"], "personas (by BIC)"), Card(summary["customers"], "customers")))]
    for p in view["profiles"]:
        blocks += [Heading(f"{p['persona_id']} · {p['name']}"), Paragraph(p["description"]),
                   table(_facts(p), ["", "value"])]
    stab = summary.get("stability") or {}
    seeds, boot = stab.get("seeds") or {}, stab.get("bootstrap") or {}
    stable = (f" Stability (adjusted Rand index with the fit): other seeds mean {seeds['mean']:.2f} (min {seeds['min']:.2f}), "
              f"bootstrap resamples mean {boot['mean']:.2f} (min {boot['min']:.2f}).") if seeds.get("n") and boot.get("n") else ""
    hidden = (f" {view['hidden']} persona(s) with fewer than {min_group} customers are not shown."
              if view["hidden"] else "")
    return Section("personas", "Personas", tuple(blocks),
                   intro=f"{summary['k']} customer types found in the customer view by a latent class model "
                         f"(the number by BIC; fitted {summary['fitted_at'][:10]}), each described by what sets it apart "
                         "from the whole base. Intervals are 95%." + stable + hidden)
