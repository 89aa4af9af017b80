"""Self-contained charts (inline SVG in one HTML file; nothing fetched to view them)."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

WIDTH, HEIGHT, PAD = 720, 360, 60


def _scale(lo: float, hi: float, a: float, b: float):
    span = (hi - lo) or 1.0
    return lambda v: a + (v - lo) / span * (b - a)


def line_chart_svg(x: Sequence[float], series: dict[str, Sequence[float | None]],
                   x_label: str, y_label: str) -> str:
    """Lines over x; a None value breaks the line (an infeasible point) and is marked."""
    ys = [v for s in series.values() for v in s if v is not None and math.isfinite(v)]
    if not x or not ys:
        return "<svg xmlns='http://www.w3.org/2000/svg' width='720' height='60'><text x='10' " \
               "y='30'>No feasible point to plot.</text></svg>"
    sx = _scale(min(x), max(x), PAD, WIDTH - 20)
    sy = _scale(min(ys), max(ys), HEIGHT - PAD, 20)
    colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{WIDTH}' height='{HEIGHT}' "
             "font-family='sans-serif' font-size='12'>",
             f"<line x1='{PAD}' y1='{HEIGHT - PAD}' x2='{WIDTH - 20}' y2='{HEIGHT - PAD}' "
             "stroke='#333'/>",
             f"<line x1='{PAD}' y1='20' x2='{PAD}' y2='{HEIGHT - PAD}' stroke='#333'/>",
             f"<text x='{WIDTH / 2}' y='{HEIGHT - 15}' text-anchor='middle'>"
             f"{html.escape(x_label)}</text>",
             f"<text x='15' y='{HEIGHT / 2}' transform='rotate(-90 15 {HEIGHT / 2})' "
             f"text-anchor='middle'>{html.escape(y_label)}</text>"]
    for v in (min(ys), max(ys)):
        parts.append(f"<text x='{PAD - 5}' y='{sy(v) + 4:.1f}' text-anchor='end'>{v:,.0f}</text>")
    for v in (min(x), max(x)):
        parts.append(f"<text x='{sx(v):.1f}' y='{HEIGHT - PAD + 16}' text-anchor='middle'>"
                     f"{v:,.4g}</text>")
    for k, (name, values) in enumerate(series.items()):
        colour = colours[k % len(colours)]
        path, pen = [], "M"
        for xv, yv in zip(x, values, strict=True):
            if yv is None or not math.isfinite(yv):
                parts.append(f"<text x='{sx(xv):.1f}' y='{HEIGHT - PAD - 6}' fill='#d62728' "
                             "text-anchor='middle'>×</text>")
                pen = "M"
                continue
            path.append(f"{pen}{sx(xv):.1f},{sy(yv):.1f}")
            pen = "L"
            parts.append(f"<circle cx='{sx(xv):.1f}' cy='{sy(yv):.1f}' r='3' fill='{colour}'/>")
        parts.append(f"<path d='{' '.join(path)}' fill='none' stroke='{colour}' "
                     "stroke-width='2'/>")
        parts.append(f"<text x='{WIDTH - 25}' y='{30 + 15 * k}' text-anchor='end' "
                     f"fill='{colour}'>{html.escape(name)}</text>")
    parts.append("</svg>")
    return "".join(parts)


def html_page(title: str, body: str) -> str:
    return ("<!doctype html><html><head><meta charset='utf-8'><title>"
            f"{html.escape(title)}</title></head><body style='font-family:sans-serif'>"
            f"<h1>{html.escape(title)}</h1>{body}</body></html>\n")


def sweep_chart_html(result) -> str:
    """Objective against the swept input (× marks points with no feasible plan)."""
    table = result.table()
    first = result.params[0].path
    if len(result.params) == 1:
        series = {"objective": [None if v != v else v for v in table["objective"]]}
        x = list(table[first])
    else:
        second = result.params[1].path
        x = sorted(set(table[first]))
        series = {}
        for value, group in table.groupby(second):
            col = dict(zip(group[first], group["objective"], strict=True))
            series[f"{second} = {value:,.4g}"] = [
                None if col.get(v) is None or col.get(v) != col.get(v) else col[v] for v in x]
    svg = line_chart_svg(x, series, first, "objective")
    return html_page(f"Sweep of {first}", svg)
