"""cxlens: open customer-experience analytics.

The public surface is small: open a :class:`~cxlens.workspace.Workspace` (the application object:
load files, analyse texts, open or migrate the store) and ask the analyses in :mod:`cxlens.metrics`
(and later packages) for tables. The CLI, report and web layers only call this library.
"""

__version__ = "0.1.0"
