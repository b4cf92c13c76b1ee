"""The gap model and the experience metrics per aspect (functional, emotional, experiential).

Aspect answers count only when an analysis asks for them (`aspect` in `by` or in the filters), so
existing figures stay what they were; with `--by aspect` every cell is checked against pandas/scipy.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from conftest import GENERATED_JOURNEY, generate_frames

from cxlens.ingest import load, sync_journey
from cxlens.model.journey import read_journey
from cxlens.metrics import csat_by, nps_by
from cxlens.metrics.gaps import expectation_gap
from cxlens.model import ASPECTS
from cxlens.store import Store
from cxlens.query import Scope


def aspect_answers(customers: pd.Series, seed: int = 5, n: int = 3000) -> pd.DataFrame:
    """Per-aspect expectation and CSAT answers at shop and call, with a different true gap per aspect."""
    rng = np.random.default_rng(seed)
    shift = {"functional": 0.0, "emotional": -1.0, "experiential": -0.4}
    aspect = rng.choice(ASPECTS, n)
    metric = rng.choice(["expectation", "csat"], n)
    mu = 3.8 + np.where(metric == "csat", [shift[a] for a in aspect], 0.0)
    return pd.DataFrame({
        "response_id": [f"A{i}" for i in range(n)], "customer_id": rng.choice(customers, n),
        "ts": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365 * 24, n), unit="h"),
        "touchpoint_id": rng.choice(["shop", "call"], n), "metric": metric,
        "score": np.clip(np.rint(rng.normal(mu, 0.9)), 1, 5), "aspect": aspect,
    })


@pytest.fixture(scope="module")
def aspect_store(tmp_path_factory):
    """(store, responses): conftest's generated data plus per-aspect answers, loaded through `load`."""
    folder = tmp_path_factory.mktemp("aspects")
    frames = generate_frames()
    responses = pd.concat([frames["responses"].assign(aspect=None), aspect_answers(frames["customers"]["customer_id"])],
                          ignore_index=True)
    store = Store.open(f"duckdb:///{folder / 'cx.duckdb'}")
    journey = folder / "journey.yaml"
    journey.write_text(textwrap.dedent(GENERATED_JOURNEY).lstrip(), encoding="utf-8")
    sync_journey(store, read_journey(journey))
    for kind, frame in (("customers", frames["customers"]), ("responses", responses)):
        frame.to_parquet(folder / f"{kind}.parquet", index=False)
        load(store, folder / f"{kind}.parquet", kind)
    yield store, responses.assign(aspect=responses["aspect"].fillna("overall"))
    store.close()


def test_expectation_gap_per_aspect_is_csat_minus_expectation_with_a_welch_interval(aspect_store):
    store, r = aspect_store
    got = expectation_gap(store, Scope(by=("touchpoint", "aspect")))
    assert set(got["aspect"]) == {*ASPECTS, "overall"}  # NULL reads as the overall question, not "(unknown)"
    assert len(got) == 2 * 4 + 1  # shop and call per aspect and overall; chat has overall answers only
    for row in got.to_dict("records"):
        cell = r[(r["touchpoint_id"] == row["touchpoint"]) & (r["aspect"] == row["aspect"])]
        csat, exp = cell[cell["metric"] == "csat"]["score"], cell[cell["metric"] == "expectation"]["score"]
        ref = stats.ttest_ind(csat, exp, equal_var=False)
        ci = ref.confidence_interval(0.95)
        assert (row["n_csat"], row["n_expectation"]) == (len(csat), len(exp))
        assert row["csat"] == pytest.approx(csat.mean()) and row["expectation"] == pytest.approx(exp.mean())
        assert row["gap"] == pytest.approx(csat.mean() - exp.mean())
        assert (row["ci_low"], row["ci_high"]) == (pytest.approx(ci.low), pytest.approx(ci.high))
        assert row["p_value"] == pytest.approx(ref.pvalue)
    emotional = got[got["aspect"] == "emotional"]
    assert (emotional["ci_high"] < 0).all() and emotional["significant"].all()  # the planted -1.0 shortfall


def test_without_aspect_in_by_only_the_overall_answers_count_as_before(aspect_store, generated):
    store, _ = aspect_store
    plain, _ = generated  # the same data without the aspect answers
    per_touchpoint, monthly = Scope(by=("touchpoint",)), Scope(by=("touchpoint",), period="month")
    pd.testing.assert_frame_equal(expectation_gap(store, per_touchpoint), expectation_gap(plain, per_touchpoint))
    pd.testing.assert_frame_equal(csat_by(store, monthly), csat_by(plain, monthly))
    pd.testing.assert_frame_equal(nps_by(store, Scope(by=("segment",))), nps_by(plain, Scope(by=("segment",))))


def test_every_experience_metric_can_be_cut_and_filtered_by_aspect(aspect_store):
    store, r = aspect_store
    got = csat_by(store, Scope(by=("touchpoint", "aspect"))).set_index(["touchpoint", "aspect"])
    csat = r[r["metric"] == "csat"].groupby(["touchpoint_id", "aspect"])["score"]
    for (tp, aspect), mean in csat.mean().items():
        assert got.loc[(tp, aspect), "csat"] == pytest.approx(mean)
        assert got.loc[(tp, aspect), "n"] == csat.size()[(tp, aspect)]
    emotional = csat_by(store, Scope(by=("touchpoint",), filters={"aspect": "emotional"})).set_index("touchpoint")
    assert emotional["csat"].to_dict() == pytest.approx(got.xs("emotional", level="aspect")["csat"].to_dict())
    overall = csat_by(store, Scope(by=("touchpoint",), filters={"aspect": "overall"}))
    pd.testing.assert_frame_equal(overall, csat_by(store, Scope(by=("touchpoint",))))
    assert set(nps_by(store, Scope(by=("aspect",)))["aspect"]) == {"overall"}  # NPS was asked overall only
