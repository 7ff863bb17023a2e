"""Roles and the access matrix, end to end, against a small RBAC app on 127.0.0.1.

The app (Starlette under uvicorn) knows three probe accounts: ``admin`` by bearer token,
``staff`` by session cookie, and ``alice`` by an ``X-API-Key`` header; ``/admin`` is for
admins, ``/reports`` for admins and staff, and ``/api/invoices/alice-1`` is alice's object.
Each variant is misconfigured the way real ones are (a guard that only checks that the caller
is logged in, a role check that forgot a role, an object handler that never checks the owner)
or correct. The shipped access suite runs against it as the protected env ``prod``, without
``--allow-destructive``; the app's request log shows it sends only GETs, and no credential
reaches any report.
"""

from __future__ import annotations

import json
import pickle
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from pytest_prodready.checks import access
from pytest_prodready.config.access import Identity
from pytest_prodready.core.secrets import Secret
from pytest_prodready.probes import roles
from tests.faults.secret_scan import failing_findings, fresh_values, occurrences, report_args, texts
from tests.servers import serve

ROOT = Path(__file__).resolve().parent.parent
VARS = {
    "admin": "PRODREADY_RBAC_ADMIN_TOKEN",
    "staff": "PRODREADY_RBAC_STAFF_SESSION",
    "alice": "PRODREADY_RBAC_ALICE_KEY",
}
DENIED = "access.denied-role-served"
REFUSED = "access.allowed-role-refused"
SUITE = "test_roles_get_what_the_access_rules_say"

CONFIG = """
[envs.prod]
base_url = "{url}"
plain_http = true
pages = ["/"]

[envs.prod.secrets]
admin_token = "{admin}"
staff_session = "{staff}"
alice_key = "{alice}"

[envs.prod.identities.admin]
token_secret = "admin_token"

[envs.prod.identities.staff]
cookie_secret = "staff_session"
cookie = "sid"

[envs.prod.identities.alice]
token_secret = "alice_key"
header = "X-API-Key"

[[envs.prod.access]]
path = "/admin"
allow = ["admin"]
deny = ["staff"]

[[envs.prod.access]]
path = "/reports"
allow = ["admin", "staff"]

[[envs.prod.access]]
path = "/api/invoices/alice-1"
allow = ["alice"]
deny = ["staff"]
"""


