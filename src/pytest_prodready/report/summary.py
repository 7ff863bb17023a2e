"""The run's findings, gathered from every test report (xdist workers included), written as
a versioned JSON summary and SARIF 2.1.0, and shown in the terminal and pytest-html."""

from __future__ import annotations

import html
import json
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from pytest_prodready import __version__
from pytest_prodready.core.findings import Finding, Severity
from pytest_prodready.core.keys import ACCEPTED_KEY, FINDINGS_KEY
from pytest_prodready.core.safety import SAFETY_PREFIX
from pytest_prodready.report.docs import finding_url
from pytest_prodready.report.outputs import Outputs
from pytest_prodready.target.runtime import Runtime

__all__ = ["SCHEMA_VERSION", "Collector", "payload", "security_headers"]

SCHEMA_VERSION = 1
SECURITY_HEADERS = (
    "strict-transport-security",
    "content-security-policy",
    "content-security-policy-report-only",
    "x-frame-options",
    "x-content-type-options",
    "referrer-policy",
    "permissions-policy",
    "cross-origin-opener-policy",
    "cross-origin-embedder-policy",
    "cross-origin-resource-policy",
    "access-control-allow-origin",
    "access-control-allow-credentials",
    "cache-control",
    "server",
    "x-powered-by",
)
_NONCE = re.compile(r"'nonce-[^']*'")
_COOKIE_VALUE = re.compile(r"^([^=;]+)=[^;]*")


def security_headers(headers: Any) -> dict[str, str]:
    """The security-relevant headers of a response, comparable across environments: nonces
    and cookie values are blanked (they differ per response and may be credentials)."""
    seen = {
        name: _NONCE.sub("'nonce-…'", headers[name]) for name in SECURITY_HEADERS if name in headers
    }
    cookies = [_COOKIE_VALUE.sub(r"\1=…", c) for c in headers.get_list("set-cookie")]
    if cookies:
        seen["set-cookie"] = " | ".join(sorted(cookies))
    return seen


def _finding(
    finding: Finding, test: str, scrub: Callable[[str], str], **extra: Any
) -> dict[str, Any]:
    # Scrubbed here, before any report escapes it: an HTML- or XML-escaped secret no longer
    # matches the forms the redactor knows.
    return {
        "id": finding.id,
        "severity": str(finding.severity),
        "title": finding.title,
        "evidence": scrub(finding.evidence),
        "remediation": finding.remediation,
        "url": scrub(finding.url) if finding.url else finding.url,
        "test": test,
        **extra,
    }


def payload(item: pytest.Item, runtime: Runtime | None) -> dict[str, Any]:
    """What one test contributes to the reports (plain data: it travels from xdist workers)."""
    found = item.stash.get(FINDINGS_KEY, [])
    accepted = item.stash.get(ACCEPTED_KEY, [])
    today = date.today()
    scrub = runtime.redactor.scrub if runtime is not None else str
    data: dict[str, Any] = {
        "findings": [_finding(f, item.nodeid, scrub, status=status) for f, status in found],
        "accepted": [
            _finding(
                f,
                item.nodeid,
                scrub,
                reason=a.reason,
                until=a.until.isoformat(),
                days_left=(a.until - today).days,
            )
            for f, a in accepted
        ],
    }
    if runtime is not None:
        data["headers"] = {
            urlsplit(url).path or "/": security_headers(response.headers)
            for url, response in runtime.drain_responses().items()
        }
        if runtime.started:
            # Under xdist only the workers start an embedded target: the controller learns
            # its URL from here.
            data["base_url"] = runtime.environment().base_url
    return data


def findings_table(findings: list[dict[str, Any]]) -> str:
    """The pytest-html extra: one row per finding, worst first, with its fix and docs link."""
    rows = []
    for f in sorted(findings, key=lambda f: (-Severity.parse(f["severity"]), f["id"])):
        anchor = html.escape(finding_url(f["id"]))
        rows.append(
            "<tr>"
            f"<td>{html.escape(f['severity'].upper())}</td>"
            f"<td>{html.escape(f['id'])}</td>"
            f"<td>{html.escape(f['title'])}</td>"
            f"<td>{html.escape(f['evidence'] or '')}</td>"
            f"<td>{html.escape(f['remediation'])}</td>"
            f'<td><a href="{anchor}">{anchor}</a></td>'
            "</tr>"
        )
    return (
        '<table class="prodready-findings"><tr><th>severity</th><th>id</th><th>finding</th>'
        "<th>evidence</th><th>fix</th><th>docs</th></tr>" + "".join(rows) + "</table>"
    )


