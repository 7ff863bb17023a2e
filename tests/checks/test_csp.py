"""The CSP parser and evaluator, on plain header values."""

from __future__ import annotations

import dataclasses

import pytest

from pytest_prodready.checks import csp
from pytest_prodready.checks.csp import (
    evaluate,
    evaluate_nonce_reuse,
    evaluate_response,
    nonces,
    parse,
)
from pytest_prodready.checks.csp_parse import Problem, SourceKind, parse_list
from pytest_prodready.core.findings import CATALOGUE, Finding, Rule, Severity

HTTPS = "https://app.example.com/"
HTTP = "http://app.example.com/"
NONCE = "'nonce-r4nd0mN0nce'"
# A strict policy as Google recommends it, with every directive the checks ask for.
STRONG = (
    f"script-src {NONCE} 'strict-dynamic' https: 'unsafe-inline'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'self'; form-action 'self'; report-uri /csp; report-to csp"
)
API_POLICY = "default-src 'none'; frame-ancestors 'none'"

IDS = {
    "csp.missing": Severity.HIGH,
    "csp.report-only": Severity.HIGH,
    "csp.invalid": Severity.MEDIUM,
    "csp.unknown-directive": Severity.LOW,
    "csp.missing-semicolon": Severity.MEDIUM,
    "csp.invalid-keyword": Severity.MEDIUM,
    "csp.script-unsafe-inline": Severity.HIGH,
    "csp.script-unsafe-eval": Severity.MEDIUM,
    "csp.script-unsafe-hashes": Severity.LOW,
    "csp.script-wildcard": Severity.HIGH,
    "csp.script-plain-scheme": Severity.HIGH,
    "csp.script-allowlist-bypass": Severity.HIGH,
    "csp.object-allowlist-bypass": Severity.HIGH,
    "csp.script-src-missing": Severity.HIGH,
    "csp.object-src-missing": Severity.HIGH,
    "csp.base-uri-missing": Severity.HIGH,
    "csp.frame-ancestors-missing": Severity.LOW,
    "csp.frame-ancestors-unexpected": Severity.MEDIUM,
    "csp.form-action-missing": Severity.LOW,
    "csp.style-unsafe-inline": Severity.LOW,
    "csp.insecure-scheme": Severity.MEDIUM,
    "csp.nonce-too-short": Severity.MEDIUM,
    "csp.nonce-charset": Severity.LOW,
    "csp.nonce-reused": Severity.HIGH,
    "csp.strict-dynamic-missing": Severity.LOW,
    "csp.strict-dynamic-standalone": Severity.MEDIUM,
    "csp.unsafe-inline-fallback-missing": Severity.INFO,
    "csp.allowlist-fallback-missing": Severity.INFO,
    "csp.ip-source": Severity.INFO,
    "csp.src-http": Severity.LOW,
    "csp.deprecated-directive": Severity.INFO,
    "csp.reporting-missing": Severity.INFO,
    "csp.report-to-only": Severity.INFO,
}


def ids(findings: list[Finding]) -> set[str]:
    return {f.id for f in findings}


def only(findings: list[Finding], finding_id: str) -> Finding:
    matching = [f for f in findings if f.id == finding_id]
    assert len(matching) == 1, matching
    return matching[0]