@dataclass
class App:
    """The RBAC app: who each credential is, and how each route decides."""

    tokens: dict[str, str]
    admin_checks_role: bool = True
    reports_roles: tuple[str, ...] = ("admin", "staff")
    invoice_checks_owner: bool = True
    requests: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def who(self, request: Request) -> str | None:
        by_value = {value: role for role, value in self.tokens.items()}
        auth = request.headers.get("authorization", "")
        if auth.startswith("Bearer ") and by_value.get(auth[7:]) == "admin":
            return "admin"
        if by_value.get(request.cookies.get("sid", "")) == "staff":
            return "staff"
        if by_value.get(request.headers.get("x-api-key", "")) == "alice":
            return "alice"
        return None

    def asgi(self) -> ASGIApp:
        def login_first(request: Request) -> Response:
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

        async def home(request: Request) -> Response:
            return HTMLResponse("<h1>Back office</h1>")

        async def admin(request: Request) -> Response:
            role = self.who(request)
            if role is None:
                return login_first(request)
            if self.admin_checks_role and role != "admin":
                return JSONResponse({"error": "forbidden"}, status_code=403)
            return HTMLResponse("<h1>Admin</h1><p>All users.</p>")

        async def reports(request: Request) -> Response:
            role = self.who(request)
            if role is None:
                return login_first(request)
            if role not in self.reports_roles:
                return JSONResponse({"error": "forbidden"}, status_code=403)
            return HTMLResponse("<h1>Reports</h1>")

        async def invoice(request: Request) -> Response:
            role = self.who(request)
            if role is None:
                return JSONResponse({"error": "unauthorized"}, status_code=401)
            if self.invoice_checks_owner and role != "alice":
                return JSONResponse({"error": "not found"}, status_code=404)
            return JSONResponse({"id": "alice-1", "total": 42})

        app = Starlette(
            routes=[
                Route("/", home),
                Route("/admin", admin),
                Route("/reports", reports),
                Route("/api/invoices/alice-1", invoice),
            ]
        )

        async def logged(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http":
                headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
                entry = {"method": scope["method"], "path": scope["path"]}
                entry.update(
                    {
                        k: headers[k]
                        for k in ("authorization", "cookie", "x-api-key")
                        if k in headers
                    }
                )
                with self.lock:
                    self.requests.append(entry)
            await app(scope, receive, send)

        return logged


VARIANTS: dict[str, tuple[dict[str, object], set[str]]] = {
    "correct": ({}, set()),
    "admin page checks login only": ({"admin_checks_role": False}, {DENIED}),
    "reports forgot staff": ({"reports_roles": ("admin",)}, {REFUSED}),
    "invoice never checks the owner": ({"invoice_checks_owner": False}, {DENIED}),
}


@dataclass
class Run:
    app: App
    result: pytest.RunResult
    out: Path
    values: dict[str, str]

    @property
    def failing_ids(self) -> set[str]:
        return set(failing_findings(self.out))


@pytest.fixture
def run_against(
    pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[[str], Run]:
    values = fresh_values(VARS.values(), prefix="rbac")
    for var, value in values.items():
        monkeypatch.setenv(var, value)

    def run(name: str) -> Run:
        settings, _ = VARIANTS[name]
        app = App(tokens={role: values[var] for role, var in VARS.items()}, **settings)  # type: ignore[arg-type]
        out = tmp_path / re.sub(r"\W+", "-", name)
        out.mkdir()
        with serve(app.asgi()) as server:
            config = out / "prodready.toml"
            config.write_text(CONFIG.format(url=server.url, **VARS))
            result = pytester.runpytest(
                str(ROOT / "suites" / "test_access.py"),
                "--target-env=prod",
                f"--prodready-config={config}",
                "-rs",
                "-v",
                *report_args(out),
            )
        return Run(app, result, out, values)

    return run


@pytest.mark.parametrize("name", list(VARIANTS))
def test_each_app_gets_its_verdict_on_a_protected_env_with_gets_only(
    run_against: Callable[[str], Run], name: str
) -> None:
    run = run_against(name)
    out = run.result.stdout.str()
    assert "protected yes (name 'prod' matches prod*)" in out
    assert "0 skipped by the safety gate" in out
    assert "skipped" not in run.result.parseoutcomes()
    assert run.failing_ids == VARIANTS[name][1], out
    sent = run.app.requests
    assert {r["method"] for r in sent} == {"GET"}
    # Per path: one stranger, one request per role named (sessions are resolved once).
    per_path = {p: sum(r["path"] == p for r in sent) for p in {r["path"] for r in sent}}
    # /reports names no deny: every other declared role (alice) is denied.
    assert per_path == {"/admin": 3, "/reports": 4, "/api/invoices/alice-1": 3}
    # Each role sent its credential the way its identity says, and only that.
    admin_sent = [r for r in sent if "authorization" in r]
    assert admin_sent
    assert all(r["authorization"].startswith("Bearer ") for r in admin_sent)
    assert all(set(r) <= {"method", "path", "x-api-key"} for r in sent if "x-api-key" in r)
    assert sum("cookie" in r for r in sent) == 3


def test_the_evidence_names_role_path_and_status_never_the_credential(
    run_against: Callable[[str], Run],
) -> None:
    run = run_against("admin page checks login only")
    out = run.result.stdout.str()
    assert re.search(
        r"\[HIGH\] access\.denied-role-served .*\(evidence: role staff: GET /admin answered "
        r"200 with \d+ bytes, expected 401/403 or the login page\)",
        out,
    ), out
    refused = run_against("reports forgot staff").result.stdout.str()
    assert re.search(
        r"\[MEDIUM\] access\.allowed-role-refused .*\(evidence: role staff: GET /reports "
        r"answered 403, expected 2xx\)",
        refused,
    ), refused
    scanned = [("terminal output", out), *texts(run.out)]
    assert {"junit.xml", "summary.json", "prodready.sarif", "report.html"} <= {
        n for n, _ in scanned
    }
    count, found = occurrences(scanned, dict(run.values))
    assert count >= 5
    assert found == {}, found


def test_a_role_whose_secret_is_missing_fails_naming_the_variable(
    pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in VARS.values():
        monkeypatch.delenv(var, raising=False)
    app = App(tokens={})
    with serve(app.asgi()) as server:
        config = tmp_path / "prodready.toml"
        config.write_text(CONFIG.format(url=server.url, **VARS))
        result = pytester.runpytest(
            str(ROOT / "suites" / "test_access.py"),
            "--target-env=prod",
            f"--prodready-config={config}",
            "-p",
            "no:cacheprovider",
        )
    result.assert_outcomes(failed=3)
    assert "PRODREADY_RBAC_ADMIN_TOKEN" in result.stdout.str()
    assert "Traceback" not in result.stdout.str()


def test_nothing_declared_skips_in_one_line(pytester: pytest.Pytester, tmp_path: Path) -> None:
    config = tmp_path / "prodready.toml"
    config.write_text('[envs.staging]\nbase_url = "http://127.0.0.1:9"\nplain_http = true\n')
    result = pytester.runpytest(
        str(ROOT / "suites" / "test_access.py"),
        "--target-env=staging",
        f"--prodready-config={config}",
        "-p",
        "no:cacheprovider",
        "-rs",
    )
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["SKIPPED [[]1[]] *access_rule*"])


# -- on plain data ---------------------------------------------------------------------------


def _response(status: int, location: str | None = None, body: bytes = b"") -> httpx.Response:
    headers = {"location": location} if location else {}
    request = httpx.Request("GET", "https://app.example.com/admin")
    return httpx.Response(status, headers=headers, content=body, request=request)


@pytest.mark.parametrize(
    ("status", "location", "allowed", "found"),
    [
        (200, None, True, None),
        (204, None, True, None),
        (403, None, True, REFUSED),
        (302, "/login?token=abc", True, REFUSED),
        (200, None, False, DENIED),
        (401, None, False, None),
        (403, None, False, None),
        (404, None, False, None),
        (307, "/login?next=/admin", False, None),
    ],
)
def test_a_role_is_judged_by_what_it_was_served(
    status: int, location: str | None, allowed: bool, found: str | None
) -> None:
    findings = access.evaluate_role(
        "staff", "/admin", _response(status, location, b"<h1>x</h1>"), allowed=allowed
    )
    assert [f.id for f in findings] == ([found] if found else [])
    # A Location's query string can carry a token: never quoted.
    assert all("token=abc" not in f.evidence for f in findings)


def test_a_session_prints_its_role_only_and_sends_the_configured_header() -> None:
    token = Secret("t", "VAR", "tok-" + "x" * 30)
    bearer = roles.session_for(Identity("admin", token_secret="t"), token)
    api_key = roles.session_for(
        Identity("alice", token_secret="t", header="X-API-Key", scheme=""), token
    )
    cookie = roles.session_for(Identity("staff", cookie_secret="t", cookie="sid"), token)
    for session in (bearer, api_key, cookie):
        assert token.reveal() not in repr(session) + str(session)
    seen: list[httpx.Headers] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers)
        return httpx.Response(200)

    with httpx.Client(base_url="http://app.test", transport=httpx.MockTransport(handler)) as c:
        for session in (bearer, api_key, cookie):
            session.get(c, "/admin")
    assert seen[0]["authorization"] == f"Bearer {token.reveal()}"
    assert seen[1]["x-api-key"] == token.reveal()
    assert seen[2]["cookie"] == f"sid={token.reveal()}"
    with pytest.raises(TypeError):
        pickle.dumps(bearer)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[envs.x.identities.admin]\ncookie = "sid"\n', "exactly one must be set"),
        (
            '[envs.x.identities.admin]\ntoken_secret = "nope"\n',
            "names secret 'nope', which this environment does not declare",
        ),
        (
            '[envs.x.secrets]\nt = "V"\n[envs.x.identities.admin]\ncookie_secret = "t"\n',
            "'cookie' is missing",
        ),
        ('[[envs.x.access]]\npath = "/admin"\nallow = ["ghost"]\n', "names role 'ghost'"),
        (
            '[envs.x.secrets]\nt = "V"\n[envs.x.identities.admin]\ntoken_secret = "t"\n'
            '[[envs.x.access]]\npath = "/admin"\nallow = ["admin"]\ndeny = ["admin"]\n',
            "repeats admin from allow",
        ),
        (
            '[envs.x.secrets]\nt = "V"\n[envs.x.identities.anonymous]\ntoken_secret = "t"\n',
            "is not a usable role name",
        ),
        ('[[envs.x.access]]\npath = "admin"\n', "which is not a path"),
        (
            '[envs.x.secrets]\np = "V"\n[envs.x.identities.staff]\nlogin = "form"\n'
            'username = "s@example.com"\npassword_secret = "p"\n',
            "this environment has none",
        ),
        (
            '[envs.x.secrets]\np = "V"\n[envs.x.flows.login]\npassword_secret = "p"\n'
            'username = "a"\nsuccess_url = "/"\n[envs.x.identities.staff]\nlogin = "sso"\n',
            "Valid values: form",
        ),
    ],
)
def test_configuration_mistakes_are_one_paragraph(tmp_path: Path, body: str, message: str) -> None:
    from pytest_prodready.config import load_config

    config = tmp_path / "prodready.toml"
    config.write_text('[envs.x]\nbase_url = "https://app.example.com"\n' + body)
    with pytest.raises(pytest.UsageError) as caught:
        load_config(config, "test", known_ids=())
    text = str(caught.value)
    assert message in text, text
    assert "\n" not in text
    assert str(config) in text


