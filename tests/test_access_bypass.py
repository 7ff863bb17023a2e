"""Forged sessions and the Next.js middleware bypass (CVE-2025-29927), end to end.

Small Starlette apps on 127.0.0.1 stand in for Next.js deployments: a middleware guards
``/dashboard`` before the page renders, the way ``middleware.ts`` does. Each is misconfigured
the way real ones are (a guard that only checks that a cookie exists, Supabase's
``getSession()`` trusted on the server, a Next.js that honours ``x-middleware-subrequest``) or
correct, and the shipped pages suite runs against it as the protected env ``prod``, without
``--allow-destructive``. Every request the apps receive is logged with the headers that
matter: the suite sends only GETs, two per protected page beyond the anonymous one, and
nothing it reports repeats a forged value.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from pytest_prodready.probes import access
from tests.faults.secret_scan import failing_findings, fresh_values, occurrences, texts
from tests.servers import serve

ROOT = Path(__file__).resolve().parent.parent
PROTECTED = "/dashboard"
SUPABASE_REF = "abcdefghijklmnopqrst"
PASSWORD_VAR = "PRODREADY_BYPASS_PASSWORD"
FRAGMENT = 16
FORGED = "page.protected-forged-session"
BYPASS = "page.middleware-bypass"
NEW_TESTS = (
    "test_forged_session_cookie_is_refused",
    "test_middleware_subrequest_header_is_ignored",
)

# The app's own signing key: a real session is "<id>.<hmac>", as in tests/field/nextjs.
KEY = secrets.token_bytes(32)


def sign(session_id: str) -> str:
    mac = hmac.new(KEY, session_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def verified(token: str | None) -> bool:
    session_id, _, mac = (token or "").partition(".")
    return bool(session_id) and hmac.compare_digest(mac, sign(session_id))


# -- guards: does this request carry a session? --------------------------------------------

Guard = Callable[[Request], bool]


def cookie_exists(*names: str) -> Guard:
    """``request.cookies.has(name)``: the guard of seed middleware and many tutorials."""
    return lambda request: any(name in request.cookies for name in names)


def supabase_get_session(request: Request) -> bool:
    """@supabase/ssr's ``getSession()``: reads the cookie and trusts any unexpired session
    (``getUser()`` would ask Supabase, which refuses a forged token)."""
    value = request.cookies.get(f"sb-{SUPABASE_REF}-auth-token", "")
    if not value.startswith("base64-"):
        return False
    raw = value.removeprefix("base64-")
    try:
        session = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except ValueError:
        return False
    return (
        isinstance(session, dict)
        and bool(session.get("access_token"))
        and bool(session.get("refresh_token"))
        and isinstance(session.get("expires_at"), int)
        and session["expires_at"] > time.time() + 10
    )


def signed_session(request: Request) -> bool:
    """A correct guard: the session cookie's signature is checked."""
    return verified(request.cookies.get("sid"))


# -- Next.js's middleware runner, by version -----------------------------------------------


def skips_middleware(version: str, subrequest: str) -> bool:
    """Whether Next.js ``version`` would skip its middleware for this header value
    (next/dist/server/web/sandbox: the value is split on ':' and compared to the name)."""
    parts = subrequest.split(":") if subrequest else []
    if version == "12.1 pages/_middleware":
        return "pages/_middleware" in parts
    if version == "12.2 middleware":
        return "middleware" in parts
    if version == "13.2+ middleware":
        return parts.count("middleware") >= 5
    if version == "13.2+ src/middleware":
        return parts.count("src/middleware") >= 5
    assert version == "15.2.3 (patched)"
    return False