# id: [(a policy that yields it, a close one that does not), ...]; the page is HTTPS.
BOTH_WAYS: dict[str, list[tuple[str, str]]] = {
    "csp.invalid": [
        ("!!!", "default-src 'self'"),
        ("", "default-src 'none'"),
        ("script-src: 'self'", "script-src 'self'"),
        ("script-src 'self'; script-src 'none'", "script-src 'self'"),
        ("script-src https://exa$mple.com", "script-src https://example.com"),
        ("script-src *://*", "script-src https://*.example.com"),
    ],
    "csp.unknown-directive": [
        ("scirpt-src 'self'", "script-src 'self'"),
        ("default-src 'self'; foo bar", "default-src 'self'"),
    ],
    "csp.missing-semicolon": [
        ("script-src 'self' object-src 'none'", "script-src 'self'; object-src 'none'"),
        (
            "upgrade-insecure-requests script-src 'self'",
            "upgrade-insecure-requests; script-src 'self'",
        ),
    ],
    "csp.invalid-keyword": [
        ("script-src self", "script-src 'self'"),
        ("script-src 'self", "script-src 'self'"),
        ("script-src 'nonce'", "script-src 'nonce-abcdefgh12'"),
        ("script-src 'nonce-'", "script-src 'nonce-abcdefgh12'"),
        ("script-src 'unsafe-inlin'", "script-src 'unsafe-inline'"),
        ("script-src nonce-abcdefgh12", "script-src 'nonce-abcdefgh12'"),
        ("script-src sha256-AAAA=", "script-src 'sha256-AAAA='"),
        ("script-src 'sha1-AAAA='", "script-src 'sha384-AAAA='"),
        ("script-src 'none' 'self'", "script-src 'none'"),
        ("frame-ancestors 'unsafe-inline'", "frame-ancestors 'self'"),
        # csp-evaluator checks/parser_checks_test.ts 'CheckInvalidKeywordMalformedNonce'
        ("script-src 'nonce-invalid$'", "script-src 'nonce-valid+/_-='"),
        # csp-evaluator checks/parser_checks_test.ts 'CheckInvalidKeywordMalformedHash'
        ("script-src 'sha256-invalid$'", "script-src 'sha256-valid+/='"),
    ],
    "csp.script-unsafe-inline": [
        (
            "script-src 'self' 'unsafe-inline'",
            "script-src 'self' 'unsafe-inline' 'nonce-abcdefgh12'",
        ),
        ("script-src 'unsafe-inline'", "script-src 'unsafe-inline' 'sha256-AAAA='"),
        ("script-src 'unsafe-inline'", "script-src 'unsafe-inline' 'strict-dynamic'"),
        ("default-src 'unsafe-inline'", "default-src 'unsafe-inline'; script-src 'self'"),
        (
            "script-src 'self'; script-src-attr 'unsafe-inline'",
            "script-src 'self'; script-src-attr 'none'",
        ),
        (
            "script-src 'unsafe-inline' 'nonce-abc$defgh'",
            "script-src 'unsafe-inline' 'nonce-abcdefgh'",
        ),
        ("SCRIPT-SRC 'UNSAFE-INLINE'", "SCRIPT-SRC 'SELF'"),
    ],
    "csp.script-unsafe-eval": [
        ("script-src 'self' 'unsafe-eval'", "script-src 'self' 'wasm-unsafe-eval'"),
        (
            f"script-src {NONCE} 'strict-dynamic' 'unsafe-eval'",
            f"script-src {NONCE} 'strict-dynamic'",
        ),
        ("default-src 'unsafe-eval'", "script-src 'self'; script-src-elem 'self' 'unsafe-eval'"),
    ],
    "csp.script-unsafe-hashes": [
        ("script-src 'unsafe-hashes' 'sha256-AAAA='", "script-src 'sha256-AAAA='"),
    ],
    "csp.script-wildcard": [
        ("script-src *", "script-src 'self'"),
        ("default-src https://*", "default-src https://*.example.com"),
        ("script-src *", f"script-src {NONCE} 'strict-dynamic' *"),
    ],
    "csp.script-plain-scheme": [
        ("script-src https:", "script-src https://cdn.example.com"),
        ("script-src 'self' data:", "script-src 'self'; img-src data:"),
        ("default-src http:", f"default-src {NONCE} 'strict-dynamic' http:"),
    ],
    "csp.script-allowlist-bypass": [
        ("script-src https://cdnjs.cloudflare.com", "script-src https://cdn.example.com"),
        ("script-src *.googleapis.com", "script-src *.example.com"),
        ("script-src www.google.com", "script-src www.google.com:8443"),
        ("script-src accounts.google.com", "script-src accounts.example.com"),
        (
            "script-src https://ajax.googleapis.com/ajax/libs/angularjs/",
            "script-src https://ajax.googleapis.com/ajax/libs/jquery/",
        ),
        (
            "script-src www.googletagmanager.com 'unsafe-eval'",
            "script-src www.googletagmanager.com",
        ),
        (
            "script-src https://cdnjs.cloudflare.com",
            f"script-src {NONCE} 'strict-dynamic' https://cdnjs.cloudflare.com",
        ),
    ],
    "csp.object-allowlist-bypass": [
        ("object-src *", "object-src 'none'"),
        ("object-src https: data:", "object-src 'self'"),
        ("object-src ajax.googleapis.com", "object-src cdn.example.com"),
        ("default-src *", "default-src *; object-src 'none'"),
    ],
    "csp.script-src-missing": [
        ("object-src 'none'", "object-src 'none'; script-src 'self'"),
        ("script-src-elem 'self'", "default-src 'self'"),
    ],
    "csp.object-src-missing": [
        ("script-src 'self'", "script-src 'self'; object-src 'none'"),
        ("default-src 'self'", "default-src 'none'"),
        ("default-src 'self'", "default-src 'self'; object-src"),
    ],
    "csp.base-uri-missing": [
        ("script-src 'nonce-abcdefgh12'", "script-src 'nonce-abcdefgh12'; base-uri 'none'"),
        (
            "script-src 'nonce-abcdefgh12'; base-uri *",
            "script-src 'nonce-abcdefgh12'; base-uri 'self'",
        ),
    ],
    "csp.frame-ancestors-missing": [
        ("default-src 'self'", "default-src 'self'; frame-ancestors 'none'"),
        ("frame-ancestors *", "frame-ancestors https://partner.example.com"),
    ],
    "csp.form-action-missing": [
        ("default-src 'self'", "default-src 'self'; form-action 'self'"),
        ("form-action https:", "form-action https://pay.example.com"),
    ],
    "csp.style-unsafe-inline": [
        ("style-src 'unsafe-inline'", "style-src 'unsafe-inline' 'nonce-abcdefgh12'"),
        ("default-src 'self' 'unsafe-inline'", "default-src 'self'; script-src 'unsafe-inline'"),
    ],
    "csp.insecure-scheme": [
        ("default-src 'self'; img-src http:", "default-src 'self'; img-src https:"),
        ("default-src 'self'; connect-src ws:", "default-src 'self'; connect-src wss:"),
        (
            "default-src 'self' ftp://files.example.com",
            "default-src 'self' https://files.example.com",
        ),
    ],
    "csp.nonce-too-short": [
        ("script-src 'nonce-abc'", "script-src 'nonce-abcdefgh'"),
    ],
    "csp.nonce-charset": [
        ("script-src 'nonce-abc$defgh'", "script-src 'nonce-abc-_+/=='"),
    ],
    "csp.strict-dynamic-missing": [
        (
            "script-src 'nonce-abcdefgh12' https://cdn.example.com",
            "script-src 'nonce-abcdefgh12' 'strict-dynamic' https://cdn.example.com",
        ),
        ("script-src 'self' https:", "script-src 'self'"),
    ],
    "csp.unsafe-inline-fallback-missing": [
        (
            f"script-src {NONCE} 'strict-dynamic' https:",
            f"script-src {NONCE} 'strict-dynamic' https: 'unsafe-inline'",
        ),
        (
            "script-src 'sha256-AAAA=' 'strict-dynamic' https:",
            "script-src 'sha256-AAAA=' 'strict-dynamic' https: 'unsafe-inline'",
        ),
        # csp-evaluator checks/strictcsp_checks_test.ts 'CheckUnsafeInlineFallback' and
        # 'CheckUnsafeInlineFallbackDoesntFireIfFallbackPresent': no 'strict-dynamic' needed
        ("script-src 'nonce-test'", "script-src 'nonce-test' 'unsafe-inline'"),
        ("script-src 'sha256-AAAA='", "script-src 'sha256-AAAA=' 'unsafe-inline'"),
    ],
    "csp.strict-dynamic-standalone": [
        # csp-evaluator checks/strictcsp_checks_test.ts 'CheckStrictDynamicNotStandalone' and
        # '...DoesntFireIfNoncePresent'
        ("script-src 'strict-dynamic'", "script-src 'strict-dynamic' 'nonce-foobar'"),
        # mdn-http-observatory test/csp.test.js 'header invalid' and 'strict dynamic'
        (
            "default-src 'none'; script-src 'strict-dynamic'",
            "default-src 'none'; script-src 'strict-dynamic' 'sha256-abc123'",
        ),
        ("default-src 'strict-dynamic'", "default-src 'strict-dynamic' 'nonce-abcdefgh12'"),
        # a malformed nonce is no nonce: browsers ignore it
        (
            "script-src 'strict-dynamic' 'nonce-abc$defgh'",
            "script-src 'strict-dynamic' 'nonce-abcdefgh'",
        ),
    ],
    "csp.allowlist-fallback-missing": [
        (
            f"script-src {NONCE} 'strict-dynamic' 'unsafe-inline'",
            f"script-src {NONCE} 'strict-dynamic' 'unsafe-inline' https:",
        ),
    ],
    "csp.ip-source": [
        ("script-src 127.0.0.1", "script-src localhost"),
        ("img-src https://10.0.0.1:8443/x", "img-src https://10.example.com"),
        ("connect-src [::1]:8080", "connect-src example.com:8080"),
    ],
    "csp.src-http": [
        ("script-src http://cdn.example.com", "script-src https://cdn.example.com"),
        (
            "default-src 'self'; report-uri http://r.example.com/csp",
            "default-src 'self'; report-uri https://r.example.com/csp",
        ),
    ],
    "csp.deprecated-directive": [
        (
            "default-src 'self'; block-all-mixed-content",
            "default-src 'self'; upgrade-insecure-requests",
        ),
        ("default-src 'self'; plugin-types application/pdf", "default-src 'self'"),
        ("default-src 'self'; prefetch-src 'self'", "default-src 'self'"),
        ("default-src 'self'; referrer no-referrer", "default-src 'self'"),
        ("default-src 'self'; reflected-xss block", "default-src 'self'"),
        ("default-src 'self'; disown-opener", "default-src 'self'"),
    ],
    "csp.reporting-missing": [
        ("default-src 'self'", "default-src 'self'; report-uri /csp"),
        ("default-src 'self'", "default-src 'self'; report-to csp"),
    ],
    "csp.report-to-only": [
        ("default-src 'self'; report-to csp", "default-src 'self'; report-to csp; report-uri /csp"),
    ],
}


