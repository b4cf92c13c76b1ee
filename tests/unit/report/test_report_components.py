"""Report components: the Jinja macros render component data as safe, self-contained HTML."""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest

from cxlens.report import environment
from cxlens.report.charts import interval_geometry, sparkline_geometry
from cxlens.report.components import Card, Cards, Section, Sparkline, interval_chart, table


def render(macro: str, *args) -> str:
    """Call one macro of templates/components.html the way the report page does."""
    return getattr(environment().get_template("components.html").module, macro)(*args)


def rows_of(html: str) -> list[str]:
    return re.findall(r"<tr[^>]*>.*?</tr>", html.split("<tbody>", 1)[1], flags=re.S)


def test_table_macro_marks_weak_rows_and_only_those():
    frame = pd.DataFrame({"segment": ["value", "family"], "n": [120, 12], "nps": [21.5, -3.25], "low_n": [False, True]})
    html = str(render("table", table(frame, ["segment", "n", "nps"], weak_column="low_n")))
    strong, weak = rows_of(html)
    assert 'class="weak"' in weak and "weak" not in strong
    assert "<th>low_n</th>" not in html  # the flag marks the row, it is not a column


def test_table_macro_escapes_markup_in_cells_and_headers():
    frame = pd.DataFrame({"<b>comment</b>": ["<script>alert(1)</script>"]})
    html = str(render("table", table(frame, ["<b>comment</b>"])))
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>" not in html


def test_arabic_text_cells_are_marked_right_to_left_and_latin_cells_are_not():
    frame = pd.DataFrame({"theme": ["الفاتورة مرتفعة", "billing"]})
    arabic, latin = rows_of(str(render("table", table(frame, ["theme"]))))
    assert 'dir="rtl"' in arabic and "الفاتورة مرتفعة" in arabic
    assert 'dir="rtl"' not in latin


def test_table_macro_formats_figures_and_leaves_missing_ones_empty():
    frame = pd.DataFrame({"touchpoint": ["shop", "call"], "n": [1234, 5], "csat": [3.714, 4.0], "share": [45.67, None],
                          "p_value": [0.0004, 0.0421], "status": ["meets", "below target"]})
    html = str(render("table", table(frame, ["touchpoint", "n", "csat", "share", "p_value", "status"])))
    first, second = rows_of(html)
    for cell in ('<td class="num">1,234</td>', '<td class="num">3.71</td>', '<td class="num">45.7</td>',
                 '<td class="num">&lt; 0.001</td>', '<td class="status-meets">meets</td>'):
        assert cell in first, cell
    assert '<td class="num"></td>' in second and '<td class="num">0.042</td>' in second
    assert '<td class="status-below_target">below target</td>' in second
    assert "nan" not in html.lower() and "&lt;NA&gt;" not in html


def test_interval_chart_places_each_estimate_between_its_bounds():
    chart = interval_chart(["value", "family", "business"], [12.0, -40.0, 95.0], [2.0, -70.0, 80.0], [22.0, -10.0, 120.0],
                           [False, True, False], lo=-100, hi=100)
    geometry = interval_geometry(chart)
    for row in geometry.rows:
        assert row.x_low < row.x < row.x_high
    assert geometry.rows[2].x_high == geometry.width - 20  # a bound past the scale is clipped to its edge
    svg = str(render("interval_chart", chart))
    circles = re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)" r="4.5" class="(\w+)"', svg)
    bars = re.findall(r'<line x1="([\d.]+)" y1="([\d.]+)" x2="([\d.]+)" y2="[\d.]+" class="bar (\w+)"', svg)
    assert len(circles) == len(bars) == 3
    for (cx, cy, cls), (x1, y1, x2, bar_cls) in zip(circles, bars):
        assert float(x1) <= float(cx) <= float(x2) and cy == y1 and cls == bar_cls
    assert [c[2] for c in circles] == ["pt", "weak", "pt"]  # too few answers: drawn hollow
    assert "family: -40.0 [-70.0, -10.0] — too few answers" in svg


def test_interval_chart_draws_no_bar_for_a_missing_bound_and_no_point_for_a_missing_estimate():
    chart = interval_chart(["a", "b"], [1.0, math.nan], [math.nan, 0.5], [2.0, 1.5], lo=0, hi=5)
    a, b = interval_geometry(chart).rows
    assert a.x_low is None and a.x is not None and b.x is None and b.x_low is not None
    svg = str(render("interval_chart", chart))
    assert svg.count("<circle") == 1 and svg.count('class="bar') == 1


def test_sparkline_skips_gaps_and_needs_two_points():
    geometry = sparkline_geometry([3.0, None, math.nan, 4.0, 3.5])
    assert len(geometry.points) == 3 and geometry.points[-1][0] == pytest.approx(geometry.width - 2)
    assert sparkline_geometry([3.0, None]) is None
    assert str(render("sparkline", Sparkline((3.0, None)))) == ""
    assert str(render("sparkline", Sparkline((3.0, 4.0)))).startswith('<svg class="spark"')


def test_cards_and_sections_render_titles_figures_and_notes():
    section = Section("overview", "Data & more", (Cards((Card(12345, "responses"),)),), intro="Read me", note="Careful")
    html = str(render("section", section))
    assert '<section id="overview">' in html and "Data &amp; more" in html
    assert "<b>12,345</b><span>responses</span>" in html
    assert '<p class="intro">Read me</p>' in html and '<p class="note">Careful</p>' in html
