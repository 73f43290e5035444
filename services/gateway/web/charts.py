"""Charts of the reports, drawn on the server as SVG: no script, nothing fetched, the same on screen
and on paper. Every bar carries its figure as text (a printed page in black and white still reads),
and every chart has a title and a description for screen readers.

Only SVG presentation attributes are used (`fill`, `font-size`), never `style`: the pages' CSP
forbids inline styles.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from ketnap.services.gateway.web.vietnamese import number

WIDTH = 760
ROW = 30
BAR = 18
LABEL_WIDTH = 230
FIGURE_WIDTH = 150
FONT = 13
INK = "#0b0c0c"
ACHIEVED = "#8b1a1a"
"""The brand's dark red: dark enough to print as a deep grey."""
ASSIGNED = "#f3f2f1"
MUTED = "#505a5f"


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its figure and, when it is measured against a whole, that whole."""

    label: str
    value: float
    whole: float | None = None
    note: str = ""
    """Written after the figure: "25,0 %"."""


def _text(x: float, y: float, words: str, *, anchor: str = "start", weight: str = "normal", fill: str = INK) -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{FONT}" text-anchor="{anchor}" font-weight="{weight}" '
            f'fill="{fill}">{escape(words)}</text>')


def _shortened(label: str, width: float) -> str:
    most = max(int(width / (FONT * 0.55)), 4)
    return label if len(label) <= most else label[: most - 1] + "…"


def _svg(title: str, description: str, height: float, body: list[str], css: str) -> Markup:
    return Markup(
        f'<svg class="chart {css}" role="img" viewBox="0 0 {WIDTH} {height:.0f}" width="100%" preserveAspectRatio="xMinYMin meet" '
        f'xmlns="http://www.w3.org/2000/svg" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title><desc>{escape(description)}</desc>{''.join(body)}</svg>"
    )


def horizontal_bars(title: str, bars: Sequence[Bar], *, css: str = "") -> Markup:
    """A bar per line; a bar measured against a whole is drawn inside a pale bar as long as the
    whole (achieved inside assigned) and its figure reads "3 / 12 (25,0 %)"."""
    most = max([b.value for b in bars] + [b.whole or 0 for b in bars] + [1])
    span = WIDTH - LABEL_WIDTH - FIGURE_WIDTH - 10
    body: list[str] = []
    described: list[str] = []
    for index, bar in enumerate(bars):
        top = index * ROW + 6
        middle = top + BAR / 2 + FONT / 2 - 2
        body.append(_text(LABEL_WIDTH - 8, middle, _shortened(bar.label, LABEL_WIDTH - 8), anchor="end"))
        if bar.whole:
            body.append(f'<rect x="{LABEL_WIDTH}" y="{top}" width="{span * bar.whole / most:.1f}" height="{BAR}" '
                        f'fill="{ASSIGNED}" stroke="{INK}" stroke-width="1"/>')
        body.append(f'<rect x="{LABEL_WIDTH}" y="{top + 3 if bar.whole else top}" width="{span * bar.value / most:.1f}" '
                    f'height="{BAR - 6 if bar.whole else BAR}" fill="{ACHIEVED}"/>')
        figure = f"{number(bar.value)} / {number(bar.whole)}" if bar.whole else number(bar.value)
        figure += f" ({bar.note})" if bar.note else ""
        reach = max(span * bar.value / most, span * (bar.whole or 0) / most)
        body.append(_text(LABEL_WIDTH + reach + 6, middle, figure, weight="bold"))
        described.append(f"{bar.label}: {figure}")
    if not bars:
        body.append(_text(LABEL_WIDTH, ROW / 2 + 4, "Không có số liệu.", fill=MUTED))
    return _svg(title, "; ".join(described) or "Không có số liệu.", max(len(bars), 1) * ROW + 8, body, css)


def columns(title: str, bars: Sequence[Bar], *, css: str = "") -> Markup:
    """A column per period (months of a year, years of a term), its figure above it."""
    height, base, top_room = 220, 190, 24
    most = max([b.value for b in bars] + [1])
    step = (WIDTH - 20) / max(len(bars), 1)
    body = [f'<line x1="10" y1="{base}" x2="{WIDTH - 10}" y2="{base}" stroke="{INK}" stroke-width="1"/>']
    for index, bar in enumerate(bars):
        tall = (base - top_room) * bar.value / most
        left = 10 + index * step + step * 0.2
        body.append(f'<rect x="{left:.1f}" y="{base - tall:.1f}" width="{step * 0.6:.1f}" height="{tall:.1f}" fill="{ACHIEVED}"/>')
        body.append(_text(left + step * 0.3, base - tall - 5, number(bar.value), anchor="middle", weight="bold"))
        body.append(_text(left + step * 0.3, base + 18, bar.label, anchor="middle"))
    described = "; ".join(f"{b.label}: {number(b.value)}" for b in bars)
    return _svg(title, described or "Không có số liệu.", height, body, css)

