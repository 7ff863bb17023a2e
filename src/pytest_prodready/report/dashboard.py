"""The one-page dashboard (``--prodready-report``): grade, scorecard per area, findings grouped
by id, accepted findings, drift since the previous run and the history trend.

Pure: a JSON summary (already scrubbed of secrets) in, one self-contained HTML page out. No
script, font or stylesheet is fetched: the CSS is inline and the figures are inline SVG, so
the page opens from a CI artifact offline.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pytest_prodready.report.docs import finding_url
from pytest_prodready.report.grade import Grade, grade_summary
from pytest_prodready.report.history import Drift

__all__ = ["AREAS", "Extras", "area_of_finding", "area_of_test", "load_charts", "render"]

SEVERITIES = ("high", "medium", "low", "info")
COLOURS = {"high": "#b3261e", "medium": "#e07b00", "low": "#c9a400", "info": "#6b7a8f"}
# Area, the finding-id prefixes it owns, and the shipped suite files it owns.
AREAS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("TLS & transport", ("tls", "hsts", "redirect"), ("test_tls",)),
    (
        "Headers",
        (
            "xcto",
            "xfo",
            "referrer",
            "coop",
            "corp",
            "coep",
            "permissions-policy",
            "header",
            "cache",
            "compression",
        ),
        ("test_headers",),
    ),
    ("CSP", ("csp",), ("test_csp",)),
    ("Cookies", ("cookie",), ("test_cookies",)),
    ("CORS", ("cors",), ("test_cors",)),
    ("Exposure & leaks", ("exposure", "leak", "bundle"), ("test_exposure", "test_bundle")),
    (
        "Health & release",
        ("health", "release", "page", "endpoint"),
        ("test_health", "test_release", "test_pages"),
    ),
    ("Rate limits", ("ratelimit",), ("test_rate_limits",)),
    ("Browser & flows", ("browser", "flow", "vitals"), ("test_browser", "test_flows")),
    ("Contracts", ("contract",), ("test_contracts",)),
    ("Load", ("load",), ("test_load",)),
)
OTHER = "Other"
LOAD_CHART = 'class="prodready-load-chart"'
VITAL_BUDGETS = {"lcp_ms": 2500.0, "fcp_ms": 1800.0, "cls": 0.1}
_RANK = {s: i for i, s in enumerate(SEVERITIES)}


@dataclass
class Extras:
    """What the run saw that the JSON summary does not keep: each test's outcome and the
    load suite's chart."""

    outcomes: dict[str, str] = field(default_factory=dict)
    charts: list[str] = field(default_factory=list)
    # (test, kind, path relative to the dashboard): what pytest-playwright kept of failed tests.
    media: list[tuple[str, str, str]] = field(default_factory=list)


def load_charts(extras: Sequence[object]) -> list[str]:
    """The load suite's inline SVG charts among a test report's pytest-html extras."""
    charts = []
    for extra in extras:
        content = extra.get("content") if isinstance(extra, dict) else None
        if not isinstance(content, str) or LOAD_CHART not in content:
            continue
        start = content.find("<svg")
        end = content.find("</svg>", start)
        if start >= 0 and end > 0:
            charts.append(content[start : end + len("</svg>")])
    return charts


def media_section(media: Sequence[tuple[str, str, str]]) -> str:
    """Screenshots shown, videos playable and traces linked, per failed browser test (files
    beside the report, as the run kept them: secrets masked, recordings of a test that typed
    one withheld)."""
    if not media:
        return ""
    by_test: dict[str, list[str]] = {}
    for test, kind, path in media:
        src = _e(path)
        if kind == "screenshot":
            item = f'<a href="{src}"><img src="{src}" alt="screenshot" loading="lazy"></a>'
        elif kind == "video":
            item = f'<video src="{src}" controls preload="none"></video>'
        else:
            item = f'<a href="{src}">{_e(kind)}</a>'
        by_test.setdefault(test, []).append(item)
    rows = "".join(
        f'<li class="media"><code>{_e(test)}</code><div>{"".join(items)}</div></li>'
        for test, items in by_test.items()
    )
    return f'<section><h2>Failed browser tests</h2><ul id="media">{rows}</ul></section>'


def area_of_finding(finding_id: str) -> str:
    prefix = finding_id.split(".", 1)[0]
    return next((name for name, prefixes, _ in AREAS if prefix in prefixes), OTHER)