def test_undeclared_deny_is_every_other_role(tmp_path: Path) -> None:
    from pytest_prodready.config import load_config

    config = tmp_path / "prodready.toml"
    config.write_text(CONFIG.format(url="https://app.example.com", **VARS))
    loaded = load_config(config, "test", known_ids=())
    assert loaded is not None
    env = loaded.envs["prod"]
    reports = env.access[1]
    assert (reports.allow, reports.deny) == (("admin", "staff"), ("alice",))
    assert env.identities["alice"].scheme == ""
    assert env.identities["admin"].scheme == "Bearer"


# -- a login through the app's own form, over HTTP: the embedded demo (CSRF token and all) ----

DEMO_CONFIG = """
[envs.prod]
embedded = "demo"
protected = true
pages = ["/"]
secrets = {{ admin_password = "{password_var}", typo_password = "{typo_var}" }}

[envs.prod.flows.login]
path = "/login"
username = "admin@demo.test"
password_secret = "admin_password"
submit_selector = "#login-submit"
success_url = "/dashboard"
session_cookie = "session"

[envs.prod.identities.admin]
login = "form"
username = "admin@demo.test"
password_secret = "{secret}"

[[envs.prod.access]]
path = "/dashboard"
allow = ["admin"]

[[envs.prod.access]]
path = "/dashboard?view=all"
allow = ["admin"]
"""


