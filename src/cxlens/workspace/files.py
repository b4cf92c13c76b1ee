"""The workspace's files: their names, the templates `init` writes, and the store URL read relative to the folder.

Apart from `Workspace` because writing a new workspace and reading its paths need no store, no configuration
models and no workspace object (`init` runs before there is one); the class, its mixins and the apps import these.
"""

from __future__ import annotations

from pathlib import Path

from cxlens.errors import ConfigError

CONFIG_FILE = "cxlens.toml"
JOURNEY_FILE = "journey.yaml"
THEMES_FILE = "themes.yaml"

_CONFIG_TEMPLATE = """\
# cxlens workspace configuration.
[store]
# Where the canonical tables live. A relative duckdb path is relative to this folder.
#   duckdb:///cx.duckdb        embedded DuckDB file (default)
#   spark://local[*]           Apache Spark (local mode or a master URL)
#   postgres://user@host/db    PostgreSQL
url = "{url}"

[metrics]
# Cells with fewer responses than this are flagged as imprecise, never shown as if exact.
min_n = 30

# External tables: read in place instead of loading a copy (Parquet folders or files).
# [tables.events]
# path = "/lake/cx/events/"
# format = "parquet"
"""

_JOURNEY_TEMPLATE = """\
# The journey map: the shared vocabulary of stages and touchpoints.
# Every touchpoint_id used in events, responses and tickets must be listed here.
stages: [awareness, purchase, onboarding, usage, billing, support, renewal, advocacy]

touchpoints:
  - id: store_visit                 # short, stable identifier used in your data
    name: Store visit               # readable name
    stage: purchase                 # one of the stages above
    channel: store                  # app, web, store, call_center, email, sms, ...
    description: Customer visits a shop to choose a plan
    expectation: Quick, honest advice without pressure   # what the customer expects, in their words
    owner: Retail operations        # who is accountable
    moment_of_truth: false          # does this moment decide the relationship?
    targets: {nps: 30, csat: 4.2}   # optional, per metric
    self_rating: {csat: 4.5}        # optional: what the owner believes is delivered
"""


def init(root: str | Path, store_url: str | None = None, force: bool = False) -> Path:
    """Create a workspace: `cxlens.toml` and a commented `journey.yaml` template; returns the folder.

    `store_url` defaults to a DuckDB file `cx.duckdb` in the folder. The store itself is created (at the current schema) by the first `Workspace.store(migrate=True)`.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    config = root / CONFIG_FILE
    if config.exists() and not force:
        raise ConfigError(f"{config} already exists; pass --force to overwrite it.")
    if store_url is None:
        from cxlens.model.config import DEFAULT_STORE_URL

        store_url = DEFAULT_STORE_URL
    config.write_text(_CONFIG_TEMPLATE.format(url=store_url), encoding="utf-8")
    journey = root / JOURNEY_FILE
    if not journey.exists() or force:
        journey.write_text(_JOURNEY_TEMPLATE, encoding="utf-8")
    return root


def resolve_url(url: str, root: Path) -> str:
    """Make a relative DuckDB file or Spark warehouse path absolute against the workspace folder,
    so a workspace means the same data whatever the current directory."""
    prefix = "duckdb:///"
    if url.startswith(prefix):
        path = url[len(prefix):]
        if path != ":memory:" and not Path(path).is_absolute():
            return prefix + str(root / path)
    if url.startswith("spark://") and "warehouse=" in url:
        head, _, query = url.partition("?")
        params = [p.split("=", 1) for p in query.split("&") if p]
        params = [(k, str(root / v) if k == "warehouse" and not Path(v).is_absolute() else v) for k, v in params]
        return head + "?" + "&".join(f"{k}={v}" for k, v in params)
    return url
