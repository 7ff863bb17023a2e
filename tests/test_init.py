"""``prodready init URL``: the probe's budget and manners, what it picks, the file it writes.

Pure parts (classifying answers, deciding, writing TOML) are fed plain data; the probe and
the command run against real servers on 127.0.0.1: the demo, recording apps that answer
badly on purpose, and the field bed's Django + nginx stack, whose written config must run
the shipped smoke suites with no edit.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_prodready.config import ConfigFile, load_config
from pytest_prodready.core.catalogue import catalogue
from pytest_prodready.demo import DemoServer, DemoSettings
from pytest_prodready.demo.requestlog import read_request_log
from pytest_prodready.init.decide import decide, default_env_name
from pytest_prodready.init.facts import (
    Answer,
    Facts,
    Links,
    health_of,
    links_of,
    login_form,
    openapi_of,
    relative_path,
    settle,
    version_of,
)
from pytest_prodready.init.probe import Limits, ProbeError, probe
from pytest_prodready.init.render import append, render, toml_string
from tests.faults import harness
from tests.init_targets import Maze, Recorder, Route, shop
from tests.servers import free_port, serve

ROOT = Path(__file__).resolve().parents[1]
BASE = "https://app.test"
JSON = "application/json"


def run_init(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The command as a user runs it, through the module entry (no reinstall needed)."""
    return subprocess.run(
        [sys.executable, "-m", "pytest_prodready", "init", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env=harness.child_env(),
        check=False,
    )


def loaded(path: Path) -> ConfigFile:
    config = load_config(path, "test", known_ids=catalogue())
    assert config is not None
    return config


def one_line(stderr: str) -> str:
    """The refusal: exactly one line, no traceback."""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def answer(path: str, status: int = 200, body: str = "", **kw: object) -> Answer:
    return Answer(path, BASE + path, status, body=body, **kw)  # type: ignore[arg-type]


def facts_of(*answers: Answer, base: str = BASE, **kw: object) -> Facts:
    return Facts(BASE, base, None, "", {a.path: a for a in answers}, **kw)  # type: ignore[arg-type]


# -- what an answer is (plain data) ------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://app.test/login?next=/x#frag", "/login?next=/x"),
        ("https://APP.test:443/", "/"),
        ("http://app.test/login", None),  # another scheme is another origin
        ("https://app.test:8443/login", None),
        ("https://evil.test/login", None),
        ("javascript:alert(1)", None),
        ("https://[::1/", None),
    ],
)
def test_relative_path_keeps_to_the_base_origin(url: str, expected: str | None) -> None:
    assert relative_path(BASE, url) == expected


def test_relative_path_keeps_below_a_base_path() -> None:
    assert relative_path("https://app.test/shop", "https://app.test/shop/cart") == "/cart"
    assert relative_path("https://app.test/shop", "https://app.test/shop") == "/"
    assert relative_path("https://app.test/shop", "https://app.test/shopping") is None


