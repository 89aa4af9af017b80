"""Self-contained charts (inline SVG in one HTML file; nothing fetched to view them)."""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pbo.models.base import EARLIEST_YEAR, LATEST_YEAR

WIDTH, HEIGHT, PAD = 720, 360, 90
PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf"]


def _short(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _wrapped(text: str, width: int = 30, most: int = 2) -> list[str]:
    """A label on at most `most` lines of `width` characters, broken between words (the last
    line cut with … if the name is longer still)."""
    import textwrap

    lines = textwrap.wrap(text, width) or [text]
    if len(lines) > most:
        lines = [*lines[: most - 1], _short(" ".join(lines[most - 1:]), width)]
    return lines


def compact(v: float) -> str:
    """A number as a finance reader writes it on an axis: 2.5m, 250k, 0.35, 2016."""
    if abs(v) >= 1e4:
        from pbo.optimizer.present.tables import money

        return money(v, "")
    return f"{v:,.4g}"


def _scale(lo: float, hi: float, a: float, b: float):
    span = (hi - lo) or 1.0
    return lambda v: a + (v - lo) / span * (b - a)


def line_chart_svg(x: Sequence[float], series: Mapping[str, Sequence[float | None]],
                   x_label: str, y_label: str,
                   y_format: Callable[[float], str] = lambda v: f"{v:,.0f}") -> str:
    """Lines over x; a None value breaks the line (an infeasible point) and is marked."""
    ys = [v for s in series.values() for v in s if v is not None and math.isfinite(v)]
    if not x or not ys:
        return "<svg xmlns='http://www.w3.org/2000/svg' width='720' height='60'><text x='10' " \
               "y='30'>No feasible point to plot.</text></svg>"
    sx = _scale(min(x), max(x), PAD, WIDTH - 20)
    sy = _scale(min(ys), max(ys), HEIGHT - PAD, 20)
    colours = PALETTE
    legend = 18 * len(series)
    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{WIDTH}' "
             f"height='{HEIGHT + legend}' font-family='sans-serif' font-size='12'>",
             f"<line x1='{PAD}' y1='{HEIGHT - PAD}' x2='{WIDTH - 20}' y2='{HEIGHT - PAD}' "
             "stroke='#333'/>",
             f"<line x1='{PAD}' y1='20' x2='{PAD}' y2='{HEIGHT - PAD}' stroke='#333'/>",
             f"<text x='{WIDTH / 2}' y='{HEIGHT - 15}' text-anchor='middle'>"
             f"{html.escape(x_label)}</text>",
             f"<text x='15' y='{HEIGHT / 2}' transform='rotate(-90 15 {HEIGHT / 2})' "
             f"text-anchor='middle'>{html.escape(y_label)}</text>"]
    for v in (min(ys), max(ys)):
        parts.append(f"<text x='{PAD - 5}' y='{sy(v) + 4:.1f}' text-anchor='end'>"
                     f"{html.escape(y_format(v))}</text>")
    whole = all(float(v).is_integer() for v in x)
    ticks = x if whole and len(x) <= 12 else (min(x), max(x))
    for v in ticks:
        label = str(int(v)) if whole and EARLIEST_YEAR <= v <= LATEST_YEAR else compact(v)
        parts.append(f"<text x='{sx(v):.1f}' y='{HEIGHT - PAD + 16}' text-anchor='middle'>"
                     f"{label}</text>")
    if min(ys) < 0 < max(ys):  # the zero line, labelled: who is above or below it
        parts.append(f"<line x1='{PAD}' y1='{sy(0):.1f}' x2='{WIDTH - 20}' y2='{sy(0):.1f}' "
                     "stroke='#999' stroke-dasharray='4 3'/>")
        parts.append(f"<text x='{PAD - 5}' y='{sy(0) + 4:.1f}' text-anchor='end'>"
                     f"{html.escape(y_format(0.0))}</text>")
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
        y = HEIGHT + 18 * k + 4
        parts.append(f"<rect x='{PAD}' y='{y - 9}' width='14' height='4' fill='{colour}'/>")
        parts.append(f"<text x='{PAD + 20}' y='{y}' fill='#222'>{html.escape(name)}</text>")
    parts.append("</svg>")
    return "".join(parts)


