"""Run a walkthrough of docs/examples/<name>/README.md exactly as a reader would.

Every fenced ```sh block of the README is run by bash (`set -euo pipefail`), in order, in a fresh copy
of the example's folder, with `$DATA` naming the folder of public data sets and the project's
virtual environment first on PATH (so `cxlens` is the installed command). A failing command fails
the test and shows its output; the caller then checks what the walkthrough says the data shows.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.S | re.M)


@dataclass
class Walkthrough:
    folder: Path          # the copy the commands ran in (the workspace, if the README creates it there)
    outputs: list[str]    # stdout + stderr of each sh block, in order

    @property
    def text(self) -> str:
        return "\n".join(self.outputs)


def sh_blocks(name: str) -> list[str]:
    """The README's ```sh blocks, in order."""
    return _BLOCK.findall((EXAMPLES / name / "README.md").read_text(encoding="utf-8"))


def run_walkthrough(name: str, data: Path, tmp_path: Path, timeout: float = 900) -> Walkthrough:
    """Run every sh block of docs/examples/`name`/README.md; returns where and what it printed."""
    folder = tmp_path / name
    shutil.copytree(EXAMPLES / name, folder)
    env = {**os.environ, "DATA": str(data), "COLUMNS": "120", "NO_COLOR": "1",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    outputs = []
    blocks = sh_blocks(name)
    assert blocks, f"docs/examples/{name}/README.md has no ```sh block to run"
    for block in blocks:
        proc = subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=folder, env=env,
                              capture_output=True, text=True, timeout=timeout)
        output = proc.stdout + proc.stderr
        assert proc.returncode == 0, f"docs/examples/{name}: block failed (exit {proc.returncode}):\n{block}\n---\n{output}"
        outputs.append(output)
    return Walkthrough(folder, outputs)