def test_links_sort_pages_login_openapi_and_assets_and_drop_the_rest() -> None:
    html = """<html><head><link rel="stylesheet" href="/s/site.css">
    <script src="https://app.test/s/app.js"></script><script src="https://cdn.test/x.js"></script>
    </head><body>
    <a href="/">Home</a> <a href="pricing">Pricing</a> <a href="/pricing#plans">Plans</a>
    <a href="/account">Log in</a> <a href="/users/sign_in">x</a> <a href="/logout">Log out</a>
    <a href="/items/42/delete">Delete</a> <a href="https://evil.test/">Elsewhere</a>
    <a href="/docs/openapi.json">API</a> <a href="/brochure.pdf">PDF</a>
    <a href='/a"b'>quote</a> <a href="/new&#10;[envs.x]">newline</a> <a href="mailto:a@b">m</a>
    </body></html>"""
    links = links_of(BASE, answer("/", body=html, content_type="text/html"))
    assert links == Links(
        pages=("/pricing",),
        login=("/account", "/users/sign_in"),
        openapi=("/docs/openapi.json",),
        assets=("/s/site.css", "/s/app.js"),
    )


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        (  # the demo's: ids everywhere
            '<form><input id="username" name="username" type="text">'
            '<input id="password" type="password"><button id="go" type="submit">Go</button></form>',
            ("#username", "#password", "#go"),
        ),
        (  # Django's: ids on the fields, a bare submit button, a search form before it
            '<form action="/search"><input name="q"><button type="submit">Search</button></form>'
            '<form><input type="hidden" name="csrf"><input type="text" name="username" '
            'id="id_username" autocomplete="username"><input type="password" name="password" '
            'id="id_password"><button type="submit">Sign in</button></form>',
            (
                "#id_username",
                "#id_password",
                "form:has(input[type=password]) button[type=submit]",
            ),
        ),
        (  # no ids, a button without a type, fields outside any form (a script posts them)
            '<input name="email" type="email"><input name="pw" type="password"><button>Go</button>',
            ('input[name="email"]', 'input[name="pw"]', "button"),
        ),
    ],
)
def test_a_login_form_gives_selectors(form: str, expected: tuple[str, str, str]) -> None:
    found = login_form(answer("/login", body=form, content_type="text/html"))
    assert found is not None
    assert (found.username_selector, found.password_selector, found.submit_selector) == expected


def test_a_sign_up_form_or_a_page_without_password_is_no_login_form() -> None:
    sign_up = '<form><input name="u"><input type="password"><input type="password"></form>'
    for body in (sign_up, "<form><input name='q'></form>"):
        assert login_form(answer("/x", body=body, content_type="text/html")) is None


@pytest.mark.parametrize(
    ("body", "shape", "components"),
    [
        ('{"status": "ok"}', "flat values", ()),
        (
            '{"status": "UP", "components": {"db": {"status": "UP"}}}',
            "component map under 'components'",
            (("db", "UP"),),
        ),
        (
            '{"status": "pass", "checks": {"db:connections": [{"status": "pass"}]}}',
            "health-check draft (lists under 'checks')",
            (("db:connections", "pass"),),
        ),
        (
            '{"status": "UP", "checks": [{"name": "db", "status": "UP"}]}',
            "MicroProfile Health (a list under 'checks')",
            (("db", "UP"),),
        ),
        (
            '{"status": "UP", "details": {"disk": {"status": "UP"}}}',
            "component map under 'details'",
            (("disk", "UP"),),
        ),
    ],
)
def test_health_bodies_are_read_in_every_shape_the_suites_judge(
    body: str, shape: str, components: tuple[tuple[str, str], ...]
) -> None:
    found = health_of(answer("/health", body=body, content_type=JSON))
    assert found is not None
    assert (found.kind, found.shape, found.components) == ("json", shape, components)


@pytest.mark.parametrize(
    ("status", "body", "content_type", "kind"),
    [
        (200, "ok", "text/plain", "text"),
        (200, "<html>app shell</html>", "text/html", None),  # a SPA answers every path
        (200, '{"items": []}', JSON, None),  # JSON, but no health body
        (404, '{"status": "ok"}', JSON, None),
    ],
)
def test_what_is_not_a_json_health_body(
    status: int, body: str, content_type: str, kind: str | None
) -> None:
    found = health_of(answer("/health", status, body, content_type=content_type))
    assert (found.kind if found else None) == kind