def area_of_test(nodeid: str) -> str | None:
    module = nodeid.split("::", 1)[0].rsplit("/", 1)[-1].removesuffix(".py")
    return next((name for name, _, modules in AREAS if module in modules), None)


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def severity_bar(counts: Mapping[str, int], width: int = 600) -> str:
    total = sum(counts.get(s, 0) for s in SEVERITIES)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sevbar" viewBox="0 0 {width} 28" '
        f'width="100%" role="img" aria-label="findings by severity">'
    ]
    if not total:
        parts.append(
            f'<rect width="{width}" height="28" fill="#2e7d32"/><text x="8" y="19" '
            'fill="#fff" font-size="13">no failing findings</text></svg>'
        )
        return "".join(parts)
    x = 0.0
    for severity in SEVERITIES:
        n = counts.get(severity, 0)
        if not n:
            continue
        w = width * n / total
        parts.append(
            f'<rect x="{x:.1f}" width="{w:.1f}" height="28" fill="{COLOURS[severity]}">'
            f"<title>{n} {severity}</title></rect>"
        )
        if w > 60:
            parts.append(
                f'<text x="{x + 6:.1f}" y="19" fill="#fff" font-size="13">{n} {severity}</text>'
            )
        x += w
    parts.append("</svg>")
    return "".join(parts)


def _counts(summary: Mapping[str, Any]) -> Counter[str]:
    return Counter(
        f["severity"] for f in summary.get("findings", []) if f.get("status") == "failing"
    )


def trend_svg(runs: Sequence[Mapping[str, Any]], width: int = 640, height: int = 180) -> str:
    """Score line (with letters) over stacked severity bars, one column per run."""
    if len(runs) < 2:
        return '<p class="muted" id="trend-none">The trend appears from the second run kept.</p>'
    left, right, top, bottom = 34, 10, 14, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / len(runs)
    grades = [grade_summary(r) for r in runs]
    counts = [_counts(r) for r in runs]
    most = max(1, *(sum(c.values()) for c in counts))
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="trend" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="grade and findings over the last {len(runs)} '
        'runs" font-family="sans-serif" font-size="10">',
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#fff" '
        'stroke="#ccc"/>',
    ]
    for i, c in enumerate(counts):
        y: float = top + plot_h
        for severity in reversed(SEVERITIES):
            h = plot_h * 0.45 * c.get(severity, 0) / most
            if h:
                y -= h
                out.append(
                    f'<rect class="trend-bar" x="{left + i * step + step * 0.2:.1f}" y="{y:.1f}" '
                    f'width="{step * 0.6:.1f}" height="{h:.1f}" fill="{COLOURS[severity]}" '
                    f'opacity="0.55"><title>{c.get(severity, 0)} {severity}</title></rect>'
                )
    points = []
    for i, g in enumerate(grades):
        x = left + i * step + step / 2
        y = top + plot_h * (1 - min(max(g.score, 0), 130) / 130)
        points.append(f"{x:.1f},{y:.1f}")
        out.append(
            f'<circle class="trend-point" cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#1a4f8b">'
            f"<title>{_e(runs[i].get('started', ''))}: {g.letter} ({g.score})</title></circle>"
            f'<text x="{x:.1f}" y="{y - 6:.1f}" text-anchor="middle">{_e(g.letter)}</text>'
        )
    out.append(
        f'<polyline fill="none" stroke="#1a4f8b" stroke-width="2" points="{" ".join(points)}"/>'
    )
    for value in (0, 50, 100):
        y = top + plot_h * (1 - value / 130)
        out.append(f'<text x="{left - 4}" y="{y + 3:.1f}" text-anchor="end">{value}</text>')
    first, last = runs[0].get("started", ""), runs[-1].get("started", "")
    out.append(
        f'<text x="{left}" y="{height - 8}">{_e(str(first)[:16])}</text>'
        f'<text x="{left + plot_w}" y="{height - 8}" text-anchor="end">{_e(str(last)[:16])}'
        "</text></svg>"
    )
    return "".join(out)


def vitals_svg(figures: Mapping[str, Mapping[str, Any]]) -> str:
    rows = [
        (test.split("::", 1)[-1], name, float(value), budget)
        for test, values in sorted(figures.items())
        for name, budget in VITAL_BUDGETS.items()
        if isinstance(values.get(name), int | float)
        for value in [values[name]]
    ]
    if not rows:
        return ""
    width, row_h = 640, 22
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="vitals" viewBox="0 0 {width} '
        f'{row_h * len(rows) + 6}" width="100%" font-family="sans-serif" font-size="11" '
        'role="img" aria-label="web vitals against budgets">'
    ]
    for i, (test, name, value, budget) in enumerate(rows):
        y = i * row_h + 3
        share = min(value / budget, 2.0) / 2.0
        colour = "#2e7d32" if value <= budget else COLOURS["high"]
        out.append(
            f'<text x="0" y="{y + 14}">{_e(test[:40])} {name}</text>'
            f'<rect x="330" y="{y + 3}" width="{300 * share:.1f}" height="14" fill="{colour}"/>'
            f'<line x1="480" x2="480" y1="{y}" y2="{y + row_h}" stroke="#333" '
            'stroke-dasharray="3 2"/>'
            f"<title>{value:g} (budget {budget:g})</title>"
        )
    out.append("</svg>")
    return "".join(out)


