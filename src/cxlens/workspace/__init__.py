"""The workspace: the application object every app (CLI, report, web) calls to act on a workspace folder.

`Workspace` (core.py) with the methods of its other concerns mixed in (keys.py, text.py, customers.py), the
workspace's files and `init` (files.py); importing this package stays cheap (no pydantic, Ibis, pandas or text
models). The names below are the public API: import them from `cxlens.workspace`.
"""

from cxlens.workspace.core import Workspace
from cxlens.workspace.files import CONFIG_FILE, JOURNEY_FILE, THEMES_FILE, init
from cxlens.workspace.text import TextImpact

__all__ = ["CONFIG_FILE", "JOURNEY_FILE", "THEMES_FILE", "TextImpact", "Workspace", "init"]
