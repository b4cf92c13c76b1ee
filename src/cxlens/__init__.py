"""cxlens: open customer-experience analytics.

The public surface is small: open a :class:`~cxlens.workspace.Workspace`, load files with
:func:`cxlens.ingest.load`, and ask the analyses in :mod:`cxlens.metrics` (and later packages)
for tables. The CLI and web layers only call this library.
"""

__version__ = "0.1.0"
