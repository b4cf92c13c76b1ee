"""The journey map as a picture: stages as columns in journey order, touchpoints as cards, health as colour.

Each card shows the touchpoint's name, channel and owner, a star when journey.yaml flags it a moment of
truth, its measured CSAT, NPS and CES with 95% intervals and targets, and the expectation gap; its colour is
its health (`cxlens.report.journey_health`), explained by the legend. Cards within a stage follow the order in
which customers reach them (median step of first reach in the observed events), so the columns read as the
workflow; without events, by id.

Plain SVG (no script, no external resource): the same string goes into a file, the HTML report and a PNG.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cxlens.errors import UsageError
from cxlens.query import Scope
from cxlens.report.journey_health import (ABOVE_SIG, BELOW, BELOW_SIG, HEALTH_STATES, MEETS, NO_DATA, NO_TARGET,
                                          touchpoint_health)

# health -> (fill, border); colour-blind-safe-ish pairs, each readable with dark text
COLOURS = {
    BELOW_SIG: ("#fbd5d5", "#c53030"),
    BELOW: ("#fdefc3", "#b7791f"),
    MEETS: ("#dff3e4", "#48a164"),
    ABOVE_SIG: ("#a8e0b8", "#22753a"),
    NO_TARGET: ("#e3ecf7", "#5a7ba6"),
    NO_DATA: ("#f1f1f1", "#9a9a9a"),
}
FORMATS = (".svg", ".html", ".png")
_FIGURE_LINES = (("csat", "CSAT", 2), ("nps", "NPS", 0), ("ces", "CES", 2))  # (column, label, decimals)


@dataclass(frozen=True)
class Layout:
    """Sizes in px; the defaults fit 8 stages in about 1500 px, readable on a 1440-1920 px wide screen."""

    card_w: int = 176
    gap: int = 12
    margin: int = 16
    line: int = 14
    font: float = 11.0
    header_h: int = 40
    legend_h: int = 62

    def chars(self, bold: bool = False) -> int:
        """About how many characters fit on a card line (sans-serif averages ~0.56 em, bold ~0.62 em)."""
        return int((self.card_w - 16) / (self.font * (0.62 if bold else 0.56)))


def journey_map_svg(store, scope: Scope = Scope(), *, min_n: int = 30, title: str = "Journey map",
                    health: pd.DataFrame | None = None) -> str:
    """The map of `store`'s journey.yaml with each touchpoint's measured health, as an SVG string
    (`health`: `touchpoint_health`'s frame when the caller has it already)."""
    health = touchpoint_health(store, scope, min_n=min_n) if health is None else health
    return draw_map(health, _workflow_order(store, scope), title=title, min_n=min_n)


def write_journey_map(store, path: str | Path, scope: Scope = Scope(), *, min_n: int = 30,
                      title: str = "Journey map", health: pd.DataFrame | None = None) -> Path:
    """Write the map to `path`: .svg (the picture), .html (a self-contained page) or .png (needs cairosvg)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise UsageError("out", str(path), list(FORMATS), message=f"{path.name}: write the map as .svg, .html or .png")
    if suffix == ".png":
        try:
            import cairosvg
        except ImportError as exc:
            raise UsageError("out", str(path), [".svg", ".html"],
                             message="a .png map needs cairosvg (`pip install cairosvg`, which uses the system's "
                                     "libcairo); write .svg or .html instead") from exc
    svg = journey_map_svg(store, scope, min_n=min_n, title=title, health=health)
    if suffix == ".svg":
        path.write_text(svg, encoding="utf-8")
    elif suffix == ".html":
        path.write_text(map_page(svg, title), encoding="utf-8")
    else:
        cairosvg.svg2png(bytestring=svg.encode("utf-8"), write_to=str(path), scale=1.5)
    return path


def map_page(svg: str, title: str) -> str:
    """A self-contained HTML page showing `svg` at the width of the window (scrolling sideways below 1200 px)."""
    return (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            "<style>body{margin:0;padding:12px;background:#f7f7f9;font-family:system-ui,sans-serif}"
            ".journey-map{overflow-x:auto}.journey-map svg{width:100%;min-width:1200px;height:auto}</style></head>"
            f"<body><div class=\"journey-map\">{svg}</div></body></html>")


def draw_map(health: pd.DataFrame, order: dict[str, float] | None = None, *, title: str = "Journey map",
             min_n: int = 30, layout: Layout = Layout()) -> str:
    """The SVG of the map from `touchpoint_health`'s frame; `order` (touchpoint -> position) sorts cards within a stage."""
    order = order or {}
    frame = health.assign(_pos=health["touchpoint"].map(lambda t: order.get(t, math.inf)))
    stages = (frame.groupby("stage", sort=False)["stage_order"].min().sort_values(kind="stable").index.tolist())
    columns = [frame[frame["stage"] == s].sort_values(["_pos", "touchpoint"], kind="stable") for s in stages]
    cards = [[_card_lines(r, layout) for r in col.to_dict("records")] for col in columns]
    heights = [[layout.line * (len(lines) + 1) for lines, _ in col] for col in cards]
    top = layout.margin + 30 + layout.legend_h + layout.header_h
    tallest = max((sum(h) + layout.gap * len(h) for h in heights), default=0)
    width = layout.margin * 2 + len(stages) * (layout.card_w + layout.gap) - layout.gap
    height = top + tallest + layout.margin
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
           f'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="{layout.font}" '
           f'role="img" aria-label="{_esc(title)}">',
           f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
           f'<text x="{layout.margin}" y="{layout.margin + 16}" font-size="17" font-weight="600" fill="#1a202c">{_esc(title)}</text>']
    out += _legend(layout, layout.margin + 30, width, min_n)
    for i, (stage, col, col_cards, col_heights) in enumerate(zip(stages, columns, cards, heights)):
        x = layout.margin + i * (layout.card_w + layout.gap)
        y0 = layout.margin + 30 + layout.legend_h
        out.append(f'<rect x="{x}" y="{y0}" width="{layout.card_w}" height="{height - y0 - layout.margin / 2}" rx="6" fill="#f4f5f8"/>')
        out.append(f'<text x="{x + layout.card_w / 2}" y="{y0 + 17}" text-anchor="middle" font-size="13" font-weight="600" '
                   f'fill="#2d3748">{_esc(_fit(str(stage).replace("_", " ").capitalize(), layout.chars(True) - 4))}</text>')
        out.append(f'<text x="{x + layout.card_w / 2}" y="{y0 + 31}" text-anchor="middle" fill="#718096">'
                   f'{len(col)} touchpoint{"s" if len(col) != 1 else ""}</text>')
        y = top
        for (lines, row), h in zip(col_cards, col_heights):
            out += _card(x, y, h, lines, row, layout)
            y += h + layout.gap
    out.append("</svg>")
    return "\n".join(out)


