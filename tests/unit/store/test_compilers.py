"""Ibis' dialect compilers imported one at a time (cxlens.store.backends.compilers): the same SQL for every dialect
Ibis is asked for, only the used compilers imported, and no change at all when the package has another shape."""

from __future__ import annotations

import json
import subprocess
import sys

from cxlens.store.backends.compilers import _exported_classes

SCRIPT = """
import json, sys
import ibis
from cxlens.store.backends.compilers import defer_dialect_compilers
deferred = defer_dialect_compilers() if sys.argv[1] == "deferred" else False
con = ibis.duckdb.connect()
con.raw_sql("create table t (a bigint, b varchar)")
expr = con.table("t").group_by("b").aggregate(n=lambda t: t.a.sum())
loaded_before = sorted(m for m in sys.modules if m.startswith("ibis.backends.sql.compilers."))
from ibis.backends.sql.compilers import PostgresCompiler
import ibis.backends.sql.compilers as sc
print(json.dumps({"deferred": deferred, "loaded": loaded_before, "duckdb": con.execute(expr).to_dict("list"),
                  "sql": {d: ibis.to_sql(expr, dialect=d) for d in ("duckdb", "postgres", "pyspark", "trino")},
                  "class": PostgresCompiler.__name__, "all": sorted(sc.__all__)}))
"""


def _run(mode: str) -> dict:
    out = subprocess.run([sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def test_deferred_compilers_give_the_same_sql_and_import_only_duckdbs():
    eager, deferred = _run("eager"), _run("deferred")
    assert deferred["deferred"] and not eager["deferred"]
    assert deferred["sql"] == eager["sql"] and deferred["duckdb"] == eager["duckdb"]
    assert deferred["class"] == "PostgresCompiler" and deferred["all"] == eager["all"]
    assert "ibis.backends.sql.compilers.trino" in eager["loaded"]
    assert {m.rsplit(".", 1)[1] for m in deferred["loaded"]} <= {"base", "duckdb", "_compat"}


def test_a_package_of_another_shape_is_left_alone():
    assert _exported_classes("from ibis.backends.sql.compilers.duckdb import DuckDBCompiler\n__all__ = []\n") == {
        "DuckDBCompiler": "ibis.backends.sql.compilers.duckdb"}
    assert _exported_classes("from ibis.backends.sql.compilers.duckdb import DuckDBCompiler\nregister()\n") is None
    assert _exported_classes("import os\n") is None
