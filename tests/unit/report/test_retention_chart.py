"""The retention chart's geometry: every step of every curve sits where its survival figure maps."""

from __future__ import annotations

import pandas as pd
import pytest

from cxlens.report.retention_chart import COLOURS, HEIGHT, retention_geometry, retention_svg

_TOP, _BOTTOM = 15, 40


def _curves() -> pd.DataFrame:
    rows = []
    for group, monthly in (("promoter", 0.99), ("detractor", 0.95)):
        s = 1.0
        for t in range(3, 15):
            s *= monthly
            rows.append({"nps_group": group, "tenure": t, "survival": s, "ci_low": s - 0.02, "ci_high": min(1.0, s + 0.02)})
    return pd.DataFrame(rows)


def test_steps_map_survival_to_height_and_order_promoters_first():
    curves = _curves()
    g = retention_geometry(curves)
    assert [c.label for c in g.curves] == ["promoter", "detractor"]  # legend order follows the NPS groups
    lo = g.y_range[0]
    assert lo == pytest.approx(0.5)  # floor of the lowest lower bound (0.95**12 - 0.02 = 0.52) to a tenth
    for c in g.curves:
        want = curves[curves.nps_group == c.label]
        # every third point after the start is (tenure, survival): a step ends there
        ends = c.steps[3::3]
        assert len(ends) == len(want)
        for (px, py), s in zip(ends, want["survival"]):
            assert py == pytest.approx(_TOP + (1 - s) / (1 - lo) * (HEIGHT - _TOP - _BOTTOM))
        assert c.last == pytest.approx(want["survival"].iloc[-1]) and c.colour == COLOURS[c.label]
    # steps only go down: retention never rises
    ys = [py for _, py in g.curves[1].steps]
    assert all(b >= a - 1e-9 for a, b in zip(ys, ys[1:]))


def test_svg_names_each_group_and_is_one_element():
    svg = retention_svg(_curves(), standalone=False)
    assert svg.startswith("<svg ") and svg.endswith("</svg>") and svg.count("<polyline") == 2
    assert "promoter" in svg and "detractor" in svg and "xmlns" not in svg