def _legend(layout: Layout, y: float, width: float, min_n: int) -> list[str]:
    meaning = {BELOW_SIG: "whole 95% interval below a target", BELOW: "an estimate below target, within noise",
               MEETS: "estimates reach every target", ABOVE_SIG: "whole interval above every target",
               NO_TARGET: "measured; journey.yaml sets no target", NO_DATA: f"fewer than {min_n} answers"}
    out, x, row_y = [], layout.margin, y + 8
    step = (width - 2 * layout.margin) / 3
    for k, state in enumerate(HEALTH_STATES):
        fill, stroke = COLOURS[state]
        cx, cy = x + (k % 3) * step, row_y + (k // 3) * 18
        dash = ' stroke-dasharray="3 2"' if state == NO_DATA else ""
        out.append(f'<rect x="{cx}" y="{cy - 10}" width="22" height="13" rx="3" fill="{fill}" stroke="{stroke}"{dash}/>')
        out.append(f'<text x="{cx + 28}" y="{cy}" fill="#2d3748"><tspan font-weight="600">{_esc(state)}</tspan>: '
                   f'{_esc(meaning[state])}</text>')
    note_y = row_y + 2 * 18 + 4
    out.append(f'<text x="{x}" y="{note_y}" fill="#2d3748"><tspan fill="#b7791f" font-size="13">★</tspan> '
               'moment of truth (journey.yaml)</text>')
    out.append(f'<text x="{x + step}" y="{note_y}" fill="#2d3748"><tspan fill="#c53030" font-weight="600">gap</tspan> '
               'in red: perceived CSAT minus expectation, interval below 0</text>')
    out.append(f'<text x="{x + 2 * step}" y="{note_y}" fill="#2d3748">figures: estimate [95% interval]; '
               'target from journey.yaml</text>')
    return out


def _card_lines(row: dict, layout: Layout) -> tuple[list[tuple[str, str]], dict]:
    """The card's text lines as (style, text) pairs, and the row."""
    room = layout.chars(True) - (2 if row.get("moment_of_truth") else 0)  # the star sits at the end of line 1
    name_lines = _wrap(str(row.get("name") or row["touchpoint"]), room, 2)
    lines = [("name", text) for text in name_lines]
    who = " · ".join(str(v).replace("_", " ") for v in (row.get("channel"), row.get("owner")) if _present(v) and str(v))
    lines += [("meta", text) for text in _wrap(who or row["touchpoint"], layout.chars(), 2)]
    for metric, label, digits in _FIGURE_LINES:
        if _present(row.get(metric)) and _present(row.get(f"n_{metric}")):
            text = f"{label} {_num(row[metric], digits)} [{_num(row.get(f'{metric}_ci_low'), digits)}, " \
                   f"{_num(row.get(f'{metric}_ci_high'), digits)}]"
            lines.append(("figure", _fit(text, layout.chars())))
    if _present(row.get("expectation_gap")):
        style = "gap_bad" if row.get("gap_shortfall") else "figure"
        lines.append((style, _fit(f"gap {_num(row['expectation_gap'], 2, signed=True)} "
                                  f"[{_num(row.get('expectation_gap_ci_low'), 2, signed=True)}, "
                                  f"{_num(row.get('expectation_gap_ci_high'), 2, signed=True)}]", layout.chars())))
    targets = [f"{label} {float(row['targets'][m]):g}" for m, label, _ in _FIGURE_LINES if m in (row.get("targets") or {})]
    if targets:
        lines.append(("muted", _fit("target " + " · ".join(targets), layout.chars())))
    if row.get("too_few"):
        lines.append(("muted", "too few to publish"))
    elif row["health"] == NO_DATA:
        lines.append(("muted", "no data: too few answers"))
    return lines, row


def _card(x: float, y: float, h: float, lines: list[tuple[str, str]], row: dict, layout: Layout) -> list[str]:
    fill, stroke = COLOURS.get(row["health"], COLOURS[NO_DATA])
    dash = ' stroke-dasharray="4 3"' if row["health"] == NO_DATA else ""
    tip = f"{row.get('name') or row['touchpoint']} ({row['touchpoint']}): {row['health']}"
    if row.get("health_detail"):
        tip += f" — {row['health_detail']}"
    out = [f'<g class="card" data-touchpoint="{_esc(row["touchpoint"])}" data-health="{_esc(row["health"])}">'
           f'<title>{_esc(tip)}</title>',
           f'<rect x="{x + 0.5}" y="{y}" width="{layout.card_w - 1}" height="{h}" rx="5" fill="{fill}" '
           f'stroke="{stroke}" stroke-width="1.5"{dash}/>']
    if row.get("moment_of_truth"):
        out.append(f'<text x="{x + layout.card_w - 8}" y="{y + 15}" text-anchor="end" font-size="14" fill="#b7791f">'
                   '★<title>moment of truth (journey.yaml)</title></text>')
    styles = {"name": 'font-weight="600" fill="#1a202c"', "meta": 'fill="#4a5568"', "figure": 'fill="#1a202c"',
              "gap_bad": 'fill="#c53030" font-weight="600"', "muted": 'fill="#718096" font-style="italic"'}
    for k, (style, text) in enumerate(lines):
        out.append(f'<text x="{x + 8}" y="{y + layout.line * (k + 1) + 1}" {styles[style]}>{_esc(text)}</text>')
    out.append("</g>")
    return out


def _workflow_order(store, scope: Scope) -> dict[str, float]:
    """touchpoint -> median step at which customers first reach it, from the observed events ({} without events)."""
    from cxlens.journey import steps

    if store.count("events") == 0:
        return {}
    s = steps(store, scope.replace(by=(), period=None))
    first = s.group_by(["customer_id", "node"]).aggregate(step=s.step.min())
    per = first.group_by("node").aggregate(pos=first.step.median()).execute()
    return dict(zip(per["node"], per["pos"].astype(float)))


def _wrap(text: str, width: int, max_lines: int) -> list[str]:
    """Words of `text` on at most `max_lines` lines of `width` characters, the last cut with an ellipsis."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    if len(lines) > max_lines:
        lines = lines[:max_lines - 1] + [" ".join(lines[max_lines - 1:])]
    return [_fit(line, width) for line in lines] or [""]


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[:max(width - 1, 1)].rstrip() + "…"


def _num(value, digits: int, signed: bool = False) -> str:
    if not _present(value):
        return "–"
    text = f"{float(value):+.{digits}f}" if signed else f"{float(value):.{digits}f}"
    return text.replace("-", "−")


def _present(value) -> bool:
    return value is not None and value is not pd.NA and not (isinstance(value, float) and math.isnan(value))


def _esc(text) -> str:
    return html.escape(str(text), quote=True)