def test_versions_and_openapi_documents_are_recognised() -> None:
    assert version_of(answer("/v", body='{"commit": "abc", "version": 2}')) == ("version", "2")
    assert version_of(answer("/v", body='{"build": {"version": "1"}}')) is None
    doc = '{"info": {}, "openapi": "3.1.0", "paths": {"/a": {}, "/b": {}}}'
    assert openapi_of(answer("/o", body=doc)) == "OpenAPI 3.1.0, 2 paths"
    assert openapi_of(answer("/o", body="swagger: '2.0'\ninfo: {}")) == "Swagger 2.0"
    # A document larger than what init keeps is read from its start.
    cut = '{"openapi":"3.0.3","paths":{"/a":' + "x" * 100
    assert openapi_of(answer("/o", body=cut)) == "OpenAPI 3.0.3"
    assert (
        openapi_of(answer("/o", body="<html>openapi: 3</html>", content_type="text/html")) is None
    )


def test_settle_follows_the_same_origin_chain_up_to_the_login_page() -> None:
    answers = {
        a.path: a
        for a in (
            answer("/dashboard", 301, location=f"{BASE}/dashboard/"),
            answer("/dashboard/", 302, location=f"{BASE}/login?next=/dashboard/"),
            answer("/login?next=/dashboard/", 200, "<form>", content_type="text/html"),
        )
    }
    settled = settle(answers, BASE, "/dashboard")
    assert settled is not None
    assert settled.path == "/dashboard/"


# -- deciding (plain data) ---------------------------------------------------------------


def test_decide_picks_what_the_smoke_suites_accept() -> None:
    login = (
        '<form><input id="user"><input id="pw" type="password"><button id="b">Go</button></form>'
    )
    facts = facts_of(
        answer(
            "/", body='<a href="/dashboard">D</a><a href="/about">A</a>', content_type="text/html"
        ),
        answer("/about", 301, location=f"{BASE}/about/"),
        answer("/about/", body="<h1>About</h1>", content_type="text/html"),
        answer("/dashboard", 302, location=f"{BASE}/signin?next=/dashboard"),
        answer("/signin", body=login, content_type="text/html"),
        answer("/api/health", 404),
        answer("/health", body='{"status": "ok"}', content_type=JSON, elapsed_ms=180),
        answer(
            "/health/detailed",
            body='{"status": "ok", "version": "9.9", "checks": {"db": "connected"}}',
            content_type=JSON,
        ),
        answer("/api/version", 404),
    )
    starter = decide(facts, env="staging")
    assert starter.pages == ("/", "/signin", "/about/")
    assert starter.protected_pages == ("/dashboard",)
    assert starter.login is not None
    assert (starter.login.path, starter.login.success_url) == ("/signin", "/dashboard")
    assert [h.path for h in starter.health] == ["/health", "/health/detailed"]
    simple, detailed = starter.health
    assert (simple.json_status, simple.max_latency_ms) == ("ok", 900)  # 5 x 180 ms, rounded up
    # "connected" is no state the suites know as healthy: it is allowed, with the defaults.
    assert "connected" in detailed.components_ok
    assert "ok" in detailed.components_ok
    # No version endpoint, but the detailed health body names the release.
    assert starter.release is not None
    assert (starter.release.path, starter.release.field) == ("/health/detailed", "version")
    assert starter.protected_by is None
    assert dict(starter.secrets) == {
        "login_username": "STAGING_LOGIN_USERNAME",
        "login_password": "STAGING_LOGIN_PASSWORD",
    }


def test_decide_notes_what_it_could_not_find_and_a_dependency_that_is_down() -> None:
    facts = facts_of(
        answer("/", body="<p>hi</p>", content_type="text/html"),
        answer("/api/health", body='{"status": "degraded", "components": {"db": "down"}}'),
        answer("/admin", body="<h1>Users</h1>", content_type="text/html"),
        skipped=("protected",),
    )
    starter = decide(facts, env="prod")
    notes = "\n".join(starter.notes)
    assert "budget ran out before: protected" in notes
    assert "no page redirected a stranger" not in notes  # it was not asked
    assert "db: 'down' at init" in notes
    assert "status: 'degraded' at init" in notes
    assert "no version endpoint" in notes
    assert "no OpenAPI document" in notes
    assert "no login page found" in notes
    assert "/admin answered 200 to a stranger: if only signed-in users may see it" in notes
    assert starter.health[0].json_status is None  # never pin an unhealthy value
    assert not starter.health[0].components_ok  # "down" is never allowed
    assert starter.protected_by == "prod*"


