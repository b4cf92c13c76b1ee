"""The journey Sankey as a picture: a static SVG, or a self-contained interactive HTML page.

No network and no library: the SVG is written here (columns = steps, node heights and link widths in
proportion to journeys), tooltips are SVG <title>s, and the HTML adds a few lines of inline JavaScript that
highlight a node's links on hover. PNG is not offered: rasterising needs a system graphics library
(cairo); open the SVG in a browser and save it, or convert it with any SVG tool.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cxlens.journey.sankey import Sankey

WIDTH, NODE_W, GAP, MARGIN, LABEL_W = 1200, 14, 10, 24, 170
COLUMN_H = 620  # pixels for all journeys of one step (the busiest column, plus gaps)
PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"]
OTHER_COLOUR = "#c7c7c7"

_SCRIPT = """
document.querySelectorAll('.node').forEach(function (n) {
  n.addEventListener('mouseenter', function () {
    var id = n.getAttribute('data-id');
    document.querySelectorAll('.link').forEach(function (l) {
      var on = l.getAttribute('data-s') === id || l.getAttribute('data-t') === id;
      l.classList.toggle('dim', !on); l.classList.toggle('hot', on);
    });
  });
  n.addEventListener('mouseleave', function () {
    document.querySelectorAll('.link').forEach(function (l) { l.classList.remove('dim', 'hot'); });
  });
});
"""
_STYLE = (".link{fill:none;stroke-opacity:.35}.link:hover,.link.hot{stroke-opacity:.7}.link.dim{stroke-opacity:.06}"
          "text{font:12px system-ui,sans-serif;fill:#222}.node rect{stroke:#333;stroke-width:.5}.node{cursor:default}")


def _layout(k: Sankey) -> tuple[dict, list, int]:
    """Node boxes {id: (x, y, h, colour, row)} , link bands [(path d, width, colour, source, target, row)], height."""
    nodes = k.nodes
    if nodes.empty:
        return {}, [], 2 * MARGIN
    steps = sorted(nodes.step.unique())
    per_step = nodes.groupby("step").journeys.sum()
    counts = nodes.groupby("step").size()
    scale = (COLUMN_H - GAP * (counts.max() - 1)) / max(int(per_step.max()), 1)
    span = WIDTH - 2 * MARGIN - LABEL_W - NODE_W
    colours: dict[str, str] = {}
    boxes = {}
    for step in steps:
        x = MARGIN + (span * (step - steps[0]) / max(len(steps) - 1, 1))
        y = MARGIN
        for row in nodes[nodes.step == step].itertuples():
            if row.node not in colours:
                colours[row.node] = OTHER_COLOUR if row.node == "other" else PALETTE[len(colours) % len(PALETTE)]
            h = max(row.journeys * scale, 1.0)
            boxes[row.id] = (x, y, h, colours[row.node], row)
            y += h + GAP
    height = int(max(b[1] + b[2] for b in boxes.values()) + MARGIN)
    out_y = {i: b[1] for i, b in boxes.items()}
    in_y = dict(out_y)
    bands = []
    for link in k.links.itertuples():
        if link.source not in boxes or link.target not in boxes:
            continue
        w = max(link.journeys * scale, 0.5)
        x0, x1 = boxes[link.source][0] + NODE_W, boxes[link.target][0]
        y0, y1 = out_y[link.source] + w / 2, in_y[link.target] + w / 2
        out_y[link.source] += w
        in_y[link.target] += w
        xm = (x0 + x1) / 2
        d = f"M{x0:.1f},{y0:.1f}C{xm:.1f},{y0:.1f} {xm:.1f},{y1:.1f} {x1:.1f},{y1:.1f}"
        bands.append((d, w, boxes[link.source][3], link.source, link.target, link))
    return boxes, bands, height


def sankey_svg(k: Sankey, *, standalone: bool = True) -> str:
    """The Sankey as one <svg> element: hover a node or link for its journeys and share.

    `standalone`: with the SVG namespace, as a .svg file needs it (inline in HTML it is implied)."""
    boxes, bands, height = _layout(k)
    ids = {node_id: i for i, node_id in enumerate(boxes)}
    namespace = ' xmlns="http://www.w3.org/2000/svg"' if standalone else ""
    parts = [f'<svg{namespace} viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
             f'role="img" aria-label="Journey Sankey">', f"<style>{_STYLE}</style>"]
    for d, w, colour, source, target, link in bands:
        parts.append(f'<path class="link" d="{d}" stroke="{colour}" stroke-width="{w:.1f}" data-s="{ids[source]}" '
                     f'data-t="{ids[target]}"><title>{escape(source)} → {escape(target)}: {link.journeys:,} {k.count} '
                     f'({link.share:.1%})</title></path>')
    for node_id, (x, y, h, colour, row) in boxes.items():
        label = f"{row.node} {row.share:.0%}" if row.share >= 0.005 else row.node
        tip = f"{node_id}: {row.journeys:,} {k.count} ({row.share:.1%}); path ended here: {'too few to publish' if row.ended is None else f'{row.ended:,}'}"
        parts.append(f'<g class="node" data-id="{ids[node_id]}"><rect x="{x:.1f}" y="{y:.1f}" width="{NODE_W}" '
                     f'height="{h:.1f}" fill="{colour}"><title>{escape(tip)}</title></rect>'
                     + (f'<text x="{x + NODE_W + 4:.1f}" y="{y + h / 2 + 4:.1f}">{escape(label)}</text>' if h >= 9 else "")
                     + "</g>")
    parts.append("</svg>")
    return "".join(parts)


def sankey_html(k: Sankey, title: str = "Customer journeys") -> str:
    """A self-contained HTML page (no network): the Sankey, a note on how to read it, hover highlighting."""
    steps = int(k.nodes.step.max()) if len(k.nodes) else 0
    note = (f"{k.total:,} {k.count} in scope; the first {steps} steps of each journey. Column k shows the k-th step; "
            f"band widths are {k.count}. Nodes under the minimum share are merged into \"other\" per step. "
            "Hover a node to highlight its flows.")
    return ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(title)}</title><style>body{{font:14px system-ui,sans-serif;margin:1.5em}}</style></head>"
            f"<body><h1>{escape(title)}</h1><p>{escape(note)}</p>{sankey_svg(k, standalone=False)}<script>{_SCRIPT}</script></body></html>")


__all__ = ["sankey_html", "sankey_svg"]
