"""What a load run shows in the HTML report: requests/s and p95 over time, and a table.

The chart is a hand-drawn inline SVG (no plotting dependency), from locust's CSV history
(``--csv ... --csv-full-history``: one row a second, whose percentiles are locust's
"current" ones, over its last ~10 s).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path

from pytest_prodready.load.slo import Breach, Figures

__all__ = ["HistoryPoint", "chart_svg", "read_history", "report_html", "table_html"]

MAX_POINTS = 600
WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 64, 28, 36
RPS_COLOUR, P95_COLOUR, SLO_COLOUR = "#1f6feb", "#d9480f", "#d9480f"


@dataclass(frozen=True)
class HistoryPoint:
    """One second of the run: elapsed time, users, requests/s in that second, current p95."""

    t_s: float
    users: int
    rps: float
    p95_ms: float | None


def read_history(path: Path) -> tuple[HistoryPoint, ...]:
    """The aggregate rows of locust's ``*_stats_history.csv`` (empty if there is none).

    Requests/s comes from the difference of the total request count between rows, which is
    exact per interval; locust's own column is a trailing average that lags on short runs.
    """
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = [r for r in csv.DictReader(handle) if r.get("Name") == "Aggregated"]
    except (OSError, csv.Error):
        return ()
    points: list[HistoryPoint] = []
    start: float | None = None
    previous: tuple[float, int] | None = None
    for row in rows:
        try:
            t, count = float(row["Timestamp"]), int(row["Total Request Count"])
            users = int(row["User Count"])
        except (KeyError, TypeError, ValueError):
            continue
        rps = 0.0
        if previous is not None and t > previous[0]:
            rps = max(0.0, (count - previous[1]) / (t - previous[0]))
        if start is None and users == 0 and count == 0:
            # Locust writes rows while it waits for workers: the last idle one is t = 0.
            previous = (t, count)
            continue
        if start is None:
            start = previous[0] if previous is not None else t
        previous = (t, count)
        points.append(HistoryPoint(t - start, users, rps, _p95(row.get("95%"))))
    return tuple(points)


def _p95(text: str | None) -> float | None:
    try:
        value = float(text or "")
    except ValueError:
        return None
    # 0 is what locust writes before its window holds a full second of data.
    return value if value > 0 else None


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    exponent = 10.0 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * exponent:
            return step * exponent
    return 10 * exponent


def _ticks(top: float, count: int = 4) -> list[float]:
    return [top * i / count for i in range(count + 1)]


def _fmt(value: float) -> str:
    return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"


def _thin(points: Sequence[HistoryPoint]) -> Sequence[HistoryPoint]:
    if len(points) <= MAX_POINTS:
        return points
    step = math.ceil(len(points) / MAX_POINTS)
    return points[::step]


def chart_svg(points: Sequence[HistoryPoint], p95_slo_ms: float | None = None) -> str:
    """Requests/s (left axis) and p95 in ms (right axis) over the run, with the p95 SLO."""
    points = _thin(points)
    if len(points) < 2:
        return '<p class="prodready-load-chart">(the run was too short to chart)</p>'
    span = max(p.t_s for p in points) or 1.0
    rps_top = _nice_max(max(p.rps for p in points))
    p95_values = [p.p95_ms for p in points if p.p95_ms is not None]
    p95_top = _nice_max(max([*p95_values, p95_slo_ms or 0.0]) * 1.1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(t: float) -> float:
        return LEFT + plot_w * t / span

    def y(value: float, top: float) -> float:
        return TOP + plot_h * (1 - value / top)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="prodready-load-chart" '
        f'width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        'font-family="sans-serif" font-size="11" role="img" '
        'aria-label="Requests per second and p95 latency over time">',
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="#fff" '
        'stroke="#bbb"/>',
    ]
    for rps_tick, p95_tick in zip(_ticks(rps_top), _ticks(p95_top), strict=True):
        ty = y(rps_tick, rps_top)
        out.append(
            f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{ty:.1f}" y2="{ty:.1f}" stroke="#eee"/>'
        )
        out.append(
            f'<text x="{LEFT - 6}" y="{ty + 4:.1f}" text-anchor="end" fill="{RPS_COLOUR}">'
            f"{_fmt(rps_tick)}</text>"
        )
        out.append(
            f'<text x="{LEFT + plot_w + 6}" y="{ty + 4:.1f}" fill="{P95_COLOUR}">'
            f"{_fmt(p95_tick)}</text>"
        )
    for t_tick in _ticks(span):
        out.append(
            f'<text x="{x(t_tick):.1f}" y="{TOP + plot_h + 16}" text-anchor="middle">'
            f"{_fmt(t_tick)} s</text>"
        )
    rps_line = " ".join(f"{x(p.t_s):.1f},{y(p.rps, rps_top):.1f}" for p in points)
    out.append(
        f'<polyline fill="none" stroke="{RPS_COLOUR}" stroke-width="2" points="{rps_line}"/>'
    )
    for segment in _segments(points):
        line = " ".join(f"{x(p.t_s):.1f},{y(p.p95_ms or 0.0, p95_top):.1f}" for p in segment)
        out.append(
            f'<polyline fill="none" stroke="{P95_COLOUR}" stroke-width="2" points="{line}"/>'
        )
    if p95_slo_ms is not None:
        sy = y(p95_slo_ms, p95_top)
        out.append(
            f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{sy:.1f}" y2="{sy:.1f}" '
            f'stroke="{SLO_COLOUR}" stroke-dasharray="6 4"/>'
            f'<text x="{LEFT + plot_w - 4}" y="{sy - 4:.1f}" text-anchor="end" '
            f'fill="{SLO_COLOUR}">p95 SLO {_fmt(p95_slo_ms)} ms</text>'
        )
    out.append(
        f'<text x="{LEFT}" y="16" fill="{RPS_COLOUR}">requests/s</text>'
        f'<text x="{LEFT + plot_w}" y="16" text-anchor="end" fill="{P95_COLOUR}">'
        "p95 (ms, last ~10 s)</text></svg>"
    )
    return "".join(out)


def _segments(points: Sequence[HistoryPoint]) -> list[list[HistoryPoint]]:
    """Runs of points that have a p95: a gap stays a gap instead of a drop to zero."""
    segments: list[list[HistoryPoint]] = [[]]
    for point in points:
        if point.p95_ms is None:
            if segments[-1]:
                segments.append([])
        else:
            segments[-1].append(point)
    return [s for s in segments if len(s) > 1]


def _cell(value: float | None, unit: str = "", digits: int = 0) -> str:
    return "-" if value is None else f"{value:.{digits}f}{unit}"


def table_html(total: Figures, requests: Iterable[Figures], breaches: Iterable[Breach]) -> str:
    """One row per request name and one for all requests; cells that breach an SLO in red."""
    breached = {(b.label, b.kind) for b in breaches}
    bad = ' style="color:#c92a2a;font-weight:bold"'
    rows = []
    for f in [*requests, total]:

        def mark(kind: str, f: Figures = f) -> str:
            return bad if (f.label, kind) in breached else ""

        label = escape(f.label)
        rows.append(
            f"<tr><td>{'<b>' + label + '</b>' if f is total else label}</td>"
            f"<td>{f.requests}</td><td>{f.failures}</td>"
            f"<td{mark('error-rate')}>{f.error_rate * 100:.2f} %</td>"
            f"<td{mark('throughput')}>{f.rps:.1f}</td>"
            f"<td>{_cell(f.p50_ms)}</td><td{mark('p95')}>{_cell(f.p95_ms)}</td>"
            f"<td{mark('p99')}>{_cell(f.p99_ms)}</td><td>{_cell(f.max_ms)}</td></tr>"
        )
    head = "".join(
        f"<th>{h}</th>"
        for h in (
            *("request", "requests", "failures", "errors", "req/s"),
            *("p50 ms", "p95 ms", "p99 ms", "max ms"),
        )
    )
    return (
        '<table class="prodready-load-table" border="1" cellpadding="3" '
        f'style="border-collapse:collapse"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def report_html(
    headline: str,
    history: Sequence[HistoryPoint],
    total: Figures,
    requests: Iterable[Figures],
    breaches: Sequence[Breach],
    p95_slo_ms: float | None,
) -> str:
    """The pytest-html extra of a load test: headline, chart, table, breaches."""
    parts = [
        f'<div class="prodready-load"><p>{escape(headline)}</p>',
        chart_svg(history, p95_slo_ms),
        table_html(total, requests, breaches),
    ]
    if breaches:
        items = "".join(f"<li>{escape(b.message)}</li>" for b in breaches)
        parts.append(f"<p>SLO breaches:</p><ul>{items}</ul>")
    parts.append("</div>")
    return "".join(parts)