@dataclass
class Stack:
    """One app: how its middleware guards, which Next.js runs it, and what it received."""

    guard: Guard
    next_version: str = "15.2.3 (patched)"
    # A present but invalid cookie answered 401 ("session expired"), not a login redirect.
    expired_401: bool = False
    requests: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> ASGIApp:
        async def home(request: Request) -> Response:
            return HTMLResponse('<h1>Shop</h1><script src="/static/app.js"></script>')

        async def bundle(request: Request) -> Response:
            # NEXT_PUBLIC_SUPABASE_URL, inlined into the client bundle as Next.js does.
            script = f'const supabase = createClient("https://{SUPABASE_REF}.supabase.co");'
            return Response(script, media_type="text/javascript")

        async def login(request: Request) -> Response:
            return HTMLResponse("<form method=post><input name=password type=password></form>")

        async def dashboard(request: Request) -> Response:
            # The page trusts the middleware, as pages behind middleware.ts do.
            return HTMLResponse("<h1>Dashboard</h1><p>Your invoices.</p>")

        async def cron(request: Request) -> Response:
            return PlainTextResponse("Unauthorized", status_code=401)

        routes = [
            Route("/", home),
            Route("/api/cron/cleanup", cron),
            Route("/static/app.js", bundle),
            Route("/login", login),
            Route(PROTECTED, dashboard),
        ]
        return self._log(self._middleware(Starlette(routes=routes)))

    def _middleware(self, app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http" and scope["path"].startswith(PROTECTED):
                request = Request(scope)
                subrequest = request.headers.get(access.SUBREQUEST_HEADER, "")
                if not skips_middleware(self.next_version, subrequest) and not self.guard(request):
                    await self._refuse(request)(scope, receive, send)
                    return
            await app(scope, receive, send)

        return middleware

    def _refuse(self, request: Request) -> Response:
        if self.expired_401 and request.cookies:
            return PlainTextResponse("Your session has expired.", status_code=401)
        return RedirectResponse(f"/login?next={PROTECTED}", status_code=307)

    def _log(self, app: ASGIApp) -> ASGIApp:
        async def logged(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http":
                headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
                entry = {"method": scope["method"], "path": scope["path"]}
                for name in ("cookie", access.SUBREQUEST_HEADER):
                    if name in headers:
                        entry[name] = headers[name]
                with self.lock:
                    self.requests.append(entry)
            await app(scope, receive, send)

        return logged


STACKS: dict[str, Callable[[], Stack]] = {
    # Forged sessions.
    "next-auth cookie exists": lambda: Stack(cookie_exists("next-auth.session-token")),
    "configured cookie exists": lambda: Stack(cookie_exists("sid")),
    "supabase getSession()": lambda: Stack(supabase_get_session),
    # Middleware bypass: a correct guard, in a Next.js that skips it for the header.
    **{
        f"next {version}": (lambda v=version: Stack(signed_session, next_version=v))
        for version in (
            "12.1 pages/_middleware",
            "12.2 middleware",
            "13.2+ middleware",
            "13.2+ src/middleware",
        )
    },
    # Both, as a deployment on an unpatched Next.js with seed middleware ships.
    "cookie exists, next 13.2+": lambda: Stack(
        cookie_exists("next-auth.session-token"), next_version="13.2+ middleware"
    ),
    # Correct: a verified session, a patched Next.js.
    "correct": lambda: Stack(signed_session),
    "correct, 401 when expired": lambda: Stack(signed_session, expired_401=True),
}
VERDICTS: dict[str, set[str]] = {
    "next-auth cookie exists": {FORGED},
    "configured cookie exists": {FORGED},
    "supabase getSession()": {FORGED},
    "next 12.1 pages/_middleware": {BYPASS},
    "next 12.2 middleware": {BYPASS},
    "next 13.2+ middleware": {BYPASS},
    "next 13.2+ src/middleware": {BYPASS},
    "cookie exists, next 13.2+": {FORGED, BYPASS},
    "correct": set(),
    "correct, 401 when expired": set(),
}

CONFIG = """
[envs.prod]
base_url = "{url}"
plain_http = true
pages = ["/"]
protected_pages = ["{protected}"]

[[envs.prod.guarded_endpoints]]
path = "/api/cron/cleanup"
method = "GET"

[envs.prod.secrets]
probe_password = "{password_var}"

[envs.prod.flows.login]
username = "probe@example.com"
password_secret = "probe_password"
success_url = "{protected}"
session_cookie = "sid"
"""


@dataclass
class Run:
    stack: Stack
    result: pytest.RunResult
    out: Path

    @property
    def failing_ids(self) -> set[str]:
        return set(failing_findings(self.out))


@pytest.fixture
def run_against(
    pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[[str], Run]:
    password = fresh_values([PASSWORD_VAR])[PASSWORD_VAR]
    monkeypatch.setenv(PASSWORD_VAR, password)

    def run(name: str) -> Run:
        stack = STACKS[name]()
        out = tmp_path / re.sub(r"\W+", "-", name)
        out.mkdir()
        with serve(stack.app()) as server:
            config = out / "prodready.toml"
            config.write_text(
                CONFIG.format(url=server.url, protected=PROTECTED, password_var=PASSWORD_VAR)
            )
            result = pytester.runpytest(
                str(ROOT / "suites" / "test_pages.py"),
                "--target-env",
                "prod",
                "--prodready-config",
                str(config),
                "-p",
                "no:cacheprovider",
                "-rs",
                "--junitxml",
                str(out / "junit.xml"),
                "--prodready-json",
                str(out / "summary.json"),
                "--prodready-sarif",
                str(out / "prodready.sarif"),
                "--html",
                str(out / "report.html"),
                "--self-contained-html",
            )
        return Run(stack, result, out)

    return run


@pytest.mark.parametrize("name", list(VERDICTS))
def test_each_stack_gets_its_verdict_on_a_protected_env_with_gets_only(
    run_against: Callable[[str], Run], name: str
) -> None:
    run = run_against(name)
    out = run.result.stdout.str()
    assert "protected yes (name 'prod' matches prod*)" in out
    # Nothing skipped, by the safety gate or otherwise: these are not destructive.
    outcomes = run.result.parseoutcomes()
    assert "skipped" not in outcomes
    assert "0 skipped by the safety gate" in out
    assert run.failing_ids == VERDICTS[name], out

    sent = run.stack.requests
    assert {r["method"] for r in sent} <= {"GET", "HEAD"}
    dashboard = [r for r in sent if r["path"] == PROTECTED]
    # The anonymous request, one with forged cookies, one with the middleware header.
    assert len(dashboard) == 3, dashboard
    bare, (forged,), (bypass,) = (
        [r for r in dashboard if set(r) == {"method", "path"}],
        [r for r in dashboard if "cookie" in r],
        [r for r in dashboard if access.SUBREQUEST_HEADER in r],
    )
    assert len(bare) == 1
    assert access.SUBREQUEST_HEADER not in forged
    assert "cookie" not in bypass
    names = [pair.split("=", 1)[0] for pair in forged["cookie"].split("; ")]
    # The configured name first; Supabase's under the ref the bundle revealed.
    assert names == ["sid", *access.COMMON_SESSION_COOKIES, f"sb-{SUPABASE_REF}-auth-token"]


def test_the_evidence_says_what_was_forged_and_how_strangers_are_answered(
    run_against: Callable[[str], Run],
) -> None:
    run = run_against("cookie exists, next 13.2+")
    out = run.result.stdout.str()
    assert re.search(
        r"\[HIGH\] page\.protected-forged-session .*\(evidence: with forged session cookies "
        r"sid, next-auth\.session-token, .*: 200 with \d+ bytes; anonymous: 307 → /login\)",
        out,
    ), out
    assert re.search(
        r"\[HIGH\] page\.middleware-bypass .*\(evidence: with x-middleware-subrequest: "
        r"middleware, src/middleware, pages/_middleware \(each 5 times, CVE-2025-29927\): "
        r"200 with \d+ bytes; anonymous: 307 → /login\)",
        out,
    ), out


def test_no_forged_value_or_configured_secret_reaches_any_report(
    run_against: Callable[[str], Run],
) -> None:
    run = run_against("cookie exists, next 13.2+")
    assert run.failing_ids == {FORGED, BYPASS}
    (forged,) = [r for r in run.stack.requests if "cookie" in r]
    values: dict[str, str] = {}
    for pair in forged["cookie"].split("; "):
        name, _, value = pair.partition("=")
        values[name] = value
        if value.startswith("base64-"):
            # A Supabase session: its tokens would be secrets too, were it real.
            raw = value.removeprefix("base64-")
            session = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
            values[f"{name} access_token"] = session["access_token"]
            values[f"{name} refresh_token"] = session["refresh_token"]
    values[PASSWORD_VAR] = os.environ[PASSWORD_VAR]
    scanned = [("terminal output", run.result.stdout.str()), *texts(run.out)]
    names = {name for name, _ in scanned}
    assert {"junit.xml", "summary.json", "prodready.sarif", "report.html"} <= names
    count, found = occurrences(scanned, values)
    assert count >= 5
    assert found == {}, found
    # Nor a piece of one (evidence is clipped, pytest shortens long strings): no run of
    # FRAGMENT characters of a forged value shows up anywhere.
    pieces = {
        value[i : i + FRAGMENT]
        for name, value in values.items()
        if name != PASSWORD_VAR
        for i in range(len(value) - FRAGMENT + 1)
    }
    leaked = {name: piece for name, text in scanned for piece in pieces if piece in text}
    assert leaked == {}, leaked


def test_a_page_served_to_strangers_is_reported_once(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    async def open_page(request: Request) -> Response:
        return HTMLResponse("<h1>Dashboard</h1>")

    requests: list[str] = []

    async def handler(scope: Scope, receive: Receive, send: Send) -> None:
        requests.append(f"{scope['method']} {scope['path']}")
        await Starlette(routes=[Route("/", open_page), Route(PROTECTED, open_page)])(
            scope, receive, send
        )

    with serve(handler) as server:
        config = tmp_path / "prodready.toml"
        config.write_text(
            f'[envs.prod]\nbase_url = "{server.url}"\nplain_http = true\n'
            f'protected_pages = ["{PROTECTED}"]\n'
        )
        result = pytester.runpytest(
            str(ROOT / "suites" / "test_pages.py"),
            "--target-env=prod",
            f"--prodready-config={config}",
            "-p",
            "no:cacheprovider",
            "-rs",
        )
    # Skipped: the two forged checks, and the guarded endpoints this env does not declare.
    result.assert_outcomes(passed=1, failed=1, skipped=3)
    assert re.findall(r"^- \[HIGH\] (\S+)", result.stdout.str(), re.M) == ["page.protected-exposed"]
    result.stdout.fnmatch_lines(
        ["SKIPPED * served to anonymous visitors already: page.protected-exposed reports it"]
    )
    # No forged request was sent for a page that is open anyway.
    assert requests.count(f"GET {PROTECTED}") == 1


@pytest.mark.parametrize(("env", "outcome"), [("demo", "PASSED"), ("demo-broken", "SKIPPED")])
def test_the_embedded_demos(pytester: pytest.Pytester, env: str, outcome: str) -> None:
    # demo refuses forged sessions and ignores the header; demo-broken serves its dashboard
    # to anyone (page.protected-exposed, planted), so the forged requests are not sent.
    result = pytester.runpytest(
        str(ROOT / "suites" / "test_pages.py"),
        "--target-env",
        env,
        "--prodready-config",
        str(ROOT / "prodready.toml"),
        "-p",
        "no:cacheprovider",
        "-v",
    )
    result.stdout.fnmatch_lines([f"*::{test}[[]/dashboard] {outcome}*" for test in NEW_TESTS])
    text = result.stdout.str()
    assert FORGED not in text
    assert BYPASS not in text


# -- what the probe sends, on plain data ----------------------------------------------------


def test_supabase_refs_come_from_project_urls_only() -> None:
    texts_ = [
        'createClient("https://abcdefghijklmnopqrst.supabase.co", key)',
        "https://ABCDEFGHIJKLMNOPQRST.supabase.co/rest/v1 again, and docs at supabase.com",
        "https://other-project.supabase.in https://x.example.com https://a.supabase.co",
        "https://project4.supabase.co https://project5.supabase.co",
    ]
    assert access.supabase_refs(texts_) == (
        "abcdefghijklmnopqrst",
        "other-project",
        "project4",
    )
    assert access.supabase_refs(["no project here"]) == ()


def test_cookie_names_put_the_configured_one_first_and_fall_back_to_a_generic_supabase_name() -> (
    None
):
    assert access.session_cookie_names(None) == (
        *access.COMMON_SESSION_COOKIES,
        "sb-project-auth-token",
    )
    assert access.session_cookie_names("session", ["abc", "def"]) == (
        "session",
        *(n for n in access.COMMON_SESSION_COOKIES if n != "session"),
        "sb-abc-auth-token",
        "sb-def-auth-token",
    )


def _b64json(part: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def test_forged_values_look_real_are_fresh_and_unexpired() -> None:
    names = ("next-auth.session-token", "session", "sb-abc-auth-token")
    now = time.time()
    first = access.forged_cookie_values(names, now=now)
    assert first.keys() == set(names)
    assert first != access.forged_cookie_values(names, now=now)
    jwe = first["next-auth.session-token"].split(".")
    assert len(jwe) == 5
    assert jwe[1] == ""
    assert _b64json(jwe[0]) == {"alg": "dir", "enc": "A256GCM"}
    header, claims, signature = first["session"].split(".")
    assert _b64json(header)["alg"] == "HS256"
    assert _b64json(claims)["exp"] > now + 600
    assert len(signature) >= 40
    session = _b64json(first["sb-abc-auth-token"].removeprefix("base64-"))
    assert session["expires_at"] > now + 600
    assert session["access_token"].count(".") == 2
    # Cookie octets only: no quoting, no separator a server would split on.
    for value in first.values():
        assert re.fullmatch(r"[A-Za-z0-9_.-]+", value), value


def test_the_subrequest_value_names_every_middleware_five_times() -> None:
    value = access.subrequest_value("/dashboard/billing/invoices/2024?x=1")
    parts = value.split(":")
    for name in (
        "middleware",
        "src/middleware",
        "pages/_middleware",
        "pages/dashboard/_middleware",
        "pages/dashboard/billing/_middleware",
        "pages/dashboard/billing/invoices/_middleware",
    ):
        assert parts.count(name) == 5, name
    assert len(set(parts)) == 6
    assert set(access.subrequest_value("/").split(":")) == {
        "middleware",
        "src/middleware",
        "pages/_middleware",
    }
