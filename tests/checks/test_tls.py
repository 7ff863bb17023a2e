"""checks.tls on plain TlsFacts: every id both ways, expiry thresholds, RFC 6125 matching."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pytest_prodready.checks import tls
from pytest_prodready.checks.tls import TlsFacts, evaluate, hostname_matches
from pytest_prodready.core.findings import CATALOGUE, Finding, Severity

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
GOOD = TlsFacts(
    host="127.0.0.1",
    port=443,
    server_hostname="app.example.com",
    verified=True,
    verify_code=None,
    verify_message=None,
    protocol="TLSv1.3",
    cipher="TLS_AES_256_GCM_SHA384",
    not_before=NOW - timedelta(days=30),
    not_after=NOW + timedelta(days=60),
    subject="CN=app.example.com",
    issuer="CN=Example CA",
    san_dns=("app.example.com",),
    san_ips=(),
    tls1_0=False,
    tls1_1=False,
)
UNTRUSTED_CHAIN: dict[str, Any] = {
    "verified": False,
    "verify_code": 20,
    "verify_message": "unable to get local issuer certificate",
}


def ids(findings: list[Finding]) -> list[str]:
    return sorted(f.id for f in findings)


def test_ids_are_declared_in_the_catalogue() -> None:
    for declared in (
        tls.UNTRUSTED,
        tls.EXPIRED,
        tls.EXPIRES_SOON,
        tls.HOSTNAME_MISMATCH,
        tls.PROTOCOL_OUTDATED,
    ):
        assert CATALOGUE[declared.id] is declared


def test_a_good_endpoint_has_no_findings() -> None:
    assert evaluate(GOOD, now=NOW) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param(UNTRUSTED_CHAIN, ["tls.untrusted"], id="unknown-issuer"),
        pytest.param(
            {"verified": False, "verify_code": 18, "verify_message": "self-signed certificate"},
            ["tls.untrusted"],
            id="self-signed",
        ),
        pytest.param(
            {
                "verified": False,
                "verify_code": 9,
                "verify_message": "certificate is not yet valid",
                "not_before": NOW + timedelta(days=1),
            },
            ["tls.untrusted"],
            id="not-yet-valid",
        ),
        pytest.param(
            {"verified": False, "verify_code": 10, "verify_message": "certificate has expired"},
            ["tls.expired"],
            id="expiry-is-not-untrusted",
        ),
        pytest.param(
            {"verified": False, "verify_code": 62, "verify_message": "Hostname mismatch"},
            ["tls.hostname-mismatch"],
            id="mismatch-is-not-untrusted",
        ),
    ],
)
def test_untrusted(changes: dict[str, Any], expected: list[str]) -> None:
    assert ids(evaluate(replace(GOOD, **changes), now=NOW)) == expected


def test_untrusted_evidence_names_the_verify_error() -> None:
    (finding,) = evaluate(replace(GOOD, **UNTRUSTED_CHAIN), now=NOW)
    assert "unable to get local issuer certificate (X509 verify code 20)" in finding.evidence
    assert finding.severity is Severity.HIGH


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        pytest.param(
            replace(GOOD, not_after=NOW - timedelta(days=12)), ["tls.expired"], id="by-date"
        ),
        pytest.param(
            # An untrusted chain stops OpenSSL before the expiry: the dates still tell.
            replace(GOOD, not_after=NOW - timedelta(days=1), **UNTRUSTED_CHAIN),
            ["tls.expired", "tls.untrusted"],
            id="expired-and-untrusted",
        ),
        pytest.param(
            replace(
                GOOD,
                verified=False,
                verify_code=10,
                verify_message="certificate has expired",
                not_after=None,
            ),
            ["tls.expired"],
            id="by-verify-code-without-dates",
        ),
        pytest.param(
            replace(
                GOOD,
                verified=False,
                verify_code=10,
                verify_message="certificate has expired",
                not_after=NOW + timedelta(hours=1),
            ),
            ["tls.expired"],
            id="verifier-clock-ahead",
        ),
        pytest.param(replace(GOOD, not_after=NOW + timedelta(days=31)), [], id="31-days-left"),
    ],
)
def test_expired(facts: TlsFacts, expected: list[str]) -> None:
    assert ids(evaluate(facts, now=NOW)) == expected


def test_expired_evidence_says_when() -> None:
    (finding,) = evaluate(replace(GOOD, not_after=NOW - timedelta(days=12)), now=NOW)
    assert finding.evidence == "notAfter 2026-05-20 12:00 UTC, 12 days ago"


@pytest.mark.parametrize(
    ("left", "severity"),
    [
        pytest.param(timedelta(days=30), Severity.MEDIUM, id="at-warn"),
        pytest.param(timedelta(days=20), Severity.MEDIUM, id="within-warn"),
        pytest.param(timedelta(days=7), Severity.HIGH, id="at-critical"),
        pytest.param(timedelta(hours=5), Severity.HIGH, id="hours-left"),
    ],
)
def test_expires_soon(left: timedelta, severity: Severity) -> None:
    (finding,) = evaluate(replace(GOOD, not_after=NOW + left), now=NOW)
    assert finding.id == "tls.expires-soon"
    assert finding.severity is severity


@pytest.mark.parametrize(
    "left",
    [
        pytest.param(timedelta(days=30, seconds=1), id="just-beyond-warn"),
        pytest.param(timedelta(days=400), id="far-away"),
        pytest.param(-timedelta(days=1), id="already-expired-is-expired-only"),
    ],
)
def test_expires_soon_not_reported(left: timedelta) -> None:
    findings = evaluate(replace(GOOD, not_after=NOW + left), now=NOW)
    assert "tls.expires-soon" not in ids(findings)


def test_expires_soon_thresholds_are_parameters() -> None:
    facts = replace(GOOD, not_after=NOW + timedelta(days=50))
    (finding,) = evaluate(facts, now=NOW, warn_days=60, critical_days=14, url="https://x/")
    assert (finding.id, finding.severity, finding.url) == (
        "tls.expires-soon",
        Severity.MEDIUM,
        "https://x/",
    )
    assert "in 50 days (warn at 60 days)" in finding.evidence


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        pytest.param(
            replace(GOOD, verified=False, verify_code=62, verify_message="Hostname mismatch"),
            ["tls.hostname-mismatch"],
            id="verify-code-62",
        ),
        pytest.param(
            replace(
                GOOD,
                server_hostname="10.0.0.1",
                verified=False,
                verify_code=64,
                verify_message="IP address mismatch",
            ),
            ["tls.hostname-mismatch"],
            id="verify-code-64",
        ),
        pytest.param(
            # Untrusted hides the hostname check from OpenSSL; the SANs still tell.
            replace(GOOD, san_dns=("other.example.com",), **UNTRUSTED_CHAIN),
            ["tls.hostname-mismatch", "tls.untrusted"],
            id="untrusted-and-mismatch",
        ),
        pytest.param(
            replace(GOOD, **UNTRUSTED_CHAIN),
            ["tls.untrusted"],
            id="untrusted-but-names-match",
        ),
        pytest.param(
            # OpenSSL verified the name; our matcher never second-guesses it.
            replace(GOOD, san_dns=("other.example.com",)),
            [],
            id="verified-handshake-wins",
        ),
    ],
)
def test_hostname_mismatch(facts: TlsFacts, expected: list[str]) -> None:
    assert ids(evaluate(facts, now=NOW)) == expected


def test_hostname_mismatch_evidence_lists_the_names() -> None:
    facts = replace(GOOD, san_dns=("other.example.com",), san_ips=("10.0.0.1",), **UNTRUSTED_CHAIN)
    mismatch = next(f for f in evaluate(facts, now=NOW) if f.id == "tls.hostname-mismatch")
    assert mismatch.evidence == (
        "'app.example.com' not in the certificate's names (DNS:other.example.com, IP:10.0.0.1)"
    )


@pytest.mark.parametrize(
    ("hostname", "dns", "ips", "matches"),
    [
        ("app.example.com", ("app.example.com",), (), True),
        ("APP.Example.com.", ("app.example.com",), (), True),
        ("app.example.com", ("*.example.com",), (), True),
        ("a.b.example.com", ("*.example.com",), (), False),
        ("example.com", ("*.example.com",), (), False),
        ("example.com", ("*.com",), (), False),
        ("app.example.com", ("example.com",), (), False),
        ("127.0.0.1", ("127.0.0.1",), (), False),
        ("127.0.0.1", (), ("127.0.0.1",), True),
        ("::1", (), ("0:0:0:0:0:0:0:1",), True),
        ("127.0.0.1", ("*.0.0.1",), (), False),
        ("app.example.com", (), (), False),
    ],
)
def test_hostname_matches(
    hostname: str, dns: tuple[str, ...], ips: tuple[str, ...], matches: bool
) -> None:
    assert hostname_matches(hostname, dns, ips) is matches


@pytest.mark.parametrize(
    ("tls1_0", "tls1_1", "evidence"),
    [
        (True, False, "handshake accepted: TLS 1.0"),
        (False, True, "handshake accepted: TLS 1.1"),
        (True, True, "handshake accepted: TLS 1.0, TLS 1.1"),
        (True, None, "handshake accepted: TLS 1.0"),
    ],
)
def test_protocol_outdated(tls1_0: bool | None, tls1_1: bool | None, evidence: str) -> None:
    (finding,) = evaluate(replace(GOOD, tls1_0=tls1_0, tls1_1=tls1_1), now=NOW)
    assert (finding.id, finding.evidence) == ("tls.protocol-outdated", evidence)


def test_protocol_outdated_alongside_modern_ones_is_medium() -> None:
    (finding,) = evaluate(replace(GOOD, protocol="TLSv1.2", tls1_0=True), now=NOW)
    assert (finding.id, finding.severity) == ("tls.protocol-outdated", Severity.MEDIUM)


@pytest.mark.parametrize(
    ("protocol", "tls1_0", "tls1_1", "evidence"),
    [
        pytest.param(
            "TLSv1",
            True,
            False,
            "TLS 1.0 at best: a handshake offering TLS 1.2 and 1.3 is refused; "
            "handshake accepted: TLS 1.0",
            id="tls-1.0-only",
        ),
        pytest.param(
            "TLSv1.1",
            True,
            True,
            "TLS 1.1 at best: a handshake offering TLS 1.2 and 1.3 is refused; "
            "handshake accepted: TLS 1.0, TLS 1.1",
            id="up-to-tls-1.1",
        ),
        pytest.param(
            # The pinned TLS 1.0/1.1 probes could not tell; the negotiated protocol still does.
            "TLSv1",
            None,
            None,
            "TLS 1.0 at best: a handshake offering TLS 1.2 and 1.3 is refused",
            id="pinned-probes-unknown",
        ),
    ],
)
def test_protocol_outdated_only_is_high(
    protocol: str, tls1_0: bool | None, tls1_1: bool | None, evidence: str
) -> None:
    facts = replace(GOOD, protocol=protocol, tls1_0=tls1_0, tls1_1=tls1_1)
    (finding,) = evaluate(facts, now=NOW, url="https://x/")
    assert (finding.id, finding.severity, finding.evidence, finding.url) == (
        "tls.protocol-outdated",
        Severity.HIGH,
        evidence,
        "https://x/",
    )


@pytest.mark.parametrize(
    ("protocol", "tls1_0", "tls1_1"),
    [
        ("TLSv1.3", False, False),
        ("TLSv1.3", None, None),
        ("TLSv1.3", None, False),
        ("TLSv1.2", False, False),
    ],
)
def test_protocol_outdated_not_reported(
    protocol: str, tls1_0: bool | None, tls1_1: bool | None
) -> None:
    facts = replace(GOOD, protocol=protocol, tls1_0=tls1_0, tls1_1=tls1_1)
    assert evaluate(facts, now=NOW) == []


def test_naive_now_is_a_bug() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        evaluate(GOOD, now=datetime(2026, 6, 1))


def test_critical_beyond_warn_is_a_bug() -> None:
    with pytest.raises(ValueError, match="critical_days <= warn_days"):
        evaluate(GOOD, now=NOW, warn_days=7, critical_days=30)


@pytest.mark.parametrize(
    ("site", "plain_http", "found"),
    [
        ("http://shop.example.com", False, ["tls.no-https"]),
        ("http://127.0.0.1:8000", True, []),
        ("https://shop.example.com", False, []),
    ],
)
def test_a_site_without_https_is_a_finding_not_a_skip(
    site: str, plain_http: bool, found: list[str]
) -> None:
    """Issue 14, defect 2: production on plain HTTP used to pass the TLS suite."""
    findings = tls.no_https(site, plain_http=plain_http)
    assert [f.id for f in findings] == found
    assert all(f.severity.name == "HIGH" for f in findings)
