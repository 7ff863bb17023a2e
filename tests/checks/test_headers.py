"""Security-header findings on plain responses: every id both ways, plus browser edge cases."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx
import pytest

from pytest_prodready.checks import headers
from pytest_prodready.core.findings import CATALOGUE, Finding, Rule, Severity

IDS = {
    "hsts.missing",
    "hsts.invalid",
    "hsts.max-age-too-short",
    "hsts.disabled",
    "hsts.multiple",
    "hsts.no-include-subdomains",
    "xfo.missing",
    "xfo.invalid",
    "xcto.missing",
    "xcto.invalid",
    "referrer.unsafe",
    "referrer.invalid",
    "corp.invalid",
    "coop.invalid",
    "coep.invalid",
    "permissions-policy.missing",
    "header.deprecated",
    "header.x-xss-protection",
}
HTTPS = "https://app.test/"
HTTP = "http://app.test/"
GOOD: dict[str, str] = {
    "content-type": "text/html; charset=utf-8",
    "strict-transport-security": "max-age=63072000; includeSubDomains; preload",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "permissions-policy": "camera=(), microphone=()",
    "cross-origin-opener-policy": "same-origin",
}


def respond(
    set_: dict[str, str] | None = None,
    *,
    drop: Sequence[str] = (),
    add: Sequence[tuple[str, str]] = (),
    url: str = HTTPS,
    status: int = 200,
    text: str = "",
) -> httpx.Response:
    """The GOOD header set, with some replaced (``set_``), removed, or repeated (``add``)."""
    merged = {**GOOD, **(set_ or {})}
    pairs = [(k, v) for k, v in merged.items() if k not in drop and k not in dict(add)]
    return httpx.Response(
        status, headers=pairs + list(add), text=text, request=httpx.Request("GET", url)
    )


STRIPE_PAGE = '<script src="https://js.stripe.com/v3/"></script><button>Pay</button>'


def ids(findings: list[Finding]) -> set[str]:
    return {f.id for f in findings}


def test_every_id_is_declared_in_the_catalogue() -> None:
    declared = {v.id: v for v in vars(headers).values() if isinstance(v, Rule)}
    assert set(declared) == IDS
    assert all(CATALOGUE[id_] is declared_rule for id_, declared_rule in declared.items())


def test_a_hardened_page_has_no_findings() -> None:
    assert headers.evaluate(respond()) == []


HSTS = "strict-transport-security"
XFO = "x-frame-options"
CSP = "content-security-policy"
JSON = {"content-type": "application/json"}

# (response, evaluate options, id, expected present)
CASES: list[Any] = [
    # HSTS
    pytest.param(respond(drop=[HSTS]), {}, "hsts.missing", True, id="hsts-missing"),
    pytest.param(respond(), {}, "hsts.missing", False, id="hsts-present"),
    pytest.param(respond(drop=[HSTS], url=HTTP), {}, "hsts.missing", False, id="hsts-http"),
    pytest.param(respond({HSTS: "max-age=abc"}), {}, "hsts.invalid", True, id="hsts-nan"),
    pytest.param(
        respond({HSTS: "max-age=31536000, includeSubDomains"}),
        {},
        "hsts.invalid",
        True,
        id="hsts-comma",
    ),
    pytest.param(
        respond({HSTS: "max-age=1; max-age=31536000"}), {}, "hsts.invalid", True, id="hsts-dup"
    ),
    pytest.param(
        respond({HSTS: 'max-age="31536000"; includeSubDomains'}),
        {},
        "hsts.invalid",
        False,
        id="hsts-quoted-ok",
    ),
    pytest.param(
        respond({HSTS: "MAX-AGE=31536000; INCLUDESUBDOMAINS"}),
        {},
        "hsts.invalid",
        False,
        id="hsts-uppercase-ok",
    ),
    pytest.param(
        respond({HSTS: "max-age=abc"}, url=HTTP), {}, "hsts.invalid", False, id="hsts-http-ignored"
    ),
    pytest.param(
        respond({HSTS: "max-age=300; includeSubDomains"}),
        {},
        "hsts.max-age-too-short",
        True,
        id="hsts-short",
    ),
    pytest.param(
        respond({HSTS: "max-age=15552000; includeSubDomains"}),
        {},
        "hsts.max-age-too-short",
        False,
        id="hsts-six-months",
    ),
    pytest.param(
        respond({HSTS: "max-age=15552000; includeSubDomains"}),
        {"hsts_min_age": 31536000},
        "hsts.max-age-too-short",
        True,
        id="hsts-custom-minimum",
    ),
    pytest.param(respond({HSTS: "max-age=0"}), {}, "hsts.disabled", True, id="hsts-zero"),
    pytest.param(respond({HSTS: 'max-age="0"'}), {}, "hsts.disabled", True, id="hsts-zero-q"),
    pytest.param(respond({HSTS: "max-age=1"}), {}, "hsts.disabled", False, id="hsts-one"),
    pytest.param(
        respond(add=[(HSTS, "max-age=63072000"), (HSTS, "max-age=63072000")]),
        {},
        "hsts.multiple",
        True,
        id="hsts-two-headers",
    ),
    pytest.param(respond(), {}, "hsts.multiple", False, id="hsts-one-header"),
    pytest.param(
        respond({HSTS: "max-age=63072000"}), {}, "hsts.no-include-subdomains", True, id="no-isd"
    ),
    pytest.param(respond(), {}, "hsts.no-include-subdomains", False, id="isd"),
    # X-Frame-Options
    pytest.param(respond(drop=[XFO]), {}, "xfo.missing", True, id="xfo-missing"),
    pytest.param(respond(), {}, "xfo.missing", False, id="xfo-present"),
    pytest.param(
        respond({CSP: "default-src 'self'; frame-ancestors 'none'"}, drop=[XFO]),
        {},
        "xfo.missing",
        False,
        id="xfo-csp-frame-ancestors",
    ),
    pytest.param(
        respond({"content-security-policy-report-only": "frame-ancestors 'none'"}, drop=[XFO]),
        {},
        "xfo.missing",
        True,
        id="xfo-report-only-does-not-count",
    ),
    pytest.param(
        respond(drop=[XFO]),
        {"csp_frame_ancestors": True},
        "xfo.missing",
        False,
        id="xfo-caller-frame-ancestors",
    ),
    pytest.param(respond(drop=[XFO]), {"api": True}, "xfo.missing", False, id="xfo-api"),
    pytest.param(respond(JSON, drop=[XFO]), {}, "xfo.missing", False, id="xfo-json"),
    pytest.param(respond(drop=[XFO], status=302), {}, "xfo.missing", False, id="xfo-redirect"),
    pytest.param(
        respond({XFO: "ALLOW-FROM https://partner.test"}), {}, "xfo.invalid", True, id="allow-from"
    ),
    pytest.param(respond({XFO: "allowall"}), {}, "xfo.invalid", True, id="xfo-allowall"),
    pytest.param(respond({XFO: ""}), {}, "xfo.invalid", True, id="xfo-empty"),
    pytest.param(respond({XFO: "sameorigin"}), {}, "xfo.invalid", False, id="xfo-lowercase"),
    pytest.param(
        respond(drop=[XFO], add=[(XFO, "DENY"), (XFO, "DENY")]),
        {},
        "xfo.invalid",
        False,
        id="xfo-duplicate-deny",
    ),
    # X-Content-Type-Options
    pytest.param(
        respond(drop=["x-content-type-options"]), {}, "xcto.missing", True, id="xcto-missing"
    ),
    pytest.param(respond(), {}, "xcto.missing", False, id="xcto-present"),
    pytest.param(
        respond(drop=["x-content-type-options"], status=304),
        {},
        "xcto.missing",
        False,
        id="xcto-304",
    ),
    pytest.param(
        respond({"x-content-type-options": "sniff"}), {}, "xcto.invalid", True, id="xcto-sniff"
    ),
    pytest.param(
        respond({"x-content-type-options": "no-sniff"}), {}, "xcto.invalid", True, id="xcto-typo"
    ),
    pytest.param(
        respond({"x-content-type-options": "NoSniff"}), {}, "xcto.invalid", False, id="xcto-case"
    ),
    pytest.param(
        respond(
            drop=["x-content-type-options"],
            add=[("x-content-type-options", "nosniff"), ("x-content-type-options", "nosniff")],
        ),
        {},
        "xcto.invalid",
        False,
        id="xcto-app-and-proxy",
    ),
    # Referrer-Policy
    pytest.param(
        respond({"referrer-policy": "unsafe-url"}), {}, "referrer.unsafe", True, id="unsafe-url"
    ),
    pytest.param(
        respond({"referrer-policy": "no-referrer, unsafe-url"}),
        {},
        "referrer.unsafe",
        True,
        id="last-token-wins",
    ),
    pytest.param(
        respond({"referrer-policy": "unsafe-url, no-referrer"}),
        {},
        "referrer.unsafe",
        False,
        id="safe-last-token",
    ),
    pytest.param(
        respond({"referrer-policy": "unsafe-url, made-up-policy"}),
        {},
        "referrer.unsafe",
        True,
        id="unknown-last-token-skipped",
    ),
    pytest.param(
        respond({"referrer-policy": "No-Referrer-When-Downgrade"}),
        {},
        "referrer.unsafe",
        True,
        id="nrwd",
    ),
    pytest.param(
        respond({"referrer-policy": "origin-when-cross-origin"}),
        {},
        "referrer.unsafe",
        True,
        id="owco",
    ),
    pytest.param(
        respond({"referrer-policy": "strict-origin"}), {}, "referrer.unsafe", False, id="strict"
    ),
    pytest.param(respond(drop=["referrer-policy"]), {}, "referrer.unsafe", False, id="rp-absent"),
    pytest.param(
        respond({"referrer-policy": "never"}), {}, "referrer.invalid", True, id="rp-invalid"
    ),
    pytest.param(respond({"referrer-policy": ""}), {}, "referrer.invalid", True, id="rp-empty"),
    pytest.param(
        respond({"referrer-policy": "no-referrer, never"}),
        {},
        "referrer.invalid",
        False,
        id="rp-one-valid-token",
    ),
    # Cross-origin isolation headers
    pytest.param(
        respond({"cross-origin-resource-policy": "Same-Origin"}),
        {},
        "corp.invalid",
        True,
        id="corp-case",
    ),
    pytest.param(
        respond(
            add=[
                ("cross-origin-resource-policy", "same-origin"),
                ("cross-origin-resource-policy", "same-origin"),
            ]
        ),
        {},
        "corp.invalid",
        True,
        id="corp-twice",
    ),
    pytest.param(
        respond({"cross-origin-resource-policy": "same-site"}),
        {},
        "corp.invalid",
        False,
        id="corp-ok",
    ),
    pytest.param(
        respond({"cross-origin-opener-policy": "sameorigin"}),
        {},
        "coop.invalid",
        True,
        id="coop-typo",
    ),
    pytest.param(
        respond({"cross-origin-opener-policy": '"same-origin"'}),
        {},
        "coop.invalid",
        True,
        id="coop-string-not-token",
    ),
    pytest.param(
        respond(
            drop=["cross-origin-opener-policy"],
            add=[
                ("cross-origin-opener-policy", "same-origin"),
                ("cross-origin-opener-policy", "same-origin"),
            ],
        ),
        {},
        "coop.invalid",
        True,
        id="coop-twice",
    ),
    pytest.param(
        respond({"cross-origin-opener-policy": 'same-origin-allow-popups; report-to="coop"'}),
        {},
        "coop.invalid",
        False,
        id="coop-with-report-to",
    ),
    pytest.param(
        respond({"cross-origin-embedder-policy": "require_corp"}),
        {},
        "coep.invalid",
        True,
        id="coep-typo",
    ),
    pytest.param(
        respond({"cross-origin-embedder-policy": "credentialless"}),
        {},
        "coep.invalid",
        False,
        id="coep-ok",
    ),
    # Permissions-Policy
    pytest.param(
        respond(drop=["permissions-policy"]),
        {},
        "permissions-policy.missing",
        True,
        id="pp-missing",
    ),
    pytest.param(respond(), {}, "permissions-policy.missing", False, id="pp-present"),
    pytest.param(
        respond(drop=["permissions-policy"]),
        {"api": True},
        "permissions-policy.missing",
        False,
        id="pp-api",
    ),
    pytest.param(
        respond(JSON, drop=["permissions-policy"]),
        {},
        "permissions-policy.missing",
        False,
        id="pp-json",
    ),
    # Deprecated headers
    pytest.param(
        respond({"expect-ct": "max-age=86400, enforce"}),
        {},
        "header.deprecated",
        True,
        id="expect-ct",
    ),
    pytest.param(
        respond({"public-key-pins": 'pin-sha256="x"; max-age=1'}),
        {},
        "header.deprecated",
        True,
        id="hpkp",
    ),
    pytest.param(
        respond({"feature-policy": "camera 'none'"}), {}, "header.deprecated", True, id="fp"
    ),
    pytest.param(
        respond({"x-xss-protection": "1; mode=block"}),
        {},
        "header.deprecated",
        False,
        id="xxp-1-not-deprecated",
    ),
    pytest.param(
        respond({"x-xss-protection": "1; mode=block"}),
        {},
        "header.x-xss-protection",
        True,
        id="xxp-1",
    ),
    pytest.param(
        respond({"x-xss-protection": "0"}), {}, "header.x-xss-protection", False, id="xxp-0"
    ),
    pytest.param(respond(), {}, "header.deprecated", False, id="no-deprecated"),
]


@pytest.mark.parametrize(("response", "options", "rule_id", "expected"), CASES)
def test_rule(
    response: httpx.Response, options: dict[str, Any], rule_id: str, expected: bool
) -> None:
    findings = headers.evaluate(response, **options)
    assert (rule_id in ids(findings)) is expected, findings


def test_every_id_is_tested_both_ways() -> None:
    tested = {(case.values[2], case.values[3]) for case in CASES}
    for rule_id in IDS:
        assert (rule_id, True) in tested, rule_id
        assert (rule_id, False) in tested, rule_id


def test_hsts_on_plain_http_is_ignored_entirely() -> None:
    response = respond(add=[(HSTS, "max-age=0"), (HSTS, "junk")], url=HTTP)
    assert not {i for i in ids(headers.evaluate(response)) if i.startswith("hsts.")}


def test_hsts_judges_the_first_of_several_headers() -> None:
    response = respond(drop=[HSTS], add=[(HSTS, "max-age=300"), (HSTS, "max-age=63072000")])
    assert ids(headers.evaluate(response)) == {
        "hsts.multiple",
        "hsts.max-age-too-short",
        "hsts.no-include-subdomains",
    }


def test_hsts_disabled_is_not_also_too_short() -> None:
    assert ids(headers.evaluate(respond({HSTS: "max-age=0"}))) == {"hsts.disabled"}


def test_hsts_evidence_quotes_the_value_and_the_reason() -> None:
    (finding,) = headers.evaluate(respond({HSTS: "max-age=1; max-age=2"}))
    assert finding.id == "hsts.invalid"
    assert "Strict-Transport-Security: max-age=1; max-age=2" in finding.evidence
    assert "more than once" in finding.evidence
    assert finding.url == HTTPS


def test_missing_evidence_says_absent() -> None:
    (finding,) = headers.evaluate(respond(drop=[HSTS]))
    assert "absent" in finding.evidence


@pytest.mark.parametrize(
    ("policy", "severity"),
    [
        ("unsafe-url", Severity.MEDIUM),
        ("no-referrer-when-downgrade", Severity.MEDIUM),
        ("origin", Severity.LOW),
        ("origin-when-cross-origin", Severity.LOW),
    ],
)
def test_referrer_severity_by_what_leaks(policy: str, severity: Severity) -> None:
    (finding,) = headers.evaluate(respond({"referrer-policy": policy}))
    assert finding.severity is severity
    assert finding.evidence == f"Referrer-Policy: {policy}"


def test_referrer_evidence_names_the_effective_token_of_a_list() -> None:
    (finding,) = headers.evaluate(respond({"referrer-policy": "no-referrer, unsafe-url"}))
    assert finding.evidence == "Referrer-Policy: no-referrer, unsafe-url (effective: unsafe-url)"


def test_invalid_xfo_matters_less_behind_frame_ancestors() -> None:
    plain = headers.evaluate(respond({XFO: "ALLOW-FROM https://p.test"}))
    covered = headers.evaluate(
        respond({XFO: "ALLOW-FROM https://p.test", CSP: "frame-ancestors https://p.test"})
    )
    assert [f.severity for f in plain] == [Severity.MEDIUM]
    assert [f.severity for f in covered] == [Severity.LOW]


def test_one_deprecated_finding_per_header_naming_it() -> None:
    response = respond(
        {"expect-ct": "max-age=0", "feature-policy": "camera 'none'", "x-xss-protection": "1"}
    )
    evidence = sorted((f.id, f.evidence) for f in headers.evaluate(response))
    assert evidence == [
        ("header.deprecated", "Expect-CT: max-age=0"),
        ("header.deprecated", "Feature-Policy: camera 'none'"),
        ("header.x-xss-protection", "X-XSS-Protection: 1"),
    ]


def test_the_seeds_x_xss_protection_is_info_and_never_fails_by_default() -> None:
    """Three seeds recommend X-XSS-Protection: 1; mode=block: obsolete, not a defect."""
    [finding] = headers.evaluate(respond({"x-xss-protection": "1; mode=block"}))
    assert (finding.id, finding.severity) == ("header.x-xss-protection", Severity.INFO)


@pytest.mark.parametrize(("page", "stripe"), [("<p>hi</p>", False), (STRIPE_PAGE, True)])
def test_permissions_policy_missing_is_low_and_advises_stripe_payments(
    page: str, stripe: bool
) -> None:
    response = respond(drop=["permissions-policy"], text=page)
    [finding] = [f for f in headers.evaluate(response) if f.id == "permissions-policy.missing"]
    assert finding.severity == Severity.LOW
    assert ('payment=(self "https://js.stripe.com")' in finding.evidence) is stripe
    assert "payment=()" not in finding.remediation.split("Not payment=()")[0]


def test_api_profile_keeps_transport_and_sniffing_checks() -> None:
    response = respond(JSON, drop=[HSTS, XFO, "x-content-type-options", "permissions-policy"])
    assert ids(headers.evaluate(response, api=True)) == {"hsts.missing", "xcto.missing"}


def test_response_without_request_is_judged_as_https() -> None:
    response = httpx.Response(200, headers={"content-type": "text/html"})
    found = headers.evaluate(response)
    assert "hsts.missing" in ids(found)
    assert all(f.url is None for f in found)