def _group(findings: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = {}
    for f in findings:
        g = groups.setdefault(
            f["id"],
            {
                "id": f["id"],
                "severity": f["severity"],
                "title": f["title"],
                "remediation": f["remediation"],
                "status": f.get("status", "failing"),
                "urls": [],
                "evidence": [],
                "count": 0,
                "extra": f,
            },
        )
        g["count"] += 1
        if _RANK[f["severity"]] < _RANK[g["severity"]]:
            g["severity"] = f["severity"]
        if f.get("status") == "failing":
            g["status"] = "failing"
        where = f.get("url") or f.get("test") or ""
        if where and where not in g["urls"]:
            g["urls"].append(where)
        if f.get("evidence") and f["evidence"] not in g["evidence"]:
            g["evidence"].append(f["evidence"])
    return sorted(groups.values(), key=lambda g: (_RANK[g["severity"]], g["id"]))


def _list(items: Sequence[str], limit: int, cls: str) -> str:
    shown = "".join(f"<li>{_e(i)}</li>" for i in items[:limit])
    more = f"<li class='muted'>and {len(items) - limit} more</li>" if len(items) > limit else ""
    return f'<ul class="{cls}">{shown}{more}</ul>'


def _finding_rows(
    groups: Sequence[Mapping[str, Any]], new_ids: set[str], base_url: str = ""
) -> str:
    def short(where: str) -> str:
        # The header names the target: its pages read as paths.
        return where[len(base_url) :] or "/" if base_url and where.startswith(base_url) else where

    rows = []
    for g in groups:
        badge = ' <span class="new">new</span>' if g["id"] in new_ids else ""
        below = ' <span class="muted">(below --fail-on)</span>' if g["status"] != "failing" else ""
        rows.append(
            f'<tr class="finding" data-id="{_e(g["id"])}" data-severity="{_e(g["severity"])}">'
            f'<td><span class="sev sev-{_e(g["severity"])}">{_e(g["severity"])}</span></td>'
            f'<td><a href="{_e(finding_url(g["id"]))}"><code>{_e(g["id"])}</code></a>{badge}'
            f"{below}<div>{_e(g['title'])}</div></td>"
            f"<td>{_list([short(u) for u in g['urls']], 8, 'urls')}</td>"
            f"<td>{_list(g['evidence'], 3, 'evidence')}</td>"
            f"<td>{_e(g['remediation'])}</td></tr>"
        )
    return "".join(rows)


def _scorecard(summary: Mapping[str, Any], extras: Extras) -> str:
    passed: Counter[str] = Counter()
    failed: Counter[str] = Counter()
    for nodeid, outcome in extras.outcomes.items():
        area = area_of_test(nodeid)
        if area is None:
            continue
        if outcome == "passed":
            passed[area] += 1
        elif outcome in ("failed", "error"):
            failed[area] += 1
    worst: dict[str, str] = {}
    found: Counter[str] = Counter()
    for f in summary.get("findings", []):
        if f.get("status") != "failing":
            continue
        area = area_of_finding(f["id"])
        found[area] += 1
        if area not in worst or _RANK[f["severity"]] < _RANK[worst[area]]:
            worst[area] = f["severity"]
    cells = []
    for name in [a for a, _, _ in AREAS] + ([OTHER] if found[OTHER] else []):
        ran = passed[name] + failed[name]
        state = worst.get(name)
        cls = f"sev-{state}" if state else ("ok" if ran else "idle")
        verdict = (
            f'<span class="sev {cls}">worst: {state}</span>'
            if state
            else (
                "<span class='sev ok'>clean</span>" if ran else "<span class='muted'>not run</span>"
            )
        )
        cells.append(
            f'<div class="card {cls}" data-area="{_e(name)}"><h3>{_e(name)}</h3>'
            f"<p>{passed[name]} passed · {failed[name]} failed · {found[name]} findings</p>"
            f"{verdict}</div>"
        )
    return '<div class="cards">' + "".join(cells) + "</div>"


def _drift(drift: Drift | None, current: Mapping[str, Any] | None = None) -> str:
    if drift is None or drift.previous is None:
        return (
            '<p class="muted" id="drift-none">No earlier run of this environment in the history '
            "(keep one with --prodready-history DIR).</p>"
        )

    def ids(items: Sequence[Mapping[str, Any]]) -> str:
        grouped = Counter(f["id"] for f in items)
        return (
            ", ".join(
                f"<code>{_e(i)}</code>" + (f" (x{n})" if n > 1 else "")
                for i, n in sorted(grouped.items())
            )
            or "none"
        )

    since = f"since the run of {_e(drift.previous.get('started', ''))}"
    other = (drift.previous.get("env") or {}).get("name")
    if other is not None and other != (current or {}).get("name"):
        since = f"against environment {_e(other)} ({since})"
    return (
        f'<ul id="drift"><li>{since}:</li>'
        f'<li id="drift-new"><b>{len(drift.new)} new</b>: {ids(drift.new)}</li>'
        f'<li id="drift-fixed"><b>{len(drift.fixed)} fixed</b>: {ids(drift.fixed)}</li>'
        f'<li id="drift-open"><b>{len(drift.still_open)} still open</b></li></ul>'
    )


CSS = """
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
margin:0;color:#1d232b;background:#f4f6f9}header{background:#14213d;color:#fff;padding:16px 20px;
display:flex;flex-wrap:wrap;gap:16px;align-items:center}header dl{display:grid;
grid-template-columns:max-content 1fr;gap:2px 12px;margin:0;min-width:0}header dd{margin:0;
overflow-wrap:anywhere}.grade{font-size:48px;font-weight:700;width:96px;height:96px;
border-radius:12px;display:flex;align-items:center;justify-content:center;flex:none}
.g-A{background:#2e7d32}.g-B{background:#7cb342}.g-C{background:#f9a825;color:#111}
.g-D{background:#ef6c00}.g-F{background:#b3261e}main{padding:12px 20px;max-width:1400px}
section{background:#fff;border-radius:8px;padding:12px 16px;margin:12px 0;
box-shadow:0 1px 2px rgba(0,0,0,.08)}h1{font-size:20px;margin:0}h2{font-size:17px;margin:4px 0 8px}
h3{font-size:14px;margin:0 0 4px}.cards{display:grid;grid-template-columns:repeat(auto-fill,
minmax(190px,1fr));gap:8px}.card{border:1px solid #d6dbe2;border-left-width:6px;border-radius:6px;
padding:8px}.card p{margin:0 0 4px;font-size:12px}.card.sev-high{border-left-color:#b3261e}
.card.sev-medium{border-left-color:#e07b00}.card.sev-low{border-left-color:#c9a400}
.card.sev-info{border-left-color:#6b7a8f}.card.ok{border-left-color:#2e7d32}
.sev{display:inline-block;padding:1px 6px;border-radius:4px;font-size:12px;color:#fff;
background:#6b7a8f}.sev.sev-high{background:#b3261e}.sev.sev-medium{background:#e07b00}
.sev.sev-low{background:#c9a400;color:#111}.sev.ok{background:#2e7d32}.new{background:#1a4f8b;
color:#fff;border-radius:4px;padding:0 5px;font-size:11px}.muted{color:#66707c}
table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;
padding:6px;border-bottom:1px solid #e3e7ec;overflow-wrap:anywhere}ul{margin:0;padding-left:16px}
code{font-size:12px}.media img,.media video{max-width:320px;width:100%;margin:4px 8px 0 0}
#findings{table-layout:fixed}.c-sev{width:88px}.c-id{width:22%}
.c-at{width:16%}.c-fix{width:26%}svg.sevbar{display:block;max-width:640px}
.scroll{overflow-x:auto}@media (max-width:700px){header{padding:12px}
.grade{width:72px;height:72px;font-size:36px}#findings,#findings tbody,#findings tr,
#findings td{display:block;width:100%}#findings thead,#findings colgroup{display:none}
tr.finding{border:1px solid #e3e7ec;border-radius:6px;margin:0 0 8px;
padding:4px}td{border:0;padding:3px 4px}main{padding:8px}}
"""


def render(
    summary: Mapping[str, Any],
    *,
    extras: Extras | None = None,
    runs: Sequence[Mapping[str, Any]] = (),
    drift: Drift | None = None,
    links: Mapping[str, str] | None = None,
) -> str:
    """The dashboard page. ``runs`` is the environment's history, oldest first, this run
    last; ``links`` names the other reports of the run (label to relative path)."""
    extras = extras or Extras()
    grade: Grade = grade_summary(summary)
    env = summary.get("env", {})
    figures = summary.get("figures", {})
    seen = sorted(
        {str(v["version_seen"]) for v in figures.values() if v.get("version_seen") is not None}
    )
    counts = _counts(summary)
    failing = [f for f in summary.get("findings", []) if f.get("status") == "failing"]
    below = [f for f in summary.get("findings", []) if f.get("status") != "failing"]
    new_ids = {f["id"] for f in drift.new} if drift is not None else set()
    groups = _group(failing) + _group(below)
    outcomes = summary.get("outcomes", {})
    head = [
        ("env", f"{env.get('name')}{' (protected)' if env.get('protected') else ''}"),
        ("base URL", env.get("base_url") or "—"),
        ("release seen", ", ".join(seen) or "not checked"),
        ("run", f"{summary.get('started', '')}, {summary.get('duration_s', 0):.1f} s"),
        (
            "tests",
            f"{outcomes.get('passed', 0)} passed, {outcomes.get('failed', 0)} failed, "
            f"{outcomes.get('error', 0)} errors, {outcomes.get('skipped', 0)} skipped",
        ),
    ]
    dl = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in head)
    explain = "".join(
        f"<tr><td>{_e(what)}</td><td>{_e(why)}</td><td>{m:+d}</td></tr>"
        for what, why, m in grade.lines
    )
    accepted = "".join(
        f'<tr class="accepted" data-id="{_e(a["id"])}"><td><code>{_e(a["id"])}</code></td>'
        f"<td>{_e(a.get('url') or a.get('test') or '')}</td><td>{_e(a.get('reason', ''))}</td>"
        f"<td>{_e(a.get('until', ''))} ({_e(a.get('days_left', ''))} days left)</td></tr>"
        for a in summary.get("accepted", [])
    )
    reports = "".join(
        f'<li><a href="{_e(path)}">{_e(label)}</a></li>' for label, path in (links or {}).items()
    )
    vitals = vitals_svg(figures)
    charts = "".join(extras.charts[:3])
    figures_parts = []
    if vitals:
        figures_parts.append("<h3>Web vitals against budgets</h3>" + vitals)
    if charts:
        figures_parts.append("<h3>Load: requests/s and p95</h3>" + charts)
    figures_section = (
        "<section><h2>Figures</h2>" + "".join(figures_parts) + "</section>" if figures_parts else ""
    )
    accepted_table = (
        '<div class="scroll"><table id="accepted"><thead><tr><th>finding</th><th>where</th>'
        f"<th>reason</th><th>expires</th></tr></thead><tbody>{accepted}</tbody></table></div>"
        if accepted
        else '<p class="muted">none</p>'
    )
    base_url = str(env.get("base_url") or "")
    finding_rows = _finding_rows(groups, new_ids, base_url) or '<tr><td colspan="5">none</td></tr>'
    reports_section = f"<section><h2>Reports</h2><ul>{reports}</ul></section>" if reports else ""
    letter = _e(grade.letter)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>prodready {_e(env.get("name"))}: {letter}</title>
