"""The demo application: generate a company, load it through the user's `load` path, measure, report.

The generator (`cxlens.demo`) is only a data source: it writes the files a real operator would export
and `truth.json`. This module is an application like the CLI: it creates a workspace, loads every file
(the wide per-aspect survey through its mapping), analyses the texts, fits personas and writes the report, the way a
user would. It is the product's smoke test as much as a showcase: nothing here takes a shortcut a user could not.
The survey export carries no CRM id, so its respondents reach their customers through identity resolution, with
the operator's phone region set in cxlens.toml as a user would set it.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from cxlens.ingest import LoadReport
from cxlens.workspace import CONFIG_FILE, JOURNEY_FILE, Workspace

Step = Callable[[str], None]

# The demo operator's initiatives (an example initiatives.yaml, see docs/value.md "Roadmap").
_DEMO_INITIATIVES = Path(__file__).parent / "demo" / "resources" / "initiatives.yaml"
# What a user adds to cxlens.toml for this operator: its customers' phones are GB numbers written without +44.
_DEMO_IDENTITY = """
[identity]
# Local phone numbers (07700 900123) are read as numbers of this region (ISO 3166 code).
phone_region = "GB"
"""


@dataclass
class DemoRun:
    """What the demo produced, for the CLI summary and for tests."""

    workspace: Path
    report: Path
    truth: Path
    loads: dict[str, LoadReport]
    seconds: dict[str, float] = field(default_factory=dict)
    headline: dict = field(default_factory=dict)


DEMO_PERSONAS = {"sample": 5000}  # the demo's persona fit (Workspace.fit_personas options)


def run_demo(directory: str | Path, customers: int = 20_000, seed: int = 7, step: Step | None = None) -> DemoRun:
    """Create a workspace in `directory` holding a generated company, loaded, measured and reported.

    Call it (or `cxlens demo`) to see cxlens end to end on realistic data whose answers are known;
    `step` receives a short message before each stage (the CLI shows it as a spinner).
    """
    from cxlens.demo import generate  # numpy/scipy-heavy: imported when the demo runs, not at CLI start-up
    from cxlens.report import write_report

    step = step or (lambda _msg: None)
    root = Path(directory)
    data = root / "data"
    if data.exists():
        shutil.rmtree(data)
    for stale in root.glob("cx.duckdb*"):
        stale.unlink()
    ws = Workspace.create(root, force=True)
    config = root / CONFIG_FILE
    config.write_text(config.read_text(encoding="utf-8") + _DEMO_IDENTITY, encoding="utf-8")
    ws = Workspace.open(root)
    seconds: dict[str, float] = {}

    t = time.perf_counter()
    step(f"generating a telecom operator with {customers:,} customers (seed {seed})")
    files = generate(data, customers=customers, seed=seed)
    shutil.copy(files.journey, root / JOURNEY_FILE)
    shutil.copy(_DEMO_INITIATIVES, root / "initiatives.yaml")  # what the operator weighs: `cxlens value roadmap`
    seconds["generate"] = time.perf_counter() - t

    t = time.perf_counter()
    loads = {}
    for kind, path in files.tables().items():  # customers first: child tables check customer ids
        step(f"loading {kind}")
        loads[kind] = ws.load(path, kind)
    step("loading the per-aspect survey (a wide export, through its mapping)")
    loads["responses (aspects)"] = ws.load(files.aspect_survey, "responses", files.aspect_mapping)
    seconds["load"] = time.perf_counter() - t

    t = time.perf_counter()
    # Every text: ~24,000 comments, ~15,600 ticket descriptions, ~2,100 notes at 20k customers,
    # about 23 s on 2 cores (model loading included), so the whole demo stays well under a minute.
    step("analysing comments, ticket descriptions and notes (language, sentiment, themes)")
    text_report = ws.analyze_texts()
    seconds["text_analysis"] = time.perf_counter() - t

    t = time.perf_counter()
    # Personas: k = 3..8 by BIC on 5,000 customers, the chosen k fitted on everyone (3 EM starts), no stability
    # refits (`cxlens personas fit` adds them). Architecture D58.
    step("finding personas (latent classes of the customer view, k by BIC)")
    ws.fit_personas(seeds=0, resamples=0, **DEMO_PERSONAS)
    seconds["personas"] = time.perf_counter() - t

    t = time.perf_counter()
    step("measuring and writing report.html")
    with ws.store() as store:  # no Workspace method for the headline or the report yet: the library, as the CLI does
        headline = _headline(store, ws.min_n)
        report = write_report(store, root / "report.html", title="cxlens demo: mobile operator", min_n=ws.min_n,
                              min_group=ws.min_group)
    seconds["measure_and_report"] = time.perf_counter() - t
    headline["comments_analysed"] = text_report.analysed
    headline["identity"] = ws.identities(files.truth)["sources"]  # the survey export matched to customers
    return DemoRun(root, report, files.truth, loads, seconds, headline)


def _headline(store, min_n: int) -> dict:
    """Overall NPS and the touchpoints customers rate lowest (CSAT): what the summary prints."""
    from cxlens.metrics import csat_by, nps_by
    from cxlens.query import Scope

    overall = nps_by(store, min_n=min_n).iloc[0].to_dict()
    by_tp = csat_by(store, Scope(by=("touchpoint",)), min_n=min_n)
    reliable = by_tp[~by_tp["low_n"]].sort_values("csat")
    return {"nps": overall, "touchpoints": len(by_tp), "weakest": reliable.head(5).to_dict("records")}
