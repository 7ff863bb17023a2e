"""Cookie findings on plain responses: every id both ways, session detection, deletions."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pytest_prodready.checks import cookies
from pytest_prodready.core.findings import CATALOGUE, Finding, Rule, Severity

IDS = {
    "cookie.no-secure",
    "cookie.session-no-secure",
    "cookie.session-no-httponly",
    "cookie.samesite-invalid",
    "cookie.samesite-none-insecure",
    "cookie.csrf-no-samesite",
}
HTTPS = "https://app.test/"
HTTP = "http://app.test/"
GOOD_SESSION = "sessionid=abc; Path=/; Secure; HttpOnly; SameSite=Lax"


def respond(*set_cookies: str, url: str = HTTPS, date: str | None = None) -> httpx.Response:
    pairs = [("set-cookie", value) for value in set_cookies]
    if date is not None:
        pairs.append(("date", date))
    return httpx.Response(200, headers=pairs, request=httpx.Request("GET", url))


def ids(findings: list[Finding]) -> set[str]:
    return {f.id for f in findings}


def test_every_id_is_declared_in_the_catalogue() -> None:
    declared = {v.id: v for v in vars(cookies).values() if isinstance(v, Rule)}
    assert set(declared) == IDS
    assert all(CATALOGUE[id_] is declared_rule for id_, declared_rule in declared.items())


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("sessionid", True),
        ("PHPSESSID", True),
        ("JSESSIONID", True),
        ("ASP.NET_SessionId", True),
        ("connect.sid", True),
        ("sid", True),
        ("user_sid2", True),
        ("remember_login", True),
        ("auth", True),
        ("__Secure-next-auth.session-token", True),
        ("access_token", True),
        ("JWT", True),
        ("theme", False),
        ("sidebar_state", False),
        ("inside", False),
        ("_ga", False),
        ("csrftoken", False),
        ("XSRF-TOKEN", False),
        ("next-auth.csrf-token", False),
        ("heroku-session-affinity", False),
    ],
)
def test_is_session_cookie(name: str, expected: bool) -> None:
    assert cookies.is_session_cookie(name) is expected


def test_session_names_are_exact() -> None:
    assert cookies.is_session_cookie("uid", ("uid",))
    assert not cookies.is_session_cookie("UID", ("uid",))


def test_good_cookies_have_no_findings() -> None:
    response = respond(
        GOOD_SESSION,
        "csrftoken=t0k3n; Path=/; Secure; SameSite=Strict",
        "theme=dark; Secure; SameSite=Lax",
        "__Host-id=1; Path=/; Secure; HttpOnly; SameSite=Strict",
    )
    assert cookies.evaluate(response) == []


# (response, evaluate options, id, expected present)
CASES: list[Any] = [
    pytest.param(respond("theme=dark; Path=/"), {}, "cookie.no-secure", True, id="no-secure"),
    pytest.param(respond("theme=dark; secure"), {}, "cookie.no-secure", False, id="secure"),
    pytest.param(
        respond("theme=dark; Path=/", url=HTTP), {}, "cookie.no-secure", False, id="plain-http"
    ),
    pytest.param(
        respond("theme=dark"), {"https": False}, "cookie.no-secure", False, id="https-false"
    ),
    pytest.param(
        respond("theme=dark", url=HTTP), {"https": True}, "cookie.no-secure", True, id="https-true"
    ),
    pytest.param(
        respond("__Host-id=1; Path=/; HttpOnly; SameSite=Lax", url=HTTP),
        {},
        "cookie.no-secure",
        True,
        id="host-prefix-without-secure",
    ),
    pytest.param(
        respond("__secure-id=1; HttpOnly; SameSite=Lax"),
        {},
        "cookie.no-secure",
        True,
        id="secure-prefix-lowercase",
    ),
    pytest.param(
        respond("__Host-id=1; Path=/; Secure; SameSite=Lax"),
        {},
        "cookie.no-secure",
        False,
        id="host-prefix-ok",
    ),
    pytest.param(
        respond("sessionid=abc; HttpOnly; SameSite=Lax"),
        {},
        "cookie.session-no-secure",
        True,
        id="session-no-secure",
    ),
    pytest.param(
        respond("sessionid=abc;HTTPONLY;  SECURE  ;samesite=lax"),
        {},
        "cookie.session-no-secure",
        False,
        id="session-secure-odd-case",
    ),
    # A production site on plain HTTP: its session still rides in cleartext (issue 14, 2).
    pytest.param(
        respond("sessionid=abc; HttpOnly; SameSite=Lax", url=HTTP),
        {},
        "cookie.session-no-secure",
        True,
        id="session-plain-http",
    ),
    pytest.param(
        respond("sessionid=abc; HttpOnly; SameSite=Lax", url=HTTP),
        {"plain_http": True},
        "cookie.session-no-secure",
        False,
        id="session-plain-http-on-purpose",
    ),
    pytest.param(
        respond("uid=abc; HttpOnly; SameSite=Lax"),
        {"session_names": ("uid",)},
        "cookie.session-no-secure",
        True,
        id="configured-session-name",
    ),
    pytest.param(
        respond("sessionid=abc; Secure; SameSite=Lax"),
        {},
        "cookie.session-no-httponly",
        True,
        id="session-no-httponly",
    ),
    pytest.param(
        respond("sessionid=abc ;secure;  httponly=  ;SameSite=Lax"),
        {},
        "cookie.session-no-httponly",
        False,
        id="httponly-odd-spacing",
    ),
    pytest.param(
        respond("csrftoken=abc; Secure; SameSite=Strict"),
        {},
        "cookie.session-no-httponly",
        False,
        id="csrf-token-readable-by-design",
    ),
    pytest.param(
        respond("theme=dark; Secure; SameSite=Loose"),
        {},
        "cookie.samesite-invalid",
        True,
        id="samesite-typo",
    ),
    pytest.param(
        respond("theme=dark; Secure; SameSite"),
        {},
        "cookie.samesite-invalid",
        True,
        id="samesite-bare",
    ),
    pytest.param(
        respond("theme=dark; Secure; samesite=STRICT"),
        {},
        "cookie.samesite-invalid",
        False,
        id="samesite-uppercase-value",
    ),
    pytest.param(
        respond("embed=1; SameSite=None"),
        {},
        "cookie.samesite-none-insecure",
        True,
        id="none-without-secure",
    ),
    pytest.param(
        respond("embed=1; SameSite=None", url=HTTP),
        {},
        "cookie.samesite-none-insecure",
        True,
        id="none-without-secure-on-http",
    ),
    pytest.param(
        respond("embed=1; SameSite=None; Secure"),
        {},
        "cookie.samesite-none-insecure",
        False,
        id="none-with-secure",
    ),
    pytest.param(
        respond("sessionid=abc; Secure; HttpOnly"),
        {},
        "cookie.csrf-no-samesite",
        True,
        id="session-without-samesite",
    ),
    pytest.param(
        respond("csrftoken=abc; Secure"),
        {},
        "cookie.csrf-no-samesite",
        True,
        id="anti-csrf-without-samesite",
    ),
    pytest.param(respond(GOOD_SESSION), {}, "cookie.csrf-no-samesite", False, id="session-lax"),
    pytest.param(
        respond("theme=dark; Secure"),
        {},
        "cookie.csrf-no-samesite",
        False,
        id="non-session-without-samesite",
    ),
]


@pytest.mark.parametrize(("response", "options", "rule_id", "expected"), CASES)
def test_rule(
    response: httpx.Response, options: dict[str, Any], rule_id: str, expected: bool
) -> None:
    findings = cookies.evaluate(response, **options)
    assert (rule_id in ids(findings)) is expected, findings


def test_every_id_is_tested_both_ways() -> None:
    tested = {(case.values[2], case.values[3]) for case in CASES}
    for rule_id in IDS:
        assert (rule_id, True) in tested, rule_id
        assert (rule_id, False) in tested, rule_id


@pytest.mark.parametrize(
    "set_cookie",
    [
        "sessionid=; Max-Age=0",
        "sessionid=; max-age=-1; Path=/",
        "sessionid=; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
        "sessionid=deleted; expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/",
        "sessionid=x; Max-Age=0; Expires=Fri, 01 Jan 2100 00:00:00 GMT",
        "=",
        "",
    ],
)
def test_deleting_and_empty_cookies_are_never_findings(set_cookie: str) -> None:
    assert cookies.evaluate(respond(set_cookie)) == []


def test_a_future_expiry_is_not_a_deletion() -> None:
    found = cookies.evaluate(respond("sessionid=x; Expires=Fri, 01 Jan 2100 00:00:00 GMT"))
    assert "cookie.session-no-secure" in ids(found)


def test_max_age_wins_over_a_past_expires() -> None:
    found = cookies.evaluate(
        respond("sessionid=x; Max-Age=3600; Expires=Thu, 01 Jan 1970 00:00:00 GMT")
    )
    assert "cookie.session-no-secure" in ids(found)


def test_expiry_is_judged_against_the_response_date() -> None:
    cookie = "sessionid=x; Expires=Sat, 01 Jan 2000 00:00:00 GMT"
    assert cookies.evaluate(respond(cookie, date="Sun, 02 Jan 2000 00:00:00 GMT")) == []
    assert cookies.evaluate(respond(cookie, date="Fri, 31 Dec 1999 00:00:00 GMT")) != []


def test_session_cookie_without_secure_is_one_finding_not_two() -> None:
    found = cookies.evaluate(respond("sessionid=abc; HttpOnly; SameSite=Lax"))
    assert [f.id for f in found] == ["cookie.session-no-secure"]
    assert found[0].severity is Severity.HIGH


def test_severity_depends_on_session() -> None:
    plain = cookies.evaluate(respond("theme=1; SameSite=Loose", "embed=1; SameSite=None"))
    session = cookies.evaluate(respond("sessionid=1; HttpOnly; SameSite=Loose"))
    by_id = {f.id: f.severity for f in plain}
    assert by_id["cookie.no-secure"] is Severity.MEDIUM
    assert by_id["cookie.samesite-invalid"] is Severity.LOW
    assert by_id["cookie.samesite-none-insecure"] is Severity.MEDIUM
    assert {f.id: f.severity for f in session}["cookie.samesite-invalid"] is Severity.MEDIUM
    (csrf,) = cookies.evaluate(respond("csrftoken=abc; Secure"))
    assert csrf.severity is Severity.LOW


def test_prefixed_cookie_without_secure_is_high() -> None:
    (finding,) = cookies.evaluate(respond("__Host-id=1; Path=/; HttpOnly; SameSite=Lax"))
    assert finding.id == "cookie.no-secure"
    assert finding.severity is Severity.HIGH
    assert "__Host- requires Secure" in finding.evidence


def test_one_finding_per_cookie_with_its_set_cookie_as_evidence() -> None:
    found = cookies.evaluate(respond("a=1; Path=/", "b=2; Path=/", "c=3; Secure"))
    assert sorted(f.evidence for f in found) == [
        "Set-Cookie: a=1; Path=/",
        "Set-Cookie: b=2; Path=/",
    ]
    assert {f.url for f in found} == {HTTPS}


def test_response_without_request_is_judged_as_https() -> None:
    response = httpx.Response(200, headers=[("set-cookie", "theme=dark")])
    assert ids(cookies.evaluate(response)) == {"cookie.no-secure"}
