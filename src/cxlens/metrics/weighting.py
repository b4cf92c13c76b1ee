"""Response-bias weighting: make respondents stand for the customer base, not for themselves.

Who answers surveys is not who the customers are (business contacts answer less, seniors more...).
Each answer gets a weight so that the weighted respondents have the customer base's mix of
segment and region; then NPS describes customers. Weights are computed once over all answers in
scope (after filters and dates) and carried into every cell, as survey weights are. A weighted cell
is as precise as a simple random sample of Kish's effective size n_eff = (Σw)² / Σw², which the
intervals use in place of n.
"""

from __future__ import annotations

from typing import Sequence

import ibis
import ibis.expr.types as ir
import pandas as pd

from cxlens.errors import AnalysisError
from cxlens.query import Scope
from cxlens.query.dimensions import UNKNOWN
from cxlens.query.rows import responses
from cxlens.stats import poststratify, rake

WEIGHT_METHODS = ("poststratify", "rake")
WEIGHT_DIMENSIONS = ("segment", "region")
SCOPE_METHODS = {"poststratify": "poststratify", "raking": "rake"}  # Scope.weighting -> stratum_weights method


def customer_counts(store, by: Sequence[str] = WEIGHT_DIMENSIONS) -> pd.DataFrame:
    """Customers per stratum (the population the weights aim at)."""
    c = store.table("customers")
    keys = {d: c[d].cast("string").fill_null(UNKNOWN) for d in by}
    return c.group_by(**keys).aggregate(customers=c.count()).execute()


def stratum_weights(respondents: pd.DataFrame, customers: pd.DataFrame, by: Sequence[str] = WEIGHT_DIMENSIONS,
                    method: str = "poststratify", max_iter: int = 200, tol: float = 1e-10) -> pd.DataFrame:
    """Weight per stratum, from answers per stratum (`n`) and customers per stratum (`customers`).

    poststratify: w_h = (N_h / N) / (n_h / n) over the joint strata (exact when every stratum has
    answers). rake: iterative proportional fitting (Deming & Stephan 1940) to each dimension's
    margin, for when joint strata are too sparse. Strata of the base with no answers at all cannot
    be represented; the population shares are taken over the strata that have answers.
    Weights average 1 over answers, so weighted n equals the number of answers.
    """
    if method not in WEIGHT_METHODS:
        raise AnalysisError(f"unknown weighting method '{method}'; use one of {', '.join(WEIGHT_METHODS)}")
    by = list(by)
    table = respondents[by + ["n"]].merge(customers[by + ["customers"]], on=by, how="left").fillna({"customers": 0})
    n = table["n"].to_numpy(float)
    if method == "poststratify":
        w = poststratify(n, table["customers"].to_numpy(float))
    else:
        codes, margins = [], []
        for dim in by:  # each dimension's margin over the categories that have answers
            code, categories = pd.factorize(table[dim])
            codes.append(code)
            margins.append(customers.groupby(dim)["customers"].sum().reindex(categories).fillna(0).to_numpy(float))
        w = rake(n, codes, margins, max_iter, tol)
    return table.assign(weight=w)


def add_weights(store, rows: ir.Table, weighting: str = "poststratify",
                by: Sequence[str] = WEIGHT_DIMENSIONS) -> ir.Table:
    """`rows` (answers with segment and region columns) plus a `weight` column.

    `weighting`: a `Scope.weighting` ("poststratify" or "raking").
    """
    method = SCOPE_METHODS[weighting]
    by = list(by)
    respondents = rows.group_by(by).aggregate(n=rows.count()).execute()
    if respondents.empty:
        return rows.mutate(weight=ibis.literal(1.0))
    weights = stratum_weights(respondents, customer_counts(store, by), by, method)
    lookup = ibis.memtable(weights[by + ["weight"]])
    # view(): a fresh relation identity, else Ibis confuses the lookup's keys with the customers table's
    return rows.view().join(lookup, by)


def weighting_report(store, scope: Scope = Scope(), *, metric: str = "nps") -> pd.DataFrame:
    """Per stratum: answers, customers, their shares and the weight; shows what weighting corrects.

    The weights of `scope.weighting` (poststratify when unset), over the answers in `scope`'s dates and filters.
    """
    scope.require_empty("by", "period", analysis="weighting_report (its strata are segment x region)")
    method = SCOPE_METHODS[scope.weighting or "poststratify"]
    rows = responses(store, metric, scope)
    respondents = rows.group_by(list(WEIGHT_DIMENSIONS)).aggregate(n=rows.count()).execute()
    if respondents.empty:
        raise AnalysisError(f"no '{metric}' answers to weight")
    table = stratum_weights(respondents, customer_counts(store), WEIGHT_DIMENSIONS, method)
    table["respondent_pct"] = 100 * table["n"] / table["n"].sum()
    table["customer_pct"] = 100 * table["customers"] / table["customers"].sum()
    return table.sort_values(list(WEIGHT_DIMENSIONS)).reset_index(drop=True)