def html_page(title: str, body: str) -> str:
    return ("<!doctype html><html><head><meta charset='utf-8'><title>"
            f"{html.escape(title)}</title></head><body style='font-family:sans-serif'>"
            f"<h1>{html.escape(title)}</h1>{body}</body></html>\n")


def _sweep_series(result) -> tuple[list[float], dict[str, list[float | None]], str]:
    """x, the objective series (one per value of a second input), and the x label."""
    table = result.table()
    first = result.params[0].path
    if len(result.params) == 1:
        return (list(table[first]),
                {"objective": [None if v != v else v for v in table["objective"]]}, first)
    second = result.params[1].path
    x = sorted(set(table[first]))
    series = {}
    for value, group in table.groupby(second):
        col = dict(zip(group[first], group["objective"], strict=True))
        series[f"{second} = {compact(value)}"] = [
            None if col.get(v) is None or col.get(v) != col.get(v) else col[v] for v in x]
    return x, series, first


def _sweep_money(result) -> Callable[[float], str]:
    from pbo.optimizer.present.tables import money

    currency = result.results[0].meta.currency if result.results else "GBP"
    return lambda v: money(v, currency)


def write_sweep_chart(result, path: Path) -> None:
    """The sweep chart as .html (inline SVG) or .png."""
    x, series, first = _sweep_series(result)

    fmt = _sweep_money(result)

    def draw(ax: Any) -> None:
        from matplotlib.ticker import FuncFormatter

        for k, (name, values) in enumerate(series.items()):
            ys = [math.nan if v is None else v for v in values]
            ax.plot(x, ys, marker="o", color=PALETTE[k % len(PALETTE)], label=name)
            gaps = [xv for xv, v in zip(x, values, strict=True) if v is None]
            if gaps:  # along the bottom edge (no objective to plot), a row per series
                ax.scatter(gaps, [0.03 + 0.035 * k] * len(gaps), marker="x",
                           color="#222" if len(series) == 1 else PALETTE[k % len(PALETTE)],
                           transform=ax.get_xaxis_transform(),
                           label="no feasible plan" if len(series) == 1 else None)
        pad = 0.04 * ((max(x) - min(x)) or 1.0)
        ax.set_xlim(min(x) - pad, max(x) + pad)  # keep the ×s in view
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt(v)))
        if max(map(abs, x), default=0) >= 1e4:
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: compact(v)))
        ax.set_title(f"Sweep of {first}" + ("" if len(series) == 1 else
                                             "  (× along the foot: no feasible plan)"))
        ax.set_xlabel(first)
        ax.set_ylabel(f"objective ({result.results[0].objective_name})"
                      if result.results else "objective")
        ax.legend()

    _write_chart(path, f"Sweep of {first}",
                 lambda: line_chart_svg(x, series, first, "objective", fmt), draw)


def write_bar_chart(path: Path, labels: Sequence[str], values: Sequence[float], title: str,
                    value_format: Callable[[float], str], x_label: str) -> None:
    """A tornado of values (largest first) as .html (inline SVG) or .png."""
    def draw(ax: Any) -> None:
        from matplotlib.ticker import FuncFormatter

        ax.barh(list(labels)[::-1], list(values)[::-1],
                color=["#2ca02c" if v >= 0 else "#d62728" for v in list(values)[::-1]])
        for k, v in enumerate(list(values)[::-1]):
            ax.annotate(value_format(v), (v, k), xytext=(4, 0), textcoords="offset points",
                        va="center", fontsize=8)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: value_format(v)))
        ax.set_xlabel(x_label)
        ax.set_title(title)

    _write_chart(path, title, lambda: bar_chart_svg(labels, values, title, value_format), draw,
                 height=0.4 * len(labels) + 1.5)


CHART_SUFFIXES = (".html", ".htm", ".png")


