"""Charts drawn on the server as SVG (no script, no library to ship): stacked bars for
counts, bars for rates. The table beside each chart carries the same numbers."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from django.utils.safestring import SafeString, mark_safe

from chibo.lib.display import format_percent

WIDTH, HEIGHT, PAD, LEGEND = 640, 240, 36, 22
LEVEL_COLOURS = ["#2e7d32", "#9ccc65", "#ffb300", "#c62828"]


def stacked_bars(
    labels: Sequence[str], series: Sequence[tuple[str, str, Sequence[int]]], *, title: str
) -> SafeString:
    """Bars of `labels`, each stacking the values of every (name, colour, values) series."""
    totals = [sum(values[i] for _n, _c, values in series) for i in range(len(labels))]
    top = max([*totals, 1])
    inner_h = HEIGHT - 2 * PAD - LEGEND
    step = (WIDTH - 2 * PAD) / max(1, len(labels))
    bar = step * 0.7
    parts = [_frame(title)]
    for i, label in enumerate(labels):
        x = PAD + i * step + (step - bar) / 2
        y: float = HEIGHT - PAD
        for name, colour, values in series:
            h = inner_h * values[i] / top
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{colour}"><title>{escape(label)} · {escape(name)}: '
                f"{values[i]}</title></rect>"
            )
        parts.append(_label(x + bar / 2, HEIGHT - PAD + 14, label))
    parts.append(_axis(top))
    parts.append(_legend([(name, colour) for name, colour, _v in series]))
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def rate_bars(labels: Sequence[str], values: Sequence[float | None], *, title: str) -> SafeString:
    """Bars of percentages (0 to 100); a missing value leaves a gap."""
    inner_h = HEIGHT - 2 * PAD - LEGEND
    step = (WIDTH - 2 * PAD) / max(1, len(labels))
    bar = step * 0.7
    parts = [_frame(title)]
    for i, label in enumerate(labels):
        x = PAD + i * step + (step - bar) / 2
        value = values[i]
        if value is not None:
            h = inner_h * value / 100
            shown = escape(format_percent(value))
            parts.append(
                f'<rect x="{x:.1f}" y="{HEIGHT - PAD - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="#b71c1c"><title>{escape(label)}: {shown}</title></rect>'
            )
        parts.append(_label(x + bar / 2, HEIGHT - PAD + 14, label))
    parts.append(_axis(100, suffix="%"))
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def _frame(title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(title)}" class="chart" font-family="sans-serif" '
        f'font-size="11"><title>{escape(title)}</title>'
    )


def _label(x: float, y: float, text: str) -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle">{escape(text)}</text>'


def _axis(top: float, suffix: str = "") -> str:
    inner_h = HEIGHT - 2 * PAD - LEGEND
    y0 = HEIGHT - PAD
    return (
        f'<line x1="{PAD}" y1="{y0}" x2="{WIDTH - PAD}" y2="{y0}" stroke="#888"/>'
        f'<text x="{PAD - 4}" y="{y0 - inner_h + 4:.1f}" text-anchor="end">'
        f"{escape(f'{top:g}{suffix}')}</text>"
        f'<text x="{PAD - 4}" y="{y0 + 4}" text-anchor="end">0</text>'
    )


def _legend(items: list[tuple[str, str]]) -> str:
    parts = []
    x = PAD
    for name, colour in items:
        parts.append(f'<rect x="{x}" y="6" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{x + 16}" y="16">{escape(name)}</text>')
        x += 26 + 7 * len(name)
    return "".join(parts)
