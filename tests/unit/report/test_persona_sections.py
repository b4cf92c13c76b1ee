"""The report's personas section: absent before `cxlens personas fit`, one card per shown persona after it."""

from __future__ import annotations

from cxlens.people import customer_view_frame
from cxlens.personas import fit_summary, save
from cxlens.report.components import Heading, Paragraph
from cxlens.report.persona_sections import persona_section


def test_persona_cards_appear_only_after_a_fit_and_hide_small_personas(demo_store_copy):
    store, _, _ = demo_store_copy()
    try:
        assert persona_section(store) is None
        frame = customer_view_frame(store)
        summary, rows = fit_summary(frame, k=3, seeds=0, resamples=0)
        save(store, rows, summary)
        section = persona_section(store, min_group=5)
        headings = [b.text for b in section.blocks if isinstance(b, Heading)]
        assert headings == [f"{p['persona_id']} · {p['name']}" for p in summary["personas"]]
        assert [b.text for b in section.blocks if isinstance(b, Paragraph)] == [p["description"] for p in summary["personas"]]
        smallest = min(p["customers"] for p in summary["personas"])
        fewer = persona_section(store, min_group=smallest + 1)
        assert len([b for b in fewer.blocks if isinstance(b, Heading)]) == 2
        assert f"1 persona(s) with fewer than {smallest + 1} customers are not shown" in fewer.intro
    finally:
        store.close()
