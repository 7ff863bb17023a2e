"""checks.redirect on plain hop chains: every id both ways, Observatory's cases."""

from __future__ import annotations

import pytest

from pytest_prodready.checks import redirect
from pytest_prodready.checks.redirect import Hop, evaluate
from pytest_prodready.core.findings import CATALOGUE, Finding, Severity

HTTPS_URL = "https://app.example.com/"


def ids(findings: list[Finding]) -> list[str]:
    return sorted(f.id for f in findings)


def test_ids_are_declared_in_the_catalogue() -> None:
    for declared in (redirect.MISSING, redirect.NOT_TO_HTTPS, redirect.FIRST_HOP_OFF_HOST):
        assert CATALOGUE[declared.id] is declared


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_straight_to_https_on_the_same_host_passes(status: int) -> None:
    chain = [
        Hop("http://app.example.com/", status, "https://app.example.com/"),
        Hop("https://app.example.com/", 200),
    ]
    assert evaluate(chain, https_url=HTTPS_URL) == []


@pytest.mark.parametrize(
    "chain",
    [
        pytest.param([], id="nothing-listens-on-http"),
        pytest.param(
            [Hop("http://127.0.0.1:8080/", 301, "https://127.0.0.1:8443/")],
            id="ports-differ-and-https-unreachable",
        ),
        pytest.param(
            [
                Hop("http://app.example.com/", 301, "https://app.example.com/"),
                Hop("https://app.example.com/", 302, "https://login.example.com/"),
                Hop("https://login.example.com/", 200),
            ],
            id="off-host-after-https-on-the-same-host",
        ),
        pytest.param(
            [Hop("http://APP.example.com./", 301, "https://app.example.com/")],
            id="host-compared-case-and-dot-insensitively",
        ),
    ],
)
def test_passing_chains(chain: list[Hop]) -> None:
    assert evaluate(chain, https_url=HTTPS_URL) == []


@pytest.mark.parametrize(
    ("hop", "evidence"),
    [
        pytest.param(
            Hop("http://app.example.com/", 200),
            "GET http://app.example.com/ answered 200, expected a redirect to "
            "https://app.example.com/",
            id="200",
        ),
        pytest.param(
            Hop("http://app.example.com/", 301),
            "GET http://app.example.com/ answered 301, expected a redirect to "
            "https://app.example.com/",
            id="3xx-without-location",
        ),
        pytest.param(
            Hop("http://app.example.com/", 300, "https://app.example.com/"),
            "GET http://app.example.com/ answered 300 (Location: https://app.example.com/), "
            "expected a redirect to https://app.example.com/",
            id="300-is-not-a-redirect",
        ),
    ],
)
def test_missing(hop: Hop, evidence: str) -> None:
    (finding,) = evaluate([hop], https_url=HTTPS_URL)
    assert (finding.id, finding.severity, finding.evidence, finding.url) == (
        "redirect.missing",
        Severity.HIGH,
        evidence,
        "http://app.example.com/",
    )


@pytest.mark.parametrize(
    "chain",
    [
        pytest.param(
            [
                Hop("http://app.example.com/", 301, "/home"),
                Hop("http://app.example.com/home", 200),
            ],
            id="relative-location-stays-on-http",
        ),
        pytest.param(
            [
                Hop("http://app.example.com/", 301, "http://www.example.com/"),
                Hop("http://www.example.com/", 200),
            ],
            id="to-another-http-host",
        ),
        pytest.param(
            [
                Hop("http://app.example.com/", 301, "https://app.example.com/"),
                Hop("https://app.example.com/", 302, "http://legacy.example.com/"),
                Hop("http://legacy.example.com/", 200),
            ],
            id="back-to-http-at-the-end",
        ),
        pytest.param(
            [
                Hop("http://app.example.com/", 302, "http://app.example.com/a"),
                Hop("http://app.example.com/a", 302, "http://app.example.com/"),
            ],
            id="http-loop",
        ),
    ],
)
def test_not_to_https(chain: list[Hop]) -> None:
    (finding,) = evaluate(chain, https_url=HTTPS_URL)
    assert finding.id == "redirect.not-to-https"
    assert finding.evidence.startswith("route http://app.example.com/ -> ")


@pytest.mark.parametrize(
    ("chain", "severity", "evidence"),
    [
        pytest.param(
            [
                Hop("http://example.com/", 301, "https://www.example.com/"),
                Hop("https://www.example.com/", 200),
            ],
            Severity.LOW,
            "first redirect leaves example.com: http://example.com/ -> "
            "https://www.example.com/; expected https://app.example.com/",
            id="https-on-another-host",
        ),
        pytest.param(
            [
                Hop("http://app.example.com/", 301, "http://app.example.com/en/"),
                Hop("http://app.example.com/en/", 301, "https://app.example.com/en/"),
                Hop("https://app.example.com/en/", 200),
            ],
            Severity.MEDIUM,
            "first redirect stays on http: http://app.example.com/ -> "
            "http://app.example.com/en/ -> https://app.example.com/en/; "
            "expected https://app.example.com/",
            id="http-first-then-https",
        ),
    ],
)
def test_first_hop_off_host(chain: list[Hop], severity: Severity, evidence: str) -> None:
    (finding,) = evaluate(chain, https_url=HTTPS_URL)
    assert (finding.id, finding.severity, finding.evidence) == (
        "redirect.first-hop-off-host",
        severity,
        evidence,
    )


@pytest.mark.parametrize(
    ("hop", "target"),
    [
        (Hop("http://a.example/x/", 301, "y"), "http://a.example/x/y"),
        (Hop("http://a.example/", 308, "//b.example/"), "http://b.example/"),
        (Hop("http://a.example/", 200, "https://a.example/"), None),
        (Hop("http://a.example/", 302, ""), None),
    ],
)
def test_hop_target(hop: Hop, target: str | None) -> None:
    assert hop.target == target


@pytest.mark.parametrize(
    "location", ["http://[::1/login", "javascript:alert(document.domain)", "file:///etc/passwd"]
)
def test_a_location_that_is_no_web_url_is_named(location: str) -> None:
    chain = [Hop("http://app.example.com/", 302, location)]
    findings = evaluate(chain, https_url=HTTPS_URL)
    assert ids(findings) == ["redirect.not-to-https"]
    assert location in findings[0].evidence
    assert "not an http(s) URL" in findings[0].evidence
