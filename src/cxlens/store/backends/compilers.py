"""Ibis' SQL compilers imported one dialect at a time, when a backend first asks for its own.

Why: `ibis.backends.sql.compilers/__init__.py` imports all twenty dialect compilers (Athena, BigQuery, Trino, ...),
and each builds its sqlglot dialect (tokenizer tries, generator tables) on import: 0.1-0.2 s of every command that
opens a store, for dialects a DuckDB, Spark or PostgreSQL store never uses (architecture D37). Ibis reaches the
compilers only as attributes of that package (`sc.duckdb.compiler`, `getattr(sc, dialect)` in `ibis.to_sql`,
`from ibis.backends.sql.compilers import PostgresCompiler`), so a package object whose `__getattr__` imports the
submodule asked for behaves the same, minus the unused imports.

The names come from the installed package's own `__init__.py` (parsed, not run). When that file holds anything but
`__all__` and `from ibis.backends.sql.compilers.<dialect> import <Class>` lines (a future Ibis), nothing is
changed and Ibis imports as usual: the figures are the same either way, only start-up is slower.
"""

from __future__ import annotations

import ast
import importlib.util
import sys

PACKAGE = "ibis.backends.sql.compilers"


def _exported_classes(source: str) -> dict[str, str] | None:
    """Class name -> defining submodule, from the package's `__init__.py`; None when it does anything else."""
    where: dict[str, str] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(PACKAGE + ".") and node.level == 0:
            where.update({alias.asname or alias.name: node.module for alias in node.names})
        elif isinstance(node, ast.ImportFrom) and node.module == "__future__":
            continue
        elif isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["__all__"]:
            continue
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):  # a docstring
            continue
        else:
            return None
    return where or None


def _imported(module: str) -> object:
    """The module, imported by the import statement's machinery (which `python -X importtime` reports; an
    `importlib.import_module` does not appear there)."""
    __import__(module)
    return sys.modules[module]


def defer_dialect_compilers() -> bool:
    """Make `ibis.backends.sql.compilers` import each dialect's compiler on first use; True when installed.

    Call before any Ibis backend is loaded; a no-op when the package is already imported or has another shape.
    """
    if PACKAGE in sys.modules:
        return False
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.origin is None or not spec.submodule_search_locations:
        return False
    with open(spec.origin, encoding="utf-8") as handle:
        where = _exported_classes(handle.read())
    if where is None:
        return False
    package = importlib.util.module_from_spec(spec)

    def __getattr__(name: str):  # noqa: N807  (the module-level hook Python looks up)
        if name in where:
            value = getattr(_imported(where[name]), name)
        elif name.startswith("__") or importlib.util.find_spec(f"{PACKAGE}.{name}") is None:
            raise AttributeError(f"module {PACKAGE!r} has no attribute {name!r}")
        else:
            value = _imported(f"{PACKAGE}.{name}")
        setattr(package, name, value)
        return value

    package.__getattr__ = __getattr__  # type: ignore[method-assign]
    package.__all__ = sorted(where)  # type: ignore[attr-defined]
    package.__dir__ = lambda: sorted(set(where) | set(vars(package)))  # type: ignore[method-assign]
    sys.modules[PACKAGE] = package
    parent = sys.modules[PACKAGE.rpartition(".")[0]]
    setattr(parent, PACKAGE.rpartition(".")[2], package)
    return True