def _weights(figures: Iterable[dict[str, Any]]) -> list[str]:
    """The budgets suite's measured figures, one line per page, and the bundle scan's reach."""
    lines: set[str] = set()
    for figure in figures:
        for name, value in figure.items():
            if name.startswith("weight_kb "):
                path = name.partition(" ")[2]
                js = figure.get(f"first_load_js_kb {path}")
                lines.add(f"page weight: {path} {value} kB, first-load JS {js} kB")
        if "bundle_scripts_read" in figure:
            left = figure.get("bundle_scripts_left") or 0
            lines.add(
                f"bundle: {figure['bundle_scripts_read']} scripts read "
                f"({figure.get('bundle_mb_read')} MB)"
                + (f", {left} left unread by the bound" if left else "")
            )
    return sorted(lines)


class Collector:
    """Controller-side: receives every report, writes the JSON and SARIF files at the end."""

    def __init__(self, config: pytest.Config, runtime: Runtime) -> None:
        self.config = config
        self.runtime = runtime
        self.started = datetime.now(UTC)
        self._start = time.monotonic()
        self.findings: list[dict[str, Any]] = []
        self.accepted: list[dict[str, Any]] = []
        self.headers: dict[str, dict[str, str]] = {}
        self.figures: dict[str, dict[str, Any]] = {}
        self.outcomes: Counter[str] = Counter()
        self.safety_skips = 0
        self.written: list[str] = []
        self.base_urls: set[str] = set()
        self.outputs = Outputs(config)
        self.data: dict[str, Any] | None = None
        self._describe_in_metadata()

    def base_url(self) -> str | None:
        """The target's URL: resolved here, else as the xdist workers' targets reported it."""
        if self.runtime.started:
            return self.runtime.environment().base_url
        if self.base_urls:
            return min(self.base_urls)
        return self.runtime.base_url_override or self.runtime.declared.base_url

    def _version_seen(self) -> str:
        seen = [f["version_seen"] for f in self.figures.values() if "version_seen" in f]
        versions = sorted({str(v) for v in seen if v is not None})
        if versions:
            return ", ".join(versions)
        return "none: the version endpoint did not say" if seen else "not checked"

    def _describe_in_metadata(self, *, finished: bool = False) -> None:
        """The environment in pytest-metadata, so pytest-html's Environment table shows it.

        pytest-html holds this very dict and renders it at the end of the session, so what
        only the run learns (the embedded target's URL, the version seen, the run time) is
        filled in then.
        """
        try:
            from pytest_metadata.plugin import metadata_key
        except ImportError:
            return
        metadata = self.config.stash.get(metadata_key, None)
        if metadata is None:
            return
        env = self.runtime.declared
        if self.base_urls and not self.runtime.started:
            base_url = ", ".join(sorted(self.base_urls))
            if len(self.base_urls) > 1:
                base_url += " (one embedded target per xdist worker)"
        else:
            base_url = self.base_url() or f"embedded {env.embedded} target, not started"
        elapsed = time.monotonic() - self._start
        started = self.started.isoformat(timespec="seconds")
        described = {
            "prodready env": env.name,
            "prodready base_url": base_url,
            "prodready protected": "yes" if env.protected else "no",
            "prodready version seen": self._version_seen() if finished else "(run in progress)",
            "prodready run time": (
                f"{elapsed:.1f} s, started {started}" if finished else f"started {started}"
            ),
        }
        scrub = self.runtime.redactor.scrub
        metadata.update({key: scrub(value) for key, value in described.items()})

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        data = getattr(report, "prodready", None)
        if report.when == "call" or (report.when == "setup" and not report.passed):
            self.outcomes[report.outcome] += 1
            if report.skipped and SAFETY_PREFIX in str(report.longrepr):
                self.safety_skips += 1
        if report.when == "teardown" and not report.passed:
            self.outcomes["error"] += 1
        if isinstance(data, dict):
            self.findings += data.get("findings", [])
            self.accepted += data.get("accepted", [])
            for path, seen in data.get("headers", {}).items():
                self.headers.setdefault(path, seen)
            if data.get("base_url"):
                self.base_urls.add(data["base_url"])
        self.outputs.note(report)
        figures = {k: v for k, v in report.user_properties if isinstance(k, str)}
        if figures and report.when == "call":
            self.figures[report.nodeid] = figures

    def summary(self) -> dict[str, Any]:
        env = self.runtime.declared
        order = lambda f: (-Severity.parse(f["severity"]), f["id"], f["url"] or "", f["test"])  # noqa: E731
        return {
            "schema": "https://pytest-prodready.dev/schemas/summary-v1.json",
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": "pytest-prodready", "version": __version__},
            "env": {
                "name": env.name,
                "base_url": self.base_url(),
                "protected": env.protected,
                "expected_version": self.runtime.expected_version,
            },
            "started": self.started.isoformat(timespec="seconds"),
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            "duration_s": round(time.monotonic() - self._start, 3),
            "outcomes": {
                "passed": self.outcomes["passed"],
                "failed": self.outcomes["failed"],
                "skipped": self.outcomes["skipped"],
                "error": self.outcomes["error"],
                "skipped_by_safety": self.safety_skips,
            },
            "findings": sorted(self.findings, key=order),
            "accepted": sorted(self.accepted, key=order),
            "headers": {path: self.headers[path] for path in sorted(self.headers)},
            "figures": {test: self.figures[test] for test in sorted(self.figures)},
        }

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        from pytest_prodready.report.sarif import to_sarif

        self._describe_in_metadata(finished=True)
        data = self.summary()
        scrub = self.runtime.redactor.scrub
        outputs: list[tuple[str, Callable[[], dict[str, Any]]]] = [
            ("prodready_json", lambda: data),
            ("prodready_sarif", lambda: to_sarif(data)),
        ]
        for option, render in outputs:
            path = self.config.getoption(option)
            if path:
                target = Path(path)
                target.parent.mkdir(parents=True, exist_ok=True)
                # Scrubbed as a whole: evidence quotes target responses, which may echo secrets.
                text = scrub(json.dumps(render(), indent=2, ensure_ascii=False))
                target.write_text(text + "\n", encoding="utf-8")
                self.written.append(str(target))
        self.data = data
        self.outputs.write(data, scrub, self.written)

    def reports(self) -> list[str]:
        """Every report file this run wrote: ours, then pytest-html's and JUnit's."""
        paths = list(self.written)
        for option in ("htmlpath", "xmlpath"):
            path = getattr(self.config.option, option, None)
            if path:
                paths.append(str(path))
        return paths

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        # Every run that reached the target gets the block, a clean one too ("0 failing
        # findings" is the news after a deploy). A run of unrelated tests under a default_env
        # never touched it: a block would claim a check that did not happen.
        touched = self.runtime.started or self.base_urls or self.safety_skips
        if not (touched or self.findings or self.accepted or self.written):
            return
        failing = [f for f in self.findings if f.get("status") == "failing"]
        below = [f for f in self.findings if f.get("status") == "below-threshold"]
        counts = Counter(f["severity"] for f in failing)
        by_severity = ", ".join(
            f"{counts[s.name.lower()]} {s.name.lower()}" for s in reversed(Severity)
        )
        terminalreporter.write_sep("-", "prodready summary")
        env = self.runtime.declared
        terminalreporter.line(
            f"env {env.name!r}{' (protected)' if env.protected else ''}: "
            f"{len(failing)} failing finding{'s' if len(failing) != 1 else ''} ({by_severity}); "
            f"{len(below)} below --fail-on; {len(self.accepted)} accepted; "
            f"{self.safety_skips} skipped by the safety gate"
        )
        if self.data is not None:
            for line in self.outputs.terminal_lines(self.data):
                terminalreporter.line(line)
        # Measured figures a passing run must still show (they come back from xdist workers).
        for figure in sorted({f["ratelimit"] for f in self.figures.values() if "ratelimit" in f}):
            terminalreporter.line(f"rate limit: {figure}")
        reports = self.reports()
        for path in reports:
            terminalreporter.line(f"report written: {path}")
        if not reports:
            terminalreporter.line(
                "reports: none written (ask with --prodready-json, --prodready-sarif, --html "
                "or --junitxml)"
            )
        # Page weights and the bundle scan's reach, measured whether or not anything failed.
        for line in _weights(self.figures.values()):
            terminalreporter.line(line)

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_summary(
        self, prefix: list[str], summary: list[str], postfix: list[str], session: pytest.Session
    ) -> None:
        env = self.runtime.declared
        prefix.append(
            f"<p>prodready: env <b>{html.escape(env.name)}</b>, "
            f"{'protected' if env.protected else 'not protected'}</p>"
        )
        if not self.accepted:
            return
        rows = "".join(
            f"<tr><td>{html.escape(a['id'])}</td><td>{html.escape(a['reason'])}</td>"
            f"<td>{a['until']}</td><td>{a['days_left']}</td>"
            f"<td>{html.escape(a['url'] or '')}</td></tr>"
            for a in self.accepted
        )
        postfix.append(
            '<h2>Accepted findings</h2><table class="prodready-accepted"><tr><th>id</th>'
            f"<th>reason</th><th>until</th><th>days left</th><th>url</th></tr>{rows}</table>"
        )
