#!/usr/bin/env bash
# Run the whole suite in parallel: one pytest-xdist worker per core (-n auto), each test module on
# one worker (--dist loadfile), so module-scoped stores (DuckDB, a SparkSession per worker, a
# PostgreSQL server per worker) are built once; the demo company is built once per run (conftest).
# Extra arguments go to pytest (e.g. `-n 0` for a serial run, `-m "not spark"`).
# pytest's exit code 5 (no tests collected) is a failure, never a pass.
set -uo pipefail
cd "$(dirname "$0")/.."
# The import layers first (.importlinter): seconds, and a broken arrow fails the run before any test.
.venv/bin/lint-imports || exit 1
.venv/bin/python -m pytest -q -p no:cacheprovider -n auto --dist loadfile "$@"
rc=$?
if [ $rc -eq 5 ]; then
  echo "pytest collected no tests: failing" >&2
  exit 1
fi
exit $rc