@pytest.mark.parametrize(
    ("finding_id", "bad", "good"),
    [
        pytest.param(finding_id, bad, good, id=f"{finding_id}:{bad[:40]}")
        for finding_id, cases in BOTH_WAYS.items()
        for bad, good in cases
    ],
)
def test_finding_both_ways(finding_id: str, bad: str, good: str) -> None:
    found = evaluate([bad], page_url=HTTPS)
    assert finding_id in ids(found)
    assert finding_id not in ids(evaluate([good], page_url=HTTPS))
    for f in found:
        assert f.evidence
        assert f.url == HTTPS


def test_every_id_is_declared_and_tested() -> None:
    declared = {r.id for r in vars(csp).values() if isinstance(r, Rule)}
    assert declared == set(IDS)
    assert declared <= {k for k in CATALOGUE if k.startswith("csp.")}
    assert {k: CATALOGUE[k].severity for k in IDS} == IDS
    for k in IDS:
        assert CATALOGUE[k].title
        assert CATALOGUE[k].remediation
    special = {
        "csp.missing",
        "csp.report-only",
        "csp.nonce-reused",
        "csp.frame-ancestors-unexpected",  # evaluate_framing, tested both ways below
    }
    assert set(BOTH_WAYS) | special == declared


def test_strong_policy_has_no_findings() -> None:
    assert evaluate([STRONG], page_url=HTTPS) == []
    assert evaluate_response([STRONG], [], page_url=HTTPS) == []


@pytest.mark.parametrize(
    ("policy", "evidence"),
    [
        ("script-src 'self' 'unsafe-inline'", "script-src 'self' 'unsafe-inline'"),
        ("Script-Src 'SELF' 'Unsafe-Inline'", "Script-Src 'SELF' 'Unsafe-Inline'"),
        ("default-src  'unsafe-inline'\t", "default-src 'unsafe-inline'"),
    ],
)
def test_evidence_quotes_the_directive_as_written(policy: str, evidence: str) -> None:
    assert only(evaluate([policy]), "csp.script-unsafe-inline").evidence == evidence


# --- the strict-CSP semantics -------------------------------------------------------------


def test_nonce_and_strict_dynamic_neutralise_the_allowlist() -> None:
    found = ids(evaluate([f"script-src {NONCE} 'strict-dynamic' https: 'unsafe-inline'"]))
    for finding_id in (
        "csp.script-unsafe-inline",
        "csp.script-plain-scheme",
        "csp.script-allowlist-bypass",
        "csp.strict-dynamic-missing",
        "csp.unsafe-inline-fallback-missing",
        "csp.allowlist-fallback-missing",
    ):
        assert finding_id not in found


def test_without_strict_dynamic_the_scheme_counts() -> None:
    found = ids(evaluate([f"script-src {NONCE} https: 'unsafe-inline'"]))
    assert "csp.script-plain-scheme" in found
    assert "csp.script-unsafe-inline" not in found  # the nonce still switches it off


@pytest.mark.parametrize(
    ("policy", "severity"),
    [
        (f"script-src {NONCE}", Severity.HIGH),
        ("script-src 'sha256-AAAA=' 'strict-dynamic'", Severity.HIGH),
        ("script-src 'sha256-AAAA='", Severity.INFO),
        ("script-src 'self'", Severity.INFO),
    ],
)
def test_base_uri_matters_only_for_nonces_and_strict_hashes(
    policy: str, severity: Severity
) -> None:
    assert only(evaluate([policy]), "csp.base-uri-missing").severity is severity


def test_flash_bypass_is_medium_and_wildcard_object_high() -> None:
    assert only(
        evaluate(["object-src ajax.googleapis.com"]), "csp.object-allowlist-bypass"
    ).severity is (Severity.MEDIUM)
    assert only(evaluate(["object-src *"]), "csp.object-allowlist-bypass").severity is Severity.HIGH


def test_cleartext_images_are_info_scripts_medium() -> None:
    # Observatory passes cleartext passive content (test/csp.test.js 'insecure scheme in
    # passive content only'): info, not low.
    passive = only(
        evaluate(["default-src 'self'; img-src http:"], page_url=HTTPS), "csp.insecure-scheme"
    )
    assert passive.severity is Severity.INFO
    active = only(evaluate(["default-src 'self' http:"], page_url=HTTPS), "csp.insecure-scheme")
    assert active.severity is Severity.MEDIUM


@pytest.mark.parametrize(("page_url", "expected"), [(HTTPS, True), (HTTP, False), (None, False)])
def test_insecure_scheme_only_on_https_pages(page_url: str | None, expected: bool) -> None:
    found = evaluate(["default-src 'self'; connect-src http:"], page_url=page_url)
    assert ("csp.insecure-scheme" in ids(found)) is expected


def test_report_uri_over_http_is_medium() -> None:
    found = evaluate(["default-src 'self'; report-uri http://r.example.com/csp"])
    assert only(found, "csp.src-http").severity is Severity.MEDIUM