def _write_chart(path: Path, title: str, svg: Callable[[], str],
                 draw: Callable[[Any], None], height: float = 4.5) -> None:
    """Write atomically: .html/.htm a self-contained page around `svg()`; .png drawn by
    `draw(axes)` with matplotlib."""
    from pbo.models.io.export import check_output_path, write_atomic

    check_output_path(path, [], CHART_SUFFIXES, "--plot")
    if path.suffix.lower() != ".png":
        page = html_page(title, svg())
        write_atomic(path, lambda tmp: tmp.write_text(page, encoding="utf-8"))
        return
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, max(2.5, height)), layout="tight")
    draw(fig.add_subplot())
    write_atomic(path, lambda tmp: fig.savefig(tmp, format="png", dpi=120))


def bar_chart_svg(labels: Sequence[str], values: Sequence[float], title: str,
                  value_format=lambda v: f"{v:,.0f}") -> str:
    """Horizontal bars, largest first (a tornado of red-line values)."""
    if not labels:
        return "<p>Nothing to chart.</p>"
    row, left = 26, 220
    height = row * len(labels) + 40
    top = max([abs(v) for v in values] + [1e-9])
    scale = (WIDTH - left - 120) / top
    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{WIDTH}' height='{height}' "
             "font-family='sans-serif' font-size='12' role='img'>",
             f"<title>{html.escape(title)}</title>"]
    for k, (label, v) in enumerate(zip(labels, values, strict=True)):
        y = 20 + k * row
        w = abs(v) * scale
        colour = "#2ca02c" if v >= 0 else "#d62728"
        parts.append(f"<text x='{left - 8}' y='{y + 14}' text-anchor='end'>"
                     f"<title>{html.escape(label)}</title>{html.escape(_short(label))}</text>")
        parts.append(f"<rect x='{left}' y='{y}' width='{w:.1f}' height='{row - 8}' "
                     f"fill='{colour}'/>")
        parts.append(f"<text x='{left + w + 6:.1f}' y='{y + 14}'>"
                     f"{html.escape(value_format(v))}</text>")
    parts.append("</svg>")
    return "".join(parts)


def flow_diagram_svg(flows: Sequence[tuple[str, str, float]], value_format) -> str:
    """Partners (left) to interventions (right), each band as wide as the money it carries."""
    if not flows:
        return "<p>No funding flows.</p>"
    sources = list(dict.fromkeys(s for s, _, _ in flows))
    sinks = list(dict.fromkeys(t for _, t, _ in flows))
    total = sum(v for _, _, v in flows) or 1.0
    height = max(len(sources), len(sinks)) * 60 + 60
    usable = height - 40 - 8 * max(len(sources), len(sinks))
    unit = usable / total
    out_at: dict[str, float] = {}
    in_at: dict[str, float] = {}

    def stack(names, side):
        y, pos = 20.0, {}
        for n in names:
            size = sum(v for s, t, v in flows if (s if side == "l" else t) == n) * unit
            pos[n] = (y, size)
            y += size + 8
        return pos

    left, right = stack(sources, "l"), stack(sinks, "r")
    x0, x1 = 210, WIDTH - 210
    colours = PALETTE
    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{WIDTH}' height='{height}' "
             "font-family='sans-serif' font-size='12' role='img'>",
             "<title>Funding flows: partners to interventions</title>"]
    for s, t, v in flows:
        w = v * unit
        ya = left[s][0] + out_at.get(s, 0.0)
        yb = right[t][0] + in_at.get(t, 0.0)
        out_at[s] = out_at.get(s, 0.0) + w
        in_at[t] = in_at.get(t, 0.0) + w
        colour = colours[sources.index(s) % len(colours)]
        mid = (x0 + x1) / 2
        parts.append(
            f"<path d='M{x0},{ya:.1f} C{mid},{ya:.1f} {mid},{yb:.1f} {x1},{yb:.1f} "
            f"L{x1},{yb + w:.1f} C{mid},{yb + w:.1f} {mid},{ya + w:.1f} {x0},{ya + w:.1f} Z' "
            f"fill='{colour}' fill-opacity='0.45'><title>{html.escape(s)} → "
            f"{html.escape(t)}: {html.escape(value_format(v))}</title></path>")
    for names, pos, x, anchor in ((sources, left, x0 - 8, "end"),
                                  (sinks, right, x1 + 8, "start")):
        for n in names:
            y, size = pos[n]
            parts.append(f"<rect x='{x0 - 6 if anchor == 'end' else x1}' y='{y:.1f}' width='6' "
                         f"height='{max(size, 1):.1f}' fill='#333'/>")
            lines = _wrapped(n)
            top = y + size / 2 + 4 - 7 * (len(lines) - 1)
            spans = "".join(f"<tspan x='{x}' dy='{0 if k == 0 else 14}'>{html.escape(line)}"
                            "</tspan>" for k, line in enumerate(lines))
            parts.append(f"<text x='{x}' y='{top:.1f}' text-anchor='{anchor}'>"
                         f"<title>{html.escape(n)}</title>{spans}</text>")
    parts.append("</svg>")
    return "".join(parts)