<style>{CSS}</style></head><body>
<header><div class="grade g-{letter[0]}" id="grade" data-score="{grade.score}">{letter}</div>
<div><h1>Production readiness: {_e(env.get("name"))}</h1><dl>{dl}</dl></div></header>
<main>
<section><h2>Findings by severity</h2>{severity_bar(counts)}
<p>{len(failing)} failing findings ({len({f["id"] for f in failing})} distinct ids),
{len(below)} below --fail-on, {len(summary.get("accepted", []))} accepted.</p></section>
<section><h2>Since the previous run</h2>{_drift(drift, env)}</section>
<section><h2>Scorecard</h2>{_scorecard(summary, extras)}</section>
<section><h2>Findings</h2><div class="scroll"><table id="findings"><colgroup>
<col class="c-sev"><col class="c-id"><col class="c-at"><col class="c-ev"><col class="c-fix">
</colgroup><thead><tr><th></th>
<th>finding</th><th>seen at</th><th>evidence</th><th>fix</th></tr></thead><tbody>
{finding_rows}</tbody></table></div></section>
<section><h2>Accepted findings</h2>{accepted_table}</section>
<section><h2>History</h2>{trend_svg(runs)}</section>
{figures_section}
{media_section(extras.media)}
<section><h2>How the grade was scored: {grade.score}</h2><p class="muted">The MDN HTTP
Observatory's modifiers for its categories, our severities for the rest (docs/reports.md).</p>
<div class="scroll"><table id="score"><tbody>{explain}</tbody></table></div></section>
{reports_section}
</main></body></html>
"""
