"""`cxlens` command line: one command per user task, each a thin call into the library.

Each `*_cmds` module registers its commands on the shared Typer `app` (or a sub-app of it), and is imported only
when one of its commands runs: `cxlens.cli._registry` names every command, its module and its help line, so
`import cxlens.cli` and `cxlens --help` import no command module and none of the library (cxlens.cli._lazy).
"""

from cxlens.cli._app import app

__all__ = ["app"]