@pytest.mark.parametrize(
    ("secret", "outcome"), [("admin_password", "passed"), ("typo_password", "failed")]
)
def test_a_form_login_role_logs_in_once_over_http(
    pytester: pytest.Pytester,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    secret: str,
    outcome: str,
) -> None:
    values = fresh_values(["PRODREADY_ACCESS_DEMO_PASSWORD", "PRODREADY_ACCESS_TYPO"])
    for var, value in values.items():
        monkeypatch.setenv(var, value)
    log = tmp_path / "requests.jsonl"
    monkeypatch.setenv("PRODREADY_DEMO_LOG", str(log))
    config = tmp_path / "prodready.toml"
    config.write_text(
        DEMO_CONFIG.format(
            password_var="PRODREADY_ACCESS_DEMO_PASSWORD",
            typo_var="PRODREADY_ACCESS_TYPO",
            secret=secret,
        )
    )
    out = tmp_path / "out"
    out.mkdir()
    result = pytester.runpytest(
        str(ROOT / "suites" / "test_access.py"),
        "--target-env=prod",
        f"--prodready-config={config}",
        *report_args(out),
    )
    result.assert_outcomes(**{outcome: 2})
    text = result.stdout.str()
    assert "protected yes (protected = true" in text
    if outcome == "failed":
        result.stdout.fnmatch_lines(
            ["*role admin could not log in: POST /login answered 401: the login failed*"]
        )
        assert "Traceback" not in text
    sent = [json.loads(line) for line in log.read_text().splitlines()]
    requests = [(r["method"], r["path"]) for r in sent]
    # One login for both paths (the form, then its POST), then the role's GETs; the
    # stranger's too.
    assert requests.count(("POST", "/login")) == 1
    assert requests.count(("GET", "/login")) == 1
    assert {m for m, _ in requests} == {"GET", "POST"}
    assert requests.count(("GET", "/dashboard")) == (4 if outcome == "passed" else 2)
    scanned = [("terminal output", text), *texts(out)]
    count, found = occurrences(scanned, values)
    assert count >= 5
    assert found == {}, found


