"""Workspaces the `cxlens value ...` CLI tests run on, built through the real CLI (shared by those test modules)."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import build_once
from test_cli_end_to_end import cxlens, run_demo_command


def demo_workspace_copy(tmp_path_factory, name: str) -> Path:
    """A private copy of the 3,000-customer demo workspace that `cxlens demo` made (built once per run)."""
    built = build_once(tmp_path_factory, "shared-cli-demo-3000-11", run_demo_command)
    root = tmp_path_factory.mktemp(name) / "workspace"
    shutil.copytree(built, root)
    return root


def loaded_workspace(tmp_path_factory, files, name: str, kinds: tuple[str, ...], toml: str = "") -> Path:
    """`cxlens init`, the demo's journey.yaml, `toml` appended to cxlens.toml, then `cxlens load` of each kind."""
    root = tmp_path_factory.mktemp(name)
    assert cxlens("init", str(root)).returncode == 0
    if toml:
        with open(root / "cxlens.toml", "a") as config:
            config.write(toml)
    shutil.copy(files.journey, root / "journey.yaml")
    for kind in kinds:
        proc = cxlens("load", str(files.tables()[kind]), "--kind", kind, "--workspace", str(root))
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return root