# --- several policies ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policies", "present", "absent"),
    [
        # any enforced policy that blocks inline script protects
        (["script-src 'unsafe-inline'", f"script-src {NONCE}"], [], ["csp.script-unsafe-inline"]),
        (["script-src 'unsafe-inline', script-src 'self'"], [], ["csp.script-unsafe-inline"]),
        # a policy that leaves scripts alone blocks nothing
        (
            ["script-src 'unsafe-inline'", "img-src 'self'"],
            ["csp.script-unsafe-inline"],
            ["csp.script-src-missing"],
        ),
        (
            ["script-src 'unsafe-inline'", "script-src 'self' 'unsafe-inline'"],
            ["csp.script-unsafe-inline"],
            [],
        ),
        # the allowed script URLs are the intersection of the policies
        (["script-src *", "script-src 'self'"], [], ["csp.script-wildcard"]),
        (
            ["script-src https://cdnjs.cloudflare.com", "script-src https:"],
            ["csp.script-allowlist-bypass"],
            ["csp.script-plain-scheme"],
        ),
        (
            ["script-src https://cdnjs.cloudflare.com", "script-src https://www.google.com"],
            [],
            ["csp.script-allowlist-bypass"],
        ),
        (
            ["script-src data:", "script-src *"],
            [],
            ["csp.script-plain-scheme", "csp.script-wildcard"],
        ),
        (["object-src 'none'", "script-src 'self'"], [], ["csp.object-src-missing"]),
        (["script-src 'self'", "frame-ancestors 'none'"], [], ["csp.frame-ancestors-missing"]),
        (["default-src 'self'; img-src http:", "default-src 'self'"], [], ["csp.insecure-scheme"]),
        (["default-src http:", "default-src 'self'; img-src http:"], ["csp.insecure-scheme"], []),
        # a void policy enforces nothing, so it blocks nothing either
        (["!!!", "script-src 'unsafe-inline'"], ["csp.script-unsafe-inline", "csp.invalid"], []),
    ],
)
def test_enforced_policies_combine(
    policies: list[str], present: list[str], absent: list[str]
) -> None:
    found = ids(evaluate(policies, page_url=HTTPS))
    assert set(present) <= found
    assert not set(absent) & found


def test_a_shared_weakness_is_reported_once() -> None:
    found = evaluate(["script-src *", "script-src https:"])
    assert [f.evidence for f in found if f.id.startswith("csp.script-")] == ["script-src *"]
    found = evaluate(["default-src 'self'", "default-src 'self'"])
    assert len([f for f in found if f.id == "csp.frame-ancestors-missing"]) == 1


def test_void_policy_is_high_only_when_nothing_is_enforced() -> None:
    assert only(evaluate(["!!!"]), "csp.invalid").severity is Severity.HIGH
    assert only(evaluate(["!!!", "default-src 'self'"]), "csp.invalid").severity is Severity.MEDIUM


def test_first_duplicate_directive_wins() -> None:
    weak_first = evaluate(["script-src 'unsafe-inline'; SCRIPT-SRC 'self'"])
    assert {"csp.script-unsafe-inline", "csp.invalid"} <= ids(weak_first)
    assert (
        "repeated directive, ignored: SCRIPT-SRC 'self'" in only(weak_first, "csp.invalid").evidence
    )
    strong_first = evaluate(["script-src 'self'; script-src 'unsafe-inline'"])
    assert "csp.script-unsafe-inline" not in ids(strong_first)
    assert "csp.invalid" in ids(strong_first)


# --- report-only, missing, API profile ---------------------------------------------------


def test_no_header_at_all_is_missing() -> None:
    (found,) = evaluate_response([], [], page_url=HTTPS)
    assert (found.id, found.severity, found.url) == ("csp.missing", Severity.HIGH, HTTPS)


def test_report_only_is_not_enforcement() -> None:
    (found,) = evaluate_response([], [STRONG], page_url=HTTPS)
    assert (found.id, found.severity) == ("csp.report-only", Severity.HIGH)
    assert "csp.missing" not in ids(evaluate_response([], [STRONG]))
    assert evaluate_response([STRONG], ["script-src 'unsafe-inline'"], page_url=HTTPS) == []
    weak = evaluate_response(["script-src 'unsafe-inline'"], [STRONG], page_url=HTTPS)
    assert "csp.script-unsafe-inline" in ids(weak)
    assert "csp.report-only" not in ids(weak)


def test_report_only_policies_evaluate_with_the_same_ids() -> None:
    weak = "script-src 'unsafe-inline'"
    assert ids(evaluate([weak], report_only=True)) == ids(evaluate([weak]))
    # a report-only policy that reports nowhere does nothing at all
    assert only(evaluate([weak], report_only=True), "csp.reporting-missing").severity is (
        Severity.MEDIUM
    )
    assert only(evaluate([weak]), "csp.reporting-missing").severity is Severity.INFO


def test_api_profile() -> None:
    (missing,) = evaluate_response([], [], api=True)
    assert (missing.id, missing.severity) == ("csp.missing", Severity.LOW)
    assert "default-src 'none'; frame-ancestors 'none'" in missing.remediation
    (report_only,) = evaluate_response([], [API_POLICY], api=True)
    assert (report_only.id, report_only.severity) == ("csp.report-only", Severity.LOW)
    assert evaluate_response([API_POLICY], [], api=True) == []
    # no frame, form, object or base-uri noise for a JSON response
    assert evaluate_response(["default-src 'self'"], [], api=True) == []
    assert "csp.frame-ancestors-missing" in ids(evaluate_response(["default-src 'self'"], []))
    weak = evaluate_response(["default-src 'self' 'unsafe-inline'; scirpt-src x"], [], api=True)
    assert ids(weak) == {"csp.script-unsafe-inline", "csp.unknown-directive"}
    assert all(f.severity <= Severity.LOW for f in weak)


def test_evaluate_without_policies_is_missing() -> None:
    assert ids(evaluate([])) == {"csp.missing"}


# --- nonces -------------------------------------------------------------------------------


def test_nonces_are_collected_case_preserved() -> None:
    headers = ["script-src 'nonce-AbC123xyZ' 'self', style-src 'NONCE-q+/w=' 'nonce-bad$'"]
    assert nonces(headers) == {"AbC123xyZ", "q+/w=", "bad$"}
    assert nonces(["default-src 'self'"]) == set()


def test_nonce_reuse_both_ways() -> None:
    first = ["script-src 'nonce-Zm9vYmFyYmF6' 'strict-dynamic'; object-src 'none'"]
    (found,) = evaluate_nonce_reuse(first, list(first), page_url=HTTPS)
    assert (found.id, found.severity, found.url) == ("csp.nonce-reused", Severity.HIGH, HTTPS)
    assert "'nonce-Zm9vYmFyYmF6'" in found.evidence
    fresh = ["script-src 'nonce-cXV4cXV4cXV4' 'strict-dynamic'; object-src 'none'"]
    assert evaluate_nonce_reuse(first, fresh) == []
    assert evaluate_nonce_reuse(["default-src 'self'"], ["default-src 'self'"]) == []
    # nonces are case-sensitive
    assert (
        evaluate_nonce_reuse(["script-src 'nonce-abcdefgh'"], ["script-src 'nonce-ABCDEFGH'"]) == []
    )


# --- the parser ---------------------------------------------------------------------------


