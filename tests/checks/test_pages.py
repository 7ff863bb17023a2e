"""Forged-session and middleware-bypass judgements on plain responses, both ways."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from pytest_prodready.checks import pages
from pytest_prodready.core.findings import Finding

URL = "https://app.test/dashboard"
COOKIES = "with forged session cookies next-auth.session-token, session"
HEADER = "with x-middleware-subrequest: middleware (each 5 times, CVE-2025-29927)"

Judge = Callable[..., list[Finding]]
JUDGES: list[tuple[Judge, str, str]] = [
    (pages.evaluate_forged_session, COOKIES, "page.protected-forged-session"),
    (pages.evaluate_middleware_bypass, HEADER, "page.middleware-bypass"),
]


def answer(status: int, *, location: str | None = None, body: bytes = b"") -> httpx.Response:
    headers = {"location": location} if location is not None else {}
    return httpx.Response(status, headers=headers, content=body, request=httpx.Request("GET", URL))


def login_redirect() -> httpx.Response:
    return answer(302, location="/login?next=/dashboard&token=abc")


def page() -> httpx.Response:
    return answer(200, body=b"<h1>Dashboard</h1>")


@pytest.mark.parametrize(("judge", "carried", "finding_id"), JUDGES)
@pytest.mark.parametrize(
    "anonymous", [login_redirect(), answer(401), answer(403), answer(500)], ids=str
)
def test_a_page_refused_to_a_stranger_but_served_to_the_forged_request_is_a_finding(
    judge: Judge, carried: str, finding_id: str, anonymous: httpx.Response
) -> None:
    (finding,) = judge(anonymous, page(), carried=carried, login_path="/login")
    assert finding.id == finding_id
    assert finding.severity.name == "HIGH"
    assert finding.url == URL
    assert finding.evidence.startswith(f"{carried}: 200 with 18 bytes; anonymous: ")


def test_the_evidence_shows_the_anonymous_redirect_without_its_query() -> None:
    (finding,) = pages.evaluate_forged_session(
        login_redirect(), page(), carried=COOKIES, login_path="/login"
    )
    assert finding.evidence == f"{COOKIES}: 200 with 18 bytes; anonymous: 302 → /login"
    assert "abc" not in finding.evidence


@pytest.mark.parametrize(("judge", "carried", "finding_id"), JUDGES)
@pytest.mark.parametrize(
    "forged",
    [
        login_redirect(),  # answered exactly as a stranger: correct
        answer(307, location="https://app.test/api/auth/signin"),
        answer(401),
        answer(403),
        # Not served, so not this finding: a crash on a cookie it cannot parse, a redirect
        # that leaves the page (the anonymous test judges where strangers are sent).
        answer(500),
        answer(302, location="/onboarding"),
        answer(404),
    ],
    ids=lambda r: f"{r.status_code}{r.headers.get('location', '')}",
)
def test_a_forged_request_refused_in_any_shape_is_silent(
    judge: Judge, carried: str, finding_id: str, forged: httpx.Response
) -> None:
    assert judge(login_redirect(), forged, carried=carried, login_path="/login") == []


@pytest.mark.parametrize(("judge", "carried", "finding_id"), JUDGES)
def test_a_page_served_to_strangers_already_is_reported_once_by_the_anonymous_rule(
    judge: Judge, carried: str, finding_id: str
) -> None:
    assert [f.id for f in pages.evaluate_protected(page(), login_path="/login")] == [
        "page.protected-exposed"
    ]
    assert judge(page(), page(), carried=carried, login_path="/login") == []
    assert judge(answer(204), page(), carried=carried, login_path="/login") == []


def test_served_is_a_2xx() -> None:
    assert [pages.served(answer(s)) for s in (200, 204, 299, 301, 401, 500)] == [
        True,
        True,
        True,
        False,
        False,
        False,
    ]


def test_the_new_rules_document_their_fix() -> None:
    from pytest_prodready.core.catalogue import catalogue

    rules = catalogue()
    assert "getUser()" in rules["page.protected-forged-session"].remediation
    assert "15.2.3" in rules["page.middleware-bypass"].remediation