@pytest.mark.parametrize(
    ("url", "name"),
    [("http://127.0.0.1:8000", "local"), ("https://localhost", "local"), ("https://x.io", "prod")],
)
def test_the_default_env_name_is_protected_unless_local(url: str, name: str) -> None:
    assert default_env_name(url) == name


# -- the TOML it writes (plain data) -----------------------------------------------------


@pytest.mark.parametrize(
    "value", ['a"b', "back\\slash", "new\nline", "tab\there", "\x00\x1f\x7f", "é ☃ 😀", "\ud800x"]
)
def test_toml_strings_round_trip(value: str) -> None:
    parsed = tomllib.loads(f"v = {toml_string(value)}")["v"]
    assert parsed == value.replace("\ud800", "\ufffd")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "prodready.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_written_file_loads_with_the_plugins_loader(tmp_path: Path) -> None:
    facts = facts_of(
        answer("/", body='<a href="/login">Log in</a>', content_type="text/html"),
        answer(
            "/login",
            body="<form><input id='u'><input id='p' type='password'></form>",
            content_type="text/html",
        ),
        answer("/api/health", body='{"status": "ok"}', content_type=JSON),
        answer("/api/version", body='{"version": "1.0"}', content_type=JSON),
        answer("/openapi.json", body='{"openapi": "3.0.0", "paths": {}}', content_type=JSON),
    )
    (tmp_path / "ca.pem").write_text("not read by the loader", encoding="utf-8")
    starter = decide(facts, env="prod", ca_bundle="ca.pem")
    path = write(tmp_path, render(starter, today="2025-01-01", command="pytest suites -m smoke"))
    config = loaded(path)
    assert config.default_env == "prod"
    env = config.envs["prod"]
    assert (env.base_url, env.protected, env.protected_setting) == (BASE, True, True)
    assert env.ca_bundle == tmp_path / "ca.pem"
    assert env.page_paths == ("/", "/login")
    assert env.login_path == "/login"
    assert env.openapi == "/openapi.json"
    assert (env.release.path, env.release.field, env.release.expect) == (
        "/api/version",
        "version",
        None,
    )
    assert [(h.path, dict(h.json)) for h in env.health] == [("/api/health", {"status": "ok"})]
    assert env.secrets == {}  # named in a comment only, until the user sets them


def test_an_appended_environment_loads_beside_the_others(tmp_path: Path) -> None:
    existing = (
        '# mine\ndefault_env = "a"\n\n[envs.a]\nbase_url = "https://a.test"\n\n'
        "[envs.a.vitals]\nruns = 1"
    )
    starter = decide(facts_of(answer("/", body="<p>x</p>", content_type="text/html")), env="b")
    path = write(tmp_path, append(existing, starter, today="2025-01-01"))
    config = loaded(path)
    assert set(config.envs) == {"a", "b"}
    assert config.default_env == "a"
    assert config.envs["a"].vitals.runs == 1  # the last table of the file is untouched
    assert path.read_text(encoding="utf-8").startswith(existing)


def test_what_the_target_says_cannot_escape_its_comment(tmp_path: Path) -> None:
    evil = '1.0\n[envs.evil]\nbase_url = "https://evil.test"\r\x00\u2028x'
    facts = facts_of(
        answer("/", body="<p>x</p>", content_type="text/html"),
        answer("/api/health", body=json.dumps({"status": "ok", "msg": evil}), content_type=JSON),
        answer("/api/version", body=json.dumps({"version": evil}), content_type=JSON),
    )
    starter = decide(facts, env="staging")
    path = write(tmp_path, render(starter, today="2025-01-01", command="pytest"))
    assert set(loaded(path).envs) == {"staging"}