def test_parse_keeps_what_the_browser_keeps() -> None:
    raw = (
        " Default-Src 'self'; SCRIPT-SRC 'Nonce-Q1w2E3r4' https://CDN.example.com:443/Lib/;"
        " script-src *; ;"
    )
    policy = parse(raw)
    assert policy.raw == raw.strip()
    assert [d.name for d in policy.directives] == ["default-src", "script-src"]
    assert [d.raw for d in policy.duplicates] == ["script-src *"]
    script = policy.get("script-src")
    assert script is not None
    assert script.raw == "SCRIPT-SRC 'Nonce-Q1w2E3r4' https://CDN.example.com:443/Lib/"
    nonce, host = script.sources
    assert (nonce.kind, nonce.value) == (SourceKind.NONCE, "Q1w2E3r4")
    assert (host.kind, host.scheme, host.host, host.port, host.path) == (
        SourceKind.HOST,
        "https",
        "cdn.example.com",
        "443",
        "/Lib/",
    )
    assert policy.effective("object-src") is policy.get("default-src")
    assert policy.effective("script-src-elem") is script
    assert policy.effective("frame-ancestors") is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.raw = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("token", "kind", "problem"),
    [
        ("'self'", SourceKind.KEYWORD, None),
        ("'STRICT-DYNAMIC'", SourceKind.KEYWORD, None),
        ("'sha512-AbC+/9=='", SourceKind.HASH, None),
        ("'nonce-a_b-c'", SourceKind.NONCE, None),
        ("https:", SourceKind.SCHEME, None),
        ("*", SourceKind.HOST, None),
        ("*.example.com", SourceKind.HOST, None),
        ("example.com:*", SourceKind.HOST, None),
        ("wss://example.com/path?q=1", SourceKind.HOST, None),
        ("self", SourceKind.INVALID, Problem.UNQUOTED_KEYWORD),
        ("'self", SourceKind.INVALID, Problem.UNBALANCED_QUOTE),
        ("self'", SourceKind.INVALID, Problem.UNBALANCED_QUOTE),
        ("'nonce'", SourceKind.INVALID, Problem.EMPTY_NONCE),
        ("'nonce-a$'", SourceKind.INVALID, Problem.NONCE_CHARSET),
        ("'sha256-!!'", SourceKind.INVALID, Problem.BAD_HASH),
        ("'whatever'", SourceKind.INVALID, Problem.UNKNOWN_KEYWORD),
        ("object-src", SourceKind.INVALID, Problem.DIRECTIVE_NAME),
        ("exa$mple.com", SourceKind.INVALID, Problem.SYNTAX),
    ],
)
def test_source_expressions(token: str, kind: SourceKind, problem: Problem | None) -> None:
    (source,) = parse(f"script-src {token}").directives[0].sources
    assert (source.kind, source.problem) == (kind, problem)


def test_parse_list_splits_policies_and_drops_empty_ones() -> None:
    policies = parse_list(["default-src 'self', , script-src 'none'", "img-src *"])
    assert [p.directives[0].name for p in policies] == ["default-src", "script-src", "img-src"]


def test_empty_source_list_means_none() -> None:
    directive = parse("object-src").directives[0]
    assert directive.allows_nothing
    assert not parse("object-src 'none' 'self'").directives[0].allows_nothing


# --- garbage in, findings out -------------------------------------------------------------


@pytest.mark.parametrize(
    "policy",
    [
        "!!!",
        "",
        " , , ",
        ";;;",
        "\x00\xff\u2603",
        "script-src 'self\u2603'",
        "'self'",
        "default-src " + "'" * 50,
        "script-src *.*",
        "script-src https://*:*",
    ],
)
def test_garbage_never_crashes(policy: str) -> None:
    found = evaluate([policy], page_url=HTTPS)
    assert found
    assert all(f.id in IDS for f in found)


@pytest.mark.parametrize(
    "policy",
    [
        "script-src " + " ".join(f"a{i}.example.com" for i in range(9000)),
        "default-src " + " ".join(f"h{i}" for i in range(30000)),
        ";".join(f"x{i} y" for i in range(12000)),
        ", ".join(["script-src 'self'"] * 6000),
        "script-src " + " ".join(f"'k{i}'" for i in range(12000)),
        "script-src " + "'unsafe-inline' " * 7000 + "*",
        "!" * 100_000,
    ],
    ids=["hosts", "short-hosts", "directives", "policies", "keywords", "repeats", "bangs"],
)
def test_long_policies_give_bounded_findings(policy: str) -> None:
    policy = policy[:100_000]
    found = evaluate([policy], page_url=HTTPS)
    assert found
    assert all(len(f.evidence) < 700 for f in found)
    assert len(found) < 40


def test_long_policy_still_sees_the_last_source() -> None:
    policy = "script-src " + " ".join(f"a{i}.example.com" for i in range(5000)) + " *"
    found = only(evaluate([policy]), "csp.script-wildcard")
    assert found.evidence == "script-src … * …" or found.evidence.endswith("*")


PARTNER = ("https://partner.example.com",)


@pytest.mark.parametrize(
    "policy",
    [
        "frame-ancestors 'self' https://partner.example.com",
        "frame-ancestors 'none'",
        "frame-ancestors https://Partner.example.com/",
        "default-src 'self'",  # no frame-ancestors: X-Frame-Options governs
    ],
)
def test_frame_ancestors_within_the_declared_framing_origins_pass(policy: str) -> None:
    assert csp.evaluate_framing([policy], PARTNER, page_url=HTTPS) == []


@pytest.mark.parametrize(
    ("policy", "extra"),
    [
        ("frame-ancestors 'self' https://partner.example.com https://other.example", "other"),
        ("frame-ancestors *.example.com", "*.example.com"),
        ("frame-ancestors https:", "https:"),
        ("frame-ancestors *", "*"),
    ],
)
def test_frame_ancestors_beyond_the_declared_framing_origins_fail(policy: str, extra: str) -> None:
    (finding,) = csp.evaluate_framing([policy], PARTNER, page_url=HTTPS)
    assert finding.id == "csp.frame-ancestors-unexpected"
    assert extra in finding.evidence
    assert "declared: https://partner.example.com" in finding.evidence


def test_frame_ancestors_are_judged_across_enforced_policies() -> None:
    # The second policy keeps the stranger out: browsers enforce both.
    policies = ["frame-ancestors https://other.example", "frame-ancestors 'self'"]
    assert csp.evaluate_framing(policies, PARTNER, page_url=HTTPS) == []
    both = ["frame-ancestors https://other.example", "frame-ancestors *"]
    assert [f.id for f in csp.evaluate_framing(both, PARTNER)] == ["csp.frame-ancestors-unexpected"]


@pytest.mark.parametrize(
    "source",
    ["https://partner.example.com:443", "https://partner.example.com/embed/"],
)
def test_frame_ancestors_spellings_of_a_declared_origin_pass(source: str) -> None:
    assert csp.evaluate_framing([f"frame-ancestors {source}"], PARTNER, page_url=HTTPS) == []


@pytest.mark.parametrize(
    "source", ["partner.example.com", "https://*.example.com", "http://partner.example.com"]
)
def test_frame_ancestors_broader_than_the_declared_origin_fail(source: str) -> None:
    assert csp.evaluate_framing([f"frame-ancestors {source}"], PARTNER, page_url=HTTPS)