def heat_map_svg(rows: Sequence[str], columns: Sequence[str],
                 values: Mapping[tuple[str, str], float], title: str,
                 value_format: Callable[[float], str] = compact, *,
                 row_title: str = "", column_title: str = "") -> str:
    """A matrix of non-negative amounts as shaded cells (darker: more), each labelled;
    `row_title` and `column_title` name the axes (above the row labels, above the column
    labels)."""
    if not rows or not columns:
        return "<p>Nothing to chart.</p>"
    left, top, cell_w, cell_h = 200, 110, 74, 30
    if column_title:
        top += 24
    width = left + cell_w * len(columns) + 140  # room for the last slanted label
    height = top + cell_h * len(rows) + 20
    most = max([v for v in values.values() if v > 0] + [1e-9])
    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
             "font-family='sans-serif' font-size='11' role='img'>",
             f"<title>{html.escape(title)}</title>"]
    if column_title:
        middle = left + cell_w * len(columns) / 2
        parts.append(f"<text x='{middle:.1f}' y='16' text-anchor='middle' font-size='12' "
                     f"font-weight='bold'>{html.escape(column_title)} →</text>")
    if row_title:  # above the row labels, level with the foot of the column labels
        parts.append(f"<text x='{left - 8}' y='{top - 8}' text-anchor='end' font-size='12' "
                     f"font-weight='bold'>{html.escape(row_title)} ↓</text>")
    for k, name in enumerate(columns):
        x = left + k * cell_w + cell_w / 2
        parts.append(f"<text x='{x:.1f}' y='{top - 8}' transform='rotate(-35 {x:.1f} "
                     f"{top - 8})'><title>{html.escape(name)}</title>"
                     f"{html.escape(_short(name, 22))}</text>")
    for r, name in enumerate(rows):
        y = top + r * cell_h
        parts.append(f"<text x='{left - 8}' y='{y + cell_h / 2 + 4:.1f}' text-anchor='end'>"
                     f"<title>{html.escape(name)}</title>{html.escape(_short(name))}</text>")
        for k, col in enumerate(columns):
            v = values.get((name, col), 0.0)
            shade = max(0.0, v) / most
            fill = f"rgb({int(247 - 200 * shade)},{int(251 - 150 * shade)},{int(255 - 90 * shade)})"
            ink = "#fff" if shade > 0.55 else "#222"
            x = left + k * cell_w
            parts.append(f"<rect x='{x}' y='{y}' width='{cell_w - 2}' height='{cell_h - 2}' "
                         f"fill='{fill}'><title>{html.escape(name)} → {html.escape(col)}: "
                         f"{html.escape(value_format(v))}</title></rect>")
            if v > 0.5:
                parts.append(f"<text x='{x + cell_w / 2 - 1:.1f}' y='{y + cell_h / 2 + 3:.1f}' "
                             f"text-anchor='middle' fill='{ink}'>"
                             f"{html.escape(value_format(v))}</text>")
    parts.append("</svg>")
    return "".join(parts)