# -- the probe against real servers ------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    """A demo of its own, so its request log holds this module's requests only."""
    workdir = tmp_path_factory.mktemp("init-demo")
    settings = DemoSettings(
        variant="demo",
        admin_password="init-pw-0123456789",
        api_token="init-token-0123456789",
        request_log=workdir / "requests.jsonl",
    )
    with DemoServer(settings, workdir) as server:
        yield server


def demo_requests(demo: DemoServer) -> list[dict[str, object]]:
    assert demo.settings.request_log is not None
    return read_request_log(demo.settings.request_log)


def test_the_probe_finds_the_demos_endpoints_with_few_get_requests(demo: DemoServer) -> None:
    before = len(demo_requests(demo))
    lines: list[str] = []
    facts = probe(demo.http_url, ca_bundle=demo.ca_bundle, progress=lines.append)
    sent = demo_requests(demo)[before:]
    assert len(sent) == facts.requests <= 40
    assert {r["method"] for r in sent} == {"GET"}
    assert facts.base_url == demo.base_url
    assert facts.http_url == demo.http_url
    assert [line.split(":")[0] for line in lines] == [
        "home", "health", "version", "openapi", "pages", "login", "protected"
    ]  # fmt: skip
    starter = decide(facts, env="staging")
    assert [h.path for h in starter.health] == ["/api/health", "/api/health/detailed"]
    assert starter.release is not None
    assert starter.release.seen == "1.4.2"
    assert starter.openapi == ("/api/openapi.json", "OpenAPI 3.1.0, 6 paths")
    assert starter.protected_pages == ("/dashboard",)
    assert starter.pages == ("/", "/login")
    assert starter.assets == ("/static/app.css", "/static/app.js")
    assert starter.login is not None
    assert starter.login.form is not None
    assert starter.login.form.submit_selector == "#login-submit"


def test_a_maze_costs_at_most_the_request_budget(tmp_path: Path) -> None:
    maze = Maze()
    with serve(maze) as server:
        start = time.monotonic()
        facts = probe(server.url)
        took = time.monotonic() - start
    assert len(maze.seen) == facts.requests == 40
    assert {s.method for s in maze.seen} == {"GET"}
    assert facts.skipped  # and says so
    assert took < 15
    # Every answer set a cookie; none went back, and no credential went out.
    assert not [s for s in maze.seen if "cookie" in s.headers or "authorization" in s.headers]


def test_a_slow_target_costs_at_most_the_time_budget() -> None:
    slow = Recorder(shop().routes, delay_s=0.4)
    limits = Limits(total_s=2.0, per_request_s=1.0)
    with serve(slow) as server:
        start = time.monotonic()
        facts = probe(server.url, limits=limits)
        took = time.monotonic() - start
    assert took < limits.total_s + 0.5
    assert facts.skipped
    assert "budget ran out" in decide(facts, env="local").notes[0]


def test_an_endpoint_that_never_answers_costs_one_request_budget() -> None:
    target = shop()
    target.routes["/api/health"] = Route(delay_s=30)
    with serve(target) as server:
        start = time.monotonic()
        facts = probe(server.url, limits=Limits(per_request_s=1.0))
        took = time.monotonic() - start
    assert took < 5
    assert facts.answers["/api/health"].status == 0
    assert [h.path for h in decide(facts, env="local").health] == ["/health"]


def test_a_redirect_to_another_host_is_never_followed() -> None:
    elsewhere = Recorder()
    with serve(elsewhere) as other:
        away = Recorder({"/": Route(302, location=f"http://localhost:{other.port}/")})
        with serve(away) as server, pytest.raises(ProbeError, match="another host") as refused:
            probe(server.url)
    assert elsewhere.seen == []
    assert f"run prodready init http://localhost:{other.port}" in str(refused.value)