# --- ported from the anchors ----------------------------------------------------------------
# Policy strings and verdicts from google/csp-evaluator (snapshot d5cddb9: checks/*_test.ts,
# lighthouse/lighthouse_checks_test.ts) and mdn/mdn-http-observatory (snapshot 94042bb:
# test/csp.test.js, whose pages are https://mozilla.org). Each case names its test.


def severities(findings: list[Finding], finding_id: str) -> set[Severity]:
    return {f.severity for f in findings if f.id == finding_id}


@pytest.mark.parametrize(
    ("policy", "finding_id"),
    [
        # csp-evaluator checks/security_checks_test.ts 'CheckPlainUrlSchemesInObjectSrc'
        ("object-src data: http: https: sthInvalid:", "csp.object-allowlist-bypass"),
        # ... 'CheckWildcardsInObjectSrc' (its '//*' is no source expression: csp.invalid)
        ("object-src * http://*", "csp.object-allowlist-bypass"),
        # ... 'CheckPlainUrlSchemesMixed'
        ("default-src https:; object-src data: sthInvalid:", "csp.object-allowlist-bypass"),
        ("default-src https:; object-src data: sthInvalid:", "csp.script-plain-scheme"),
        # ... 'CheckWildcardsSchemesMixed'
        ("default-src *; object-src * ignore.me.com", "csp.object-allowlist-bypass"),
        ("default-src *; object-src * ignore.me.com", "csp.script-wildcard"),
        # lighthouse/lighthouse_checks_test.ts 'check wildcards', 'check plain url schemes'
        ("script-src 'none'; object-src *", "csp.object-allowlist-bypass"),
        (
            "script-src 'strict-dynamic' 'nonce-random123' 'unsafe-inline' https:; "
            "base-uri 'none'; object-src https:",
            "csp.object-allowlist-bypass",
        ),
        # security_checks_test.ts 'CheckPlainUrlSchemesInBaseUri', 'CheckWildcardsInBaseUri',
        # on a nonce-based policy, where a broad base-uri re-points the nonced scripts
        (f"script-src {NONCE}; base-uri data: http: https: sthInvalid:", "csp.base-uri-missing"),
        (f"script-src {NONCE}; base-uri * http://*", "csp.base-uri-missing"),
    ],
)
def test_plain_schemes_and_wildcards_in_object_src_and_base_uri_are_high(
    policy: str, finding_id: str
) -> None:
    assert severities(evaluate([policy], page_url=HTTPS), finding_id) == {Severity.HIGH}


@pytest.mark.parametrize(
    "policy",
    [
        # csp-evaluator security_checks_test.ts 'CheckPlainUrlSchemesDangerousDirectivesOK'
        "default-src https:; object-src 'none'; script-src 'none'; base-uri 'none'",
        # ... 'CheckWildcardsDangerousDirectivesOK'
        "default-src *; object-src *.foo.bar; script-src 'none'; base-uri 'none'",
    ],
)
def test_scheme_and_wildcard_outside_the_dangerous_directives_pass(policy: str) -> None:
    found = ids(evaluate([policy], page_url=HTTPS))
    for finding_id in (
        "csp.script-wildcard",
        "csp.script-plain-scheme",
        "csp.object-allowlist-bypass",
        "csp.base-uri-missing",
    ):
        assert finding_id not in found


def test_broad_base_uri_without_nonces_is_info_like_a_missing_one() -> None:
    # Deliberately not csp-evaluator's HIGH for 'base-uri *' on every policy: 'base-uri *'
    # allows exactly what no base-uri allows, and csp-evaluator itself passes a hash-only policy
    # without base-uri (security_checks_test.ts 'CheckMissingDirectivesMissingBaseUriInHashCsp').
    # A re-pointed relative script URL is still vetted by a host allowlist.
    for policy in (
        "script-src 'sha256-123456'; object-src 'none'",
        "script-src 'sha256-123456'; object-src 'none'; base-uri *",
        "script-src 'self'; object-src 'none'; base-uri data: http: https:",
    ):
        assert severities(evaluate([policy]), "csp.base-uri-missing") == {Severity.INFO}


@pytest.mark.parametrize(
    ("policy", "severity"),
    [
        # csp-evaluator security_checks_test.ts 'CheckMissingDirectivesMissingBaseUriInNonceCsp'
        ("script-src 'nonce-123'; object-src 'none'", Severity.HIGH),
        # ... 'CheckMissingDirectivesMissingBaseUriInHashWStrictDynamicCsp'
        ("script-src 'sha256-123456' 'strict-dynamic'; object-src 'none'", Severity.HIGH),
        # ... 'CheckMissingDirectivesMissingBaseUriInHashCsp'
        ("script-src 'sha256-123456'; object-src 'none'", Severity.INFO),
        # no nonce or hash, or 'strict-dynamic' with neither: base-uri protects nothing
        ("script-src 'self'; object-src 'none'", Severity.INFO),
        ("script-src 'strict-dynamic'; object-src 'none'", Severity.INFO),
    ],
)
def test_missing_base_uri_matters_for_nonces_and_strict_hashes(
    policy: str, severity: Severity
) -> None:
    assert severities(evaluate([policy]), "csp.base-uri-missing") == {severity}


def test_none_beside_sources_does_not_hide_an_allowlist_bypass() -> None:
    # Deliberately not csp-evaluator's short-circuit (security_checks_test.ts
    # 'checkScriptAllowlistBypassWithNoneAndJSONPBypass' expects no finding): CSP3 "Does url
    # match source list" (w3c/webappsec-csp index.bs, step 3 and its note) says 'none' has no
    # effect beside other sources, so browsers load *.google.com here and the JSONP bypass works.
    policy = "script-src *.google.com 'none'; script-src-elem *.google.com 'none'"
    found = evaluate([policy])
    assert severities(found, "csp.script-allowlist-bypass") == {Severity.HIGH}
    assert "csp.invalid-keyword" in ids(found)
    assert "csp.script-allowlist-bypass" not in ids(evaluate(["script-src 'none'"]))


def test_malformed_nonce_is_an_invalid_keyword_that_does_not_switch_off_unsafe_inline() -> None:
    # csp-evaluator parser_checks_test.ts 'CheckInvalidKeywordMalformedNonce' (invalid keyword)
    # and security_checks_test.ts 'CheckNonceLengthInvalidCharset' (nonce charset)
    found = evaluate(["script-src 'nonce-invalid$'"])
    assert {"csp.invalid-keyword", "csp.nonce-charset"} <= ids(found)
    assert "'nonce-invalid$'" in only(found, "csp.invalid-keyword").evidence
    assert ids(evaluate(["script-src 'nonce-***notBase64***'"])) >= {"csp.nonce-charset"}
    # ... 'CheckScriptUnsafeInlineWithMalformedNonce', 'CheckScriptUnsafeInlineWithMalformedHash'
    for policy in (
        "script-src 'unsafe-inline' 'nonce-invalid$'",
        "script-src 'unsafe-inline' 'sha256-invalid$'",
    ):
        assert severities(evaluate([policy]), "csp.script-unsafe-inline") == {Severity.HIGH}