def test_forms_are_read_with_their_hidden_fields_and_ids() -> None:
    forms = roles.forms_of(
        '<form action="/search"><input name="q"></form>'
        '<form method="POST" action="/login"><input type="hidden" name="csrf" value="t0k">'
        '<input id="email" name="user"><input id="pw" name="pass" type="password">'
        '<input type="checkbox" name="remember" checked><input type="checkbox" name="no">'
        '<button type="submit" name="go">Log in</button></form>'
    )
    assert [f.action for f in forms] == ["/search", "/login"]
    login = forms[1]
    assert login.method == "post"
    assert login.fields == {"csrf": "t0k", "user": "", "pass": "", "remember": "on"}
    assert login.ids == {"email": "user", "pw": "pass"}


def test_a_form_posting_to_another_origin_gets_no_credentials() -> None:
    from pytest_prodready.config.flows import LoginFlow

    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(f"{request.method} {request.url}")
        page = '<form method="post" action="https://elsewhere.example/login?k=1">'
        page += '<input id="username" name="u"><input id="password" name="p"></form>'
        return httpx.Response(200, text=page)

    flow = LoginFlow(password_secret="p", username="a", success_url="/home")
    password = Secret("p", "V", "pw-" + "z" * 30)
    with (
        httpx.Client(
            base_url="https://app.example.com", transport=httpx.MockTransport(handler)
        ) as client,
        pytest.raises(roles.LoginFailed, match=r"posts to https://elsewhere\.example, another"),
    ):
        roles.form_login(client, flow, "staff", "a", password)
    assert sent == ["GET https://app.example.com/login"]


MASKED_AT_RUN_TIME = """
def test_uses_a_session(mask_secret):
    token = "sess-" + "q7" * 12
    mask_secret("session of admin", token)
    print("session cookie:", token)
    assert token == "another value"
"""


def test_a_value_masked_at_run_time_never_reaches_a_report(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    """What a form login hands out (its session cookies) is masked like a declared secret:
    ``mask_secret`` registers it; the terminal and the JUnit XML show the mask only."""
    pytester.makepyfile(test_it=MASKED_AT_RUN_TIME)
    config = tmp_path / "prodready.toml"
    config.write_text('[envs.x]\nbase_url = "https://127.0.0.1:9"\n')
    junit = tmp_path / "junit.xml"
    result = pytester.runpytest(
        "test_it.py", "--target-env=x", f"--prodready-config={config}", f"--junitxml={junit}"
    )
    result.assert_outcomes(failed=1)
    token = "sess-" + "q7" * 12
    text = result.stdout.str()
    assert "[masked:session of admin]" in text
    assert token not in text
    assert token not in junit.read_text()