def test_the_shop_is_read_as_it_is(tmp_path: Path) -> None:
    target = shop()
    with serve(target) as server:
        facts = probe(server.url)
    starter = decide(facts, env="local")
    assert starter.plain_http  # a loopback target on plain HTTP, on purpose
    assert starter.pages == ("/", "/account/sign-in", "/pricing")
    assert starter.protected_pages == ("/dashboard/",)
    assert starter.login is not None
    assert starter.login.form is not None
    assert (starter.login.form.username_selector, starter.login.form.submit_selector) == (
        "#email",
        "form:has(input[type=password]) button",
    )
    [health] = starter.health
    assert "connected" in health.components_ok
    assert starter.release is not None
    assert (starter.release.path, starter.release.field, starter.release.seen) == (
        "/version",
        "commit",
        "abc123",
    )
    assert not [s for s in target.seen if s.path == "/logout"]
    path = write(tmp_path, render(starter, today="2025-01-01", command="pytest"))
    assert loaded(path).envs["local"].plain_http


# -- the command: refusals, --force, --env ------------------------------------------------


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("ftp://files.example.com", "not an HTTP URL (ftp:)"),
        ("example.com", "Write it like https://example.com"),
        ("https://user:hunter2@example.com/", "carries credentials"),
        ("https://", "has no host"),
        ("http://[::1", "not a valid URL"),
    ],
)
def test_a_url_init_cannot_probe_is_refused_in_one_line(
    url: str, says: str, tmp_path: Path
) -> None:
    done = run_init(url, cwd=tmp_path)
    assert done.returncode == 2
    line = one_line(done.stderr)
    assert says in line
    assert "hunter2" not in line
    assert not (tmp_path / "prodready.toml").exists()


def test_an_unreachable_host_is_refused_in_one_line(tmp_path: Path) -> None:
    done = run_init(f"http://127.0.0.1:{free_port()}", cwd=tmp_path)
    assert done.returncode == 1
    assert "cannot reach http://127.0.0.1:" in one_line(done.stderr)
    assert done.stdout == ""


def test_a_private_ca_without_ca_bundle_is_refused_in_one_line(
    demo: DemoServer, tmp_path: Path
) -> None:
    done = run_init(demo.base_url, cwd=tmp_path)
    assert done.returncode == 1
    line = one_line(done.stderr)
    assert "TLS verification" in line
    assert "--ca-bundle" in line


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--ca-bundle", "missing.pem"], "no such file"),
        (["--ca-bundle", "prodready.toml"], "not a PEM certificate"),
        (["--env", "prod.eu"], "not a usable environment name"),
        (["--config", "nowhere/prodready.toml"], "does not exist"),
        (["--config", "pyproject.toml"], "is a pyproject.toml"),
        ([], "exists, and init never overwrites"),
    ],
)
def test_usage_mistakes_are_refused_in_one_line_before_any_request(
    args: list[str], says: str, tmp_path: Path
) -> None:
    (tmp_path / "prodready.toml").write_text("# mine\n", encoding="utf-8")
    target = Recorder()
    with serve(target) as server:
        done = run_init(server.url, *args, cwd=tmp_path)
    assert done.returncode == 2
    assert says in one_line(done.stderr)
    assert target.seen == []
    assert (tmp_path / "prodready.toml").read_text(encoding="utf-8") == "# mine\n"


def test_force_replaces_and_env_adds_but_never_twice(tmp_path: Path) -> None:
    config = tmp_path / "prodready.toml"
    config.write_text("# an old file\n", encoding="utf-8")
    with serve(shop()) as server:
        forced = run_init(server.url, "--force", cwd=tmp_path)
        assert forced.returncode == 0, forced.stderr
        assert "# an old file" not in config.read_text(encoding="utf-8")
        added = run_init(server.url, "--env", "prod", cwd=tmp_path)
        assert added.returncode == 0, added.stderr
        again = run_init(server.url, "--env", "prod", cwd=tmp_path)
    assert again.returncode == 2
    assert "environment 'prod' is already in" in one_line(again.stderr)
    envs = loaded(config).envs
    assert set(envs) == {"local", "prod"}
    assert (envs["local"].protected, envs["prod"].protected) == (False, True)
    assert f"added env 'prod' to {config}" in added.stdout