@pytest.mark.parametrize(
    "policy",
    [
        # csp-evaluator security_checks_test.ts 'CheckScriptUnsafeInlineWithNonce', its CSP3
        # half (its CSP1 half reports HIGH: see the docstring below)
        "script-src 'unsafe-inline' 'nonce-foobar'; script-src-elem 'unsafe-inline' 'nonce-foobar'",
        # mdn-http-observatory test/csp.test.js 'no unsafe'
        "object-src 'none'; script-src 'unsafe-inline' 'nonce-abc123' 'unsafe-inline'; "
        "style-src 'none'",
        "object-src 'none'; script-src 'strict-dynamic' 'nonce-abc' 'unsafe-inline'; "
        "style-src 'none'",
    ],
)
def test_unsafe_inline_beside_a_nonce_is_the_fallback_not_a_finding(policy: str) -> None:
    """CSP1 browsers (no nonces: none shipped since 2016) would run inline scripts here.

    csp-evaluator reports that only when asked to evaluate as CSP1 (``Version.CSP1``); its
    default CSP3 evaluation notes it at severity NONE, and its strict-CSP checks ask for exactly
    this 'unsafe-inline' (checkUnsafeInlineFallback). Observatory passes it. So: no finding.
    """
    found = ids(evaluate([policy]))
    assert "csp.script-unsafe-inline" not in found
    assert "csp.unsafe-inline-fallback-missing" not in found


@pytest.mark.parametrize(
    "policy",
    [
        # mdn-http-observatory test/csp.test.js 'header invalid'
        "default-src 'none'; script-src 'strict-dynamic'",
        # csp-evaluator strictcsp_checks_test.ts 'CheckStrictDynamicNotStandalone'
        "script-src 'strict-dynamic'",
    ],
)
def test_strict_dynamic_without_nonce_or_hash_blocks_every_script(policy: str) -> None:
    found = evaluate([policy])
    assert severities(found, "csp.strict-dynamic-standalone") == {Severity.MEDIUM}


@pytest.mark.parametrize(
    "policy",
    [
        # mdn-http-observatory test/csp.test.js 'strict dynamic'
        "default-src 'none'; script-src 'strict-dynamic' 'nonce-abc123'",
        "default-src 'none'; script-src 'strict-dynamic' 'sha256-abc123'",
        "default-src 'none'; script-src 'strict-dynamic' 'sha256-abc123' https://*",
        "default-src 'none'; script-src 'strict-dynamic' 'sha256-abc123' 'unsafe-inline'",
    ],
)
def test_strict_dynamic_with_nonce_or_hash_is_valid(policy: str) -> None:
    found = ids(evaluate([policy], page_url=HTTPS))
    assert "csp.strict-dynamic-standalone" not in found
    assert "csp.script-wildcard" not in found  # 'strict-dynamic' drops https://*


@pytest.mark.parametrize(
    "policy",
    [
        # mdn-http-observatory test/csp.test.js 'insecure scheme'
        "default-src http://mozilla.org",
        "default-src 'none'; script-src http://mozilla.org",
        "default-src 'none'; script-src ftp://mozilla.org",
    ],
)
def test_cleartext_active_sources_are_an_insecure_scheme(policy: str) -> None:
    found = evaluate([policy], page_url="https://mozilla.org/")
    assert max(severities(found, "csp.insecure-scheme")) is Severity.MEDIUM
    assert "csp.insecure-scheme" not in ids(evaluate([policy], page_url="http://mozilla.org/"))


@pytest.mark.parametrize(
    "policy",
    [
        # mdn-http-observatory test/csp.test.js 'insecure scheme in passive content only'
        "default-src 'none'; img-src http://mozilla.org",
        "default-src 'self'; img-src ftp:",
        "default-src 'self'; img-src http:",
        "default-src 'none'; img-src https:; media-src http://mozilla.org",
        "default-src 'none'; img-src http: https:; script-src 'self'; style-src 'self'",
        "default-src 'none'; img-src 'none'; media-src http:; script-src 'self'; style-src 'self'",
    ],
)
def test_cleartext_passive_sources_only_are_info(policy: str) -> None:
    found = evaluate([policy], page_url="https://mozilla.org/")
    assert severities(found, "csp.insecure-scheme") == {Severity.INFO}


# (enforced policies, ids present, ids absent): a check passes if any enforced policy passes it.
MULTI_POLICY = [
    # csp-evaluator lighthouse_checks_test.ts 'robust policy and not robust policy'
    (
        [
            "script-src *.google.com; object-src 'none'",
            "script-src 'nonce-aaaaaaaaaa'; base-uri 'none'",
        ],
        [],
        [
            "csp.script-allowlist-bypass",
            "csp.strict-dynamic-missing",
            "csp.object-src-missing",
            "csp.base-uri-missing",
        ],
    ),
    # ... 'split across many policies'
    (
        ["object-src 'none'", "script-src 'nonce-aaaaaaaaaa'", "base-uri 'none'"],
        [],
        ["csp.object-src-missing", "csp.script-src-missing", "csp.base-uri-missing"],
    ),
    # ... 'split across many policies with default-src'
    (
        ["default-src 'none'", "base-uri 'none'"],
        [],
        ["csp.object-src-missing", "csp.script-src-missing", "csp.base-uri-missing"],
    ),
    # ... 'split across many policies some mixed useless policies'
    (
        [
            "object-src 'none'",
            "script-src 'nonce-aaaaaaaaaa'",
            "base-uri 'none'",
            "block-all-mixed-content",
        ],
        [],
        ["csp.object-src-missing", "csp.script-src-missing", "csp.base-uri-missing"],
    ),
    # ... 'split across many policies with allowlist'
    (
        ["object-src 'none'", "script-src 'nonce-aaaaaaaaaa'", "base-uri 'none'", "script-src *"],
        [],
        ["csp.script-wildcard", "csp.strict-dynamic-missing", "csp.base-uri-missing"],
    ),
    # ... 'not robust and not attempt'
    (
        ["block-all-mixed-content", "script-src *.google.com"],
        ["csp.object-src-missing", "csp.strict-dynamic-missing"],
        ["csp.script-src-missing"],
    ),
    # ... 'robust check only CSPs with script-src'
    (
        ["script-src https://example.com", "object-src 'none'"],
        ["csp.strict-dynamic-missing"],
        ["csp.object-src-missing"],
    ),
    # ... 'two not attempt somewhat'
    (
        ["block-all-mixed-content; object-src 'none'", "block-all-mixed-content"],
        ["csp.script-src-missing"],
        ["csp.object-src-missing"],
    ),
    # ... 'check wildcards on multiple'
    (["script-src 'none'; object-src *", "object-src 'none'"], [], ["csp.object-allowlist-bypass"]),
    # ... 'base-uri split across many policies'
    (
        ["script-src 'nonce-aaaaaaaaaaa'; object-src 'none'", "base-uri 'none'"],
        [],
        ["csp.base-uri-missing"],
    ),
    # evaluateForWarnings (union: one policy failing is enough):
    # ... 'missing unsafe-inline fallback split over two policies'
    (
        ["script-src 'nonce-aaaaaaaaaa'", "block-all-mixed-content; report-uri url"],
        ["csp.unsafe-inline-fallback-missing"],
        ["csp.reporting-missing"],
    ),
    # ... 'perfect policy split into three'
    (
        [
            "script-src 'nonce-aaaaaaaaaa' 'unsafe-inline' http: https:; report-uri url; "
            "base-uri 'none'; ",
            "block-all-mixed-content",
            "object-src 'none'",
        ],
        [],
        ["csp.unsafe-inline-fallback-missing", "csp.allowlist-fallback-missing"],
    ),
]


