"""Commands: workspace_cmds."""

from cxlens.cli._app import app  # noqa: F401