def test_the_command_reports_progress_on_stderr_and_the_summary_on_stdout(
    demo: DemoServer, tmp_path: Path
) -> None:
    done = run_init(demo.base_url, "--ca-bundle", str(demo.ca_bundle), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    phases = [line.split(":")[1].strip() for line in done.stderr.splitlines()]
    assert phases == ["home", "http", "health", "version", "openapi", "pages", "login", "protected"]
    assert done.stdout.startswith(
        f"prodready init: wrote env 'local' to {tmp_path / 'prodready.toml'}"
    )
    assert "next: pytest " in done.stdout
    assert loaded(tmp_path / "prodready.toml").envs["local"].ca_bundle == demo.ca_bundle


def test_the_command_without_a_subcommand_says_so_in_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest_prodready"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "--help" in one_line(done.stderr)


# -- after init, the smoke run needs no edit ---------------------------------------------


def smoke(config: Path, env: str, workdir: Path) -> dict[str, int]:
    """The shipped smoke suites against ``env`` of ``config``, in a pytest of their own."""
    summary = workdir / "summary.json"
    args = [
        str(ROOT / "suites"),
        "--prodready-config",
        str(config),
        "--target-env",
        env,
        "-m",
        "smoke",
        "-p",
        "no:cacheprovider",
        "-rfEs",
        "--prodready-json",
        str(summary),
    ]
    done = harness.launch(args, cwd=workdir, watchdog_s=240, env=harness.child_env())
    assert done.ret == 0, done.output[-4000:]
    outcomes: dict[str, int] = json.loads(summary.read_text(encoding="utf-8"))["outcomes"]
    return outcomes


def test_the_demo_smoke_run_passes_on_the_written_config(demo: DemoServer, tmp_path: Path) -> None:
    before = len(demo_requests(demo))
    start = time.monotonic()
    done = run_init(
        demo.http_url, "--ca-bundle", str(demo.ca_bundle), "--env", "staging", cwd=tmp_path
    )
    took = time.monotonic() - start
    assert done.returncode == 0, done.stderr
    sent = demo_requests(demo)[before:]
    assert len(sent) <= 40
    assert {r["method"] for r in sent} == {"GET"}
    print(f"init against the demo: {len(sent)} requests, {took:.1f} s (with interpreter start)")
    outcomes = smoke(tmp_path / "prodready.toml", "staging", tmp_path)
    assert outcomes.get("passed", 0) >= 20, outcomes
    assert not outcomes.get("failed"), outcomes
    assert not outcomes.get("error"), outcomes


def test_the_django_nginx_smoke_run_passes_on_the_written_config(tmp_path: Path) -> None:
    from tests.field.django_stack import django_stack

    with django_stack("good", tmp_path / "stack") as stack:
        start = time.monotonic()
        http = f"http://127.0.0.1:{stack.http_port}"
        done = run_init(http, "--ca-bundle", str(stack.ca_bundle), "--env", "field", cwd=tmp_path)
        took = time.monotonic() - start
        assert done.returncode == 0, done.stderr
        print(f"init against Django + nginx: {took:.1f} s (with interpreter start)\n{done.stdout}")
        env = loaded(tmp_path / "prodready.toml").envs["field"]
        assert (env.base_url, env.http_url) == (stack.base_url, http)
        assert env.login_path == "/accounts/login/"
        assert env.protected_pages == ("/dashboard/",)
        outcomes = smoke(tmp_path / "prodready.toml", "field", tmp_path)
    assert outcomes.get("passed", 0) >= 20, outcomes
    assert not outcomes.get("failed"), outcomes
    assert not outcomes.get("error"), outcomes