@pytest.mark.parametrize(("policies", "present", "absent"), MULTI_POLICY)
def test_a_check_passes_if_any_enforced_policy_passes_it(
    policies: list[str], present: list[str], absent: list[str]
) -> None:
    found = ids(evaluate(policies))
    assert set(present) <= found
    assert not set(absent) & found


@pytest.mark.parametrize(
    "policies",
    [
        # csp-evaluator lighthouse_checks_test.ts 'base-uri not set in either policy': the
        # verdict is the set's (checkMultipleMissingBaseUriDirective: some policy needs it,
        # none has it), whatever order the policies come in
        ["script-src 'nonce-aaaaaaaaaaa'; object-src 'none'", "block-all-mixed-content"],
        ["block-all-mixed-content", "script-src 'nonce-aaaaaaaaaaa'; object-src 'none'"],
        ["img-src 'self'", f"script-src {NONCE}"],
    ],
)
def test_base_uri_severity_is_the_enforced_sets(policies: list[str]) -> None:
    assert severities(evaluate(policies), "csp.base-uri-missing") == {Severity.HIGH}


# --- which responses CSP governs ------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "judged"),
    [
        # mdn-http-observatory src/types.js HTML_TYPES: text/html and application/xhtml+xml
        ("text/html; charset=utf-8", True),
        ("TEXT/HTML", True),
        ("application/xhtml+xml", True),
        # no type at all: browsers sniff it, and it may well render as HTML
        ("", True),
        (None, True),
        ("text/css", False),
        ("text/css; charset=utf-8", False),
        ("application/javascript", False),
        ("image/png", False),
        ("font/woff2", False),
    ],
)
def test_csp_is_judged_on_documents_only(content_type: str | None, judged: bool) -> None:
    missing = evaluate_response([], [], page_url=HTTPS, content_type=content_type)
    assert ("csp.missing" in ids(missing)) is judged
    weak = evaluate_response(["script-src *"], [], page_url=HTTPS, content_type=content_type)
    assert bool(weak) is judged


def test_a_json_api_keeps_its_profile_whatever_its_content_type() -> None:
    for content_type in ("application/json", "application/problem+json", None):
        (missing,) = evaluate_response([], [], api=True, content_type=content_type)
        assert (missing.id, missing.severity) == ("csp.missing", Severity.LOW)
        assert evaluate_response([API_POLICY], [], api=True, content_type=content_type) == []


# --- X-Frame-Options already forbids framing ------------------------------------------------

NO_FRAME_ANCESTORS = (
    "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; report-uri /csp"
)


@pytest.mark.parametrize(
    ("x_frame_options", "severity"),
    [
        ("DENY", Severity.INFO),
        ("SAMEORIGIN", Severity.INFO),
        ("sameorigin", Severity.INFO),
        # the HTML standard's X-Frame-Options processing: several values that include deny,
        # sameorigin or allowall block framing; ALLOW-FROM and unknown values do not
        ("DENY, SAMEORIGIN", Severity.INFO),
        ("ALLOW-FROM https://partner.example.com", Severity.LOW),
        ("ALLOWALL", Severity.LOW),
        ("nonsense", Severity.LOW),
        ("", Severity.LOW),
        (None, Severity.LOW),
    ],
)
def test_x_frame_options_makes_a_missing_frame_ancestors_info(
    x_frame_options: str | None, severity: Severity
) -> None:
    found = evaluate_response([NO_FRAME_ANCESTORS], [], x_frame_options=x_frame_options)
    assert severities(found, "csp.frame-ancestors-missing") == {severity}


@pytest.mark.parametrize(
    "policies",
    [
        ["default-src 'self'; frame-ancestors *"],
        ["default-src 'self'; frame-ancestors https:"],
        ["default-src 'self'", "img-src 'self'; frame-ancestors *"],
    ],
)
def test_x_frame_options_is_ignored_beside_frame_ancestors(policies: list[str]) -> None:
    # The HTML standard: an enforced policy with frame-ancestors makes browsers skip
    # X-Frame-Options, so 'frame-ancestors *' lets anyone frame the page despite DENY.
    found = evaluate_response(policies, [], x_frame_options="DENY")
    assert severities(found, "csp.frame-ancestors-missing") == {Severity.LOW}


# --- the suite, end to end ------------------------------------------------------------------


def test_suite_judges_documents_and_counts_x_frame_options(pytester: pytest.Pytester) -> None:
    # Issue 14: csp.missing (high) on a stylesheet, and frame-ancestors-missing (low) on a page
    # that X-Frame-Options: DENY already protects.
    from pathlib import Path

    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse, Response
    from starlette.routing import Route

    from tests.servers import serve

    root = Path(__file__).resolve().parents[2]
    page_headers = {"Content-Security-Policy": NO_FRAME_ANCESTORS, "X-Frame-Options": "DENY"}

    async def home(request: object) -> HTMLResponse:
        return HTMLResponse("<p>shop</p>", headers=page_headers)

    async def stylesheet(request: object) -> Response:
        return Response("body { color: black }", media_type="text/css")

    routes = [Route("/", home), Route("/static/app.css", stylesheet)]
    with serve(Starlette(routes=routes)) as server:
        (pytester.path / "prodready.toml").write_text(
            f'[envs.shop]\nbase_url = "{server.url}"\npages = ["/", "/static/app.css"]\n'
        )
        result = pytester.runpytest(
            str(root / "suites" / "test_csp.py"),
            "--target-env=shop",
            "--prodready-config=prodready.toml",
            "-p",
            "no:cacheprovider",
            "-rs",
        )
    result.assert_outcomes(passed=1, skipped=1)
    out = result.stdout.str()
    assert "csp.missing" not in out
    assert "1 below --fail-on" in out  # the info-level frame-ancestors-missing
    assert "/static/app.css is text/css" in out  # the skip says why
