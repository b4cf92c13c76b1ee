"""stats is the bottom of the analysis stack: it imports nothing else of cxlens."""

import ast
from pathlib import Path

import cxlens.stats


def test_stats_imports_nothing_of_cxlens_but_itself():
    for path in Path(cxlens.stats.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                assert not name.startswith("cxlens") or name.startswith("cxlens.stats"), f"{path.name} imports {name}"
