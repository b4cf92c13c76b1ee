"""Value linkage's stored frames (`value_months`, `value_answers`, `value_groups`; architecture D54): kept current by
loads, erasure and retention through the workspace, never read stale, and the same rows and group figures as the
ones computed per call."""

from __future__ import annotations

import json
import logging
from datetime import date
import shutil
from pathlib import Path

import pandas as pd
import pytest

from value_fixtures import write_value_files

from cxlens.store import migrations
from cxlens.value import stored
from cxlens.value.dataset import answers_frame, customer_month_frame
from cxlens.value.groups import outcomes_by_group
from cxlens.workspace import Workspace

KINDS = ("customers", "outcomes", "responses", "tickets")


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("stored-value-files")
    write_value_files(folder)
    return folder


@pytest.fixture(scope="module")
def built(files, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("stored-value") / "ws"
    Workspace.create(root)
    shutil.copy(files / "journey.yaml", root / "journey.yaml")
    ws = Workspace.open(root)
    for kind in KINDS:
        ws.load(files / f"{kind}.csv", kind)
    return root


@pytest.fixture
def workspace(built, tmp_path) -> Workspace:
    root = tmp_path / "ws"
    shutil.copytree(built, root)
    return Workspace.open(root)


def _computed(store, frame, monkeypatch, **kwargs) -> pd.DataFrame:
    """`frame(store, **kwargs)` with the stored frames taken for stale: computed from the sources."""
    with monkeypatch.context() as m:
        m.setattr(stored, "is_current", lambda s: False)
        return frame(store, **kwargs)


def test_loads_keep_the_frames_current_and_they_equal_the_computed_ones(workspace, monkeypatch):
    with workspace.store() as store:
        assert stored.is_current(store)
        assert store.count("value_months") > 0 and store.count("value_answers") > 0
        for frame, kwargs in ((customer_month_frame, {"answer_months": 1}), (customer_month_frame, {}),
                              (answers_frame, {}), (answers_frame, {"horizons": (24,)})):
            got = frame(store, **kwargs)
            pd.testing.assert_frame_equal(got, _computed(store, frame, monkeypatch, **kwargs))


@pytest.mark.parametrize("horizon,by,filters", [(12, (), None), (24, ("segment",), None), (12, ("plan", "region"), ["plan=x"]),
                                                (24, (), ["language=de"])])
def test_groups_from_the_stored_per_customer_sums_equal_the_answers_route(workspace, monkeypatch, horizon, by, filters):
    from cxlens.query import Scope
    from cxlens.value import groups

    scope = Scope.parse(filters=filters)
    with workspace.store() as store:
        assert groups._stored_sums(store, scope, horizon, list(by), "nps", None) is not None  # the stored route is taken
        got = outcomes_by_group(store, scope, horizon=horizon, by=by)
        want = _computed(store, outcomes_by_group, monkeypatch, scope=scope, horizon=horizon, by=by)
        assert len(got) > 0
        pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-9)
        assert got.attrs == want.attrs
        # dates in the scope, CSAT bands or another horizon read the answers: the stored sums know none of them
        assert groups._stored_sums(store, Scope.parse(since="2024-03-01"), horizon, [], "nps", None) is None
        assert groups._stored_sums(store, scope, 6, [], "nps", None) is None
        assert groups._stored_sums(store, scope, horizon, [], "csat", None) is None


def test_a_change_outside_cxlens_makes_them_stale_and_the_frames_follow_the_change(workspace, caplog):
    with workspace.store(migrate=True) as store:
        before = answers_frame(store)
        store.duckdb.execute("INSERT INTO responses (response_id, customer_id, ts, touchpoint_id, metric, score) "
                             "SELECT 'R-new', customer_id, TIMESTAMP '2024-03-05 10:00:00', 'relationship', 'nps', 0 "
                             "FROM customers ORDER BY customer_id LIMIT 1")
        with caplog.at_level(logging.WARNING):
            after = answers_frame(store)
        assert "cxlens value refresh" in caplog.text and "out of date" in caplog.text
        assert len(after) == len(before) + 1 and "R-new" in set(after.response_id)
    done = workspace.refresh_value()
    assert done["value_answers"] == len(after)
    with workspace.store() as store:
        assert stored.is_current(store)
        pd.testing.assert_frame_equal(answers_frame(store), after)


def test_forget_removes_the_customer_and_leaves_the_frames_current(workspace):
    with workspace.store() as store:
        who = answers_frame(store).customer_id.iloc[0]
    report = workspace.forget([who], by="test")
    assert all(report.rows_removed[name] > 0 for name in stored.TABLES)
    with workspace.store() as store:
        assert stored.is_current(store)
        assert who not in set(customer_month_frame(store).customer_id) | set(answers_frame(store).customer_id)


def test_a_schema_7_store_gains_empty_tables_that_read_stale_until_refreshed(workspace, caplog):
    with workspace.store(migrate=True) as store:
        want = customer_month_frame(store)
        store.duckdb.execute("DROP TABLE value_months; DROP TABLE value_answers")
        store.set_meta(stored.META_KEY, None)
        store.backend.write_version(7)
        assert migrations.migrate(store.backend) == (7, migrations.SCHEMA_VERSION)
        assert store.count("value_months") == 0
        with caplog.at_level(logging.WARNING):
            assert not stored.is_current(store)
            pd.testing.assert_frame_equal(customer_month_frame(store), want)  # computed meanwhile
        assert "never built" in caplog.text and "cxlens value refresh" in caplog.text
    workspace.refresh_value()
    with workspace.store() as store:
        assert stored.is_current(store)
        assert json.loads(store.meta(stored.META_KEY))["rows"]["outcomes"] == store.count("outcomes")
        pd.testing.assert_frame_equal(customer_month_frame(store), want)


def test_without_outcomes_a_load_builds_nothing(tmp_path, files):
    Workspace.create(tmp_path / "ws")
    shutil.copy(files / "journey.yaml", tmp_path / "ws" / "journey.yaml")
    ws = Workspace.open(tmp_path / "ws")
    for kind in ("customers", "responses"):
        ws.load(files / f"{kind}.csv", kind)
    with ws.store() as store:
        assert stored.recorded(store) is None and store.count("value_months") == 0


def test_retention_rebuilds_the_frames_from_what_is_left(workspace, monkeypatch):
    today = date.today()
    months = today.year * 12 + today.month - (2024 * 12 + 7)  # keeps the fixture's answers from about 2024-07 on
    config = workspace.root / "cxlens.toml"
    config.write_text(config.read_text(encoding="utf-8") + f'\n[privacy]\nretention = {{responses = "{months} months"}}\n',
                      encoding="utf-8")
    with workspace.store() as store:
        before = len(answers_frame(store))
    report = Workspace.open(workspace.root).apply_retention()
    assert any(i.table == "responses" and i.rows for i in report.items)
    with workspace.store() as store:
        assert stored.is_current(store)
        after = answers_frame(store)
        assert 0 < len(after) < before
        pd.testing.assert_frame_equal(after, _computed(store, answers_frame, monkeypatch))
