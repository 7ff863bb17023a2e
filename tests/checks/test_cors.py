"""checks.cors on hand-built responses: every id both ways, allow-list, grouping."""

from __future__ import annotations

import httpx
import pytest

from pytest_prodready.checks import cors
from pytest_prodready.checks.cors import CorsProbe, evaluate, hostile_origins
from pytest_prodready.core.findings import CATALOGUE, Finding, Severity

EVIL = "https://evil.example"
TRUSTED = "https://app.example.com"


API_URL = "https://api.example.com/v1/me"


def answer(
    origin: str,
    *,
    acao: str | None = None,
    credentials: bool = False,
    preflight: bool = False,
    url: str | None = API_URL,
    extra: dict[str, str] | None = None,
) -> CorsProbe:
    headers = dict(extra or {})
    if acao is not None:
        headers["Access-Control-Allow-Origin"] = acao
    if credentials:
        headers["Access-Control-Allow-Credentials"] = "true"
    status = 204 if preflight else 200
    if url is None:
        return CorsProbe(origin, httpx.Response(status, headers=headers), preflight)
    sent = httpx.Request("OPTIONS" if preflight else "GET", url, headers={"Origin": origin})
    return CorsProbe(origin, httpx.Response(status, headers=headers, request=sent), preflight)


def ids(findings: list[Finding]) -> list[str]:
    return sorted(f.id for f in findings)


def test_ids_are_declared_in_the_catalogue() -> None:
    for declared in (
        cors.CREDENTIALED_REFLECTION,
        cors.ANY_ORIGIN_REFLECTION,
        cors.NULL_ORIGIN,
        cors.WILDCARD,
    ):
        assert CATALOGUE[declared.id] is declared


def test_hostile_origins_cover_prefix_and_suffix_matching() -> None:
    assert hostile_origins("app.example.com:8443") == (
        "https://evil.example",
        "null",
        "https://evilapp.example.com",
        "https://app.example.com.evil.example",
    )


@pytest.mark.parametrize(
    ("probe", "expected", "severity"),
    [
        pytest.param(
            answer(EVIL, acao=EVIL, credentials=True),
            "cors.credentialed-reflection",
            Severity.HIGH,
            id="credentialed-get",
        ),
        pytest.param(
            answer(EVIL, acao=EVIL, credentials=True, preflight=True),
            "cors.credentialed-reflection",
            Severity.HIGH,
            id="credentialed-preflight",
        ),
        pytest.param(
            answer(
                "https://evilapp.example.com", acao="https://evilapp.example.com", credentials=True
            ),
            "cors.credentialed-reflection",
            Severity.HIGH,
            id="suffix-match-bypass",
        ),
        pytest.param(
            answer(EVIL, acao=EVIL), "cors.any-origin-reflection", Severity.MEDIUM, id="no-creds"
        ),
        pytest.param(
            answer("null", acao="null", credentials=True),
            "cors.null-origin",
            Severity.HIGH,
            id="null-with-credentials",
        ),
        pytest.param(
            answer("null", acao="null"), "cors.null-origin", Severity.MEDIUM, id="null-alone"
        ),
        pytest.param(answer(EVIL, acao="*"), "cors.wildcard", Severity.INFO, id="wildcard"),
        pytest.param(
            # Browsers refuse credentials with *, but the server asks to share them: one
            # "fix" away from credentialed reflection.
            answer(EVIL, acao="*", credentials=True),
            "cors.wildcard",
            Severity.LOW,
            id="wildcard-with-credentials",
        ),
        pytest.param(
            answer(EVIL, acao="*", extra={"Set-Cookie": "session=abc; Secure; HttpOnly"}),
            "cors.wildcard",
            Severity.LOW,
            id="wildcard-setting-a-cookie",
        ),
        pytest.param(
            answer(EVIL, acao="*", extra={"Cache-Control": "private, max-age=0"}),
            "cors.wildcard",
            Severity.LOW,
            id="wildcard-on-private-response",
        ),
        pytest.param(
            answer(EVIL, acao="*", extra={"Vary": "Accept-Encoding, Authorization"}),
            "cors.wildcard",
            Severity.LOW,
            id="wildcard-varying-by-credential",
        ),
        pytest.param(
            # Public data the seeds cache hard: still the Observatory's "public access".
            answer(EVIL, acao="*", extra={"Cache-Control": "no-store", "Vary": "Origin"}),
            "cors.wildcard",
            Severity.INFO,
            id="wildcard-public-no-store",
        ),
    ],
)
def test_yields(probe: CorsProbe, expected: str, severity: Severity) -> None:
    (finding,) = evaluate([probe])
    assert (finding.id, finding.severity) == (expected, severity)


@pytest.mark.parametrize(
    "probe",
    [
        pytest.param(answer(EVIL), id="no-cors-headers"),
        pytest.param(answer(EVIL, acao=TRUSTED, credentials=True), id="fixed-trusted-origin"),
        pytest.param(answer("null", acao=TRUSTED, credentials=True), id="null-not-allowed"),
        pytest.param(answer(EVIL, acao="", credentials=True), id="empty-acao"),
        pytest.param(answer(EVIL, acao=EVIL + ".org", credentials=True), id="other-origin"),
    ],
)
def test_does_not_yield(probe: CorsProbe) -> None:
    assert evaluate([probe]) == []


@pytest.mark.parametrize("origin", [TRUSTED, "null", "https://evilapp.example.com"])
def test_allowed_origins_are_never_findings(origin: str) -> None:
    probes = [answer(origin, acao=origin, credentials=True, preflight=p) for p in (False, True)]
    assert evaluate(probes, allowed_origins=(origin,)) == []
    assert evaluate(probes, allowed_origins=(origin.upper() + "/",)) == []
    assert evaluate(probes) != []


def test_one_finding_per_id_with_every_origin_and_the_worst_severity() -> None:
    probes = [
        answer(EVIL, acao=EVIL, credentials=True),
        answer(EVIL, acao=EVIL, credentials=True, preflight=True),
        answer("https://x.evil.example", acao="https://x.evil.example"),
        answer("null", acao="null"),
        answer("null", acao="null", credentials=True, preflight=True),
    ]
    findings = {f.id: f for f in evaluate(probes)}
    assert sorted(findings) == [
        "cors.any-origin-reflection",
        "cors.credentialed-reflection",
        "cors.null-origin",
    ]
    credentialed = findings["cors.credentialed-reflection"]
    assert credentialed.evidence == (
        "GET with Origin https://evil.example: ACAO echoed with "
        "Access-Control-Allow-Credentials: true; preflight with Origin https://evil.example: "
        "ACAO echoed with Access-Control-Allow-Credentials: true"
    )
    assert credentialed.url == API_URL
    assert findings["cors.null-origin"].severity is Severity.HIGH


def test_response_without_request_has_no_url() -> None:
    (finding,) = evaluate([answer(EVIL, acao=EVIL, url=None)])
    assert finding.url is None


def test_wildcard_names_what_makes_the_response_private() -> None:
    probe = answer(EVIL, acao="*", credentials=True, extra={"Set-Cookie": "sid=x"})
    (finding,) = evaluate([probe])
    assert "Access-Control-Allow-Credentials: true" in finding.evidence
    assert "it sets a cookie" in finding.evidence
    assert "sid=x" not in finding.evidence
