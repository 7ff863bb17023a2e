"""Configuration parsing: plain files in, dataclasses or one-paragraph usage errors out."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pytest_prodready.config import ConfigFile, find_config, load_config
from pytest_prodready.core.catalogue import catalogue


def load(tmp_path: Path, text: str) -> ConfigFile | None:
    path = tmp_path / "prodready.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return load_config(path, "test", known_ids=catalogue())


def usage_error(tmp_path: Path, text: str) -> str:
    with pytest.raises(pytest.UsageError) as excinfo:
        load(tmp_path, text)
    message = str(excinfo.value)
    assert "\n" not in message, "errors are one paragraph"
    assert str(tmp_path / "prodready.toml") in message, "errors name the file"
    return message


def test_full_environment_parses(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("x")
    cfg = load(
        tmp_path,
        """
        default_env = "prod"
        [envs.prod]
        base_url = "https://example.com/"
        api_url = "https://example.com/api"
        openapi = "/api/openapi.json"
        ca_bundle = "ca.pem"
        timeout_s = 5
        pages = ["/", "/login", "/"]
        secrets = { api_token = "PROD_API_TOKEN" }
        """,
    )
    assert cfg is not None
    env = cfg.envs["prod"]
    assert env.base_url == "https://example.com"
    assert env.api_url == "https://example.com/api"
    assert env.protected is True, "prod is protected by default"
    assert env.ca_bundle == (tmp_path / "ca.pem").resolve()
    assert env.timeout_s == 5.0
    assert env.page_paths == ("/", "/login")
    assert dict(env.secrets) == {"api_token": "PROD_API_TOKEN"}
    assert env.host == "example.com"


@pytest.mark.parametrize(
    ("name", "protected"),
    [("prod", True), ("production", True), ("live", True), ("staging", False)],
)
def test_protected_default_follows_the_name(tmp_path: Path, name: str, protected: bool) -> None:
    cfg = load(tmp_path, f'[envs.{name}]\nbase_url = "https://x.test"\n')
    assert cfg is not None
    assert cfg.envs[name].protected is protected


def test_protected_can_be_overridden(tmp_path: Path) -> None:
    cfg = load(tmp_path, '[envs.prod]\nbase_url = "https://x.test"\nprotected = false\n')
    assert cfg is not None
    assert cfg.envs["prod"].protected is False


def test_embedded_env_needs_no_base_url(tmp_path: Path) -> None:
    cfg = load(tmp_path, '[envs.demo]\nembedded = "demo"\n')
    assert cfg is not None
    assert cfg.envs["demo"].base_url is None
    assert cfg.envs["demo"].embedded == "demo"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[envs.prod]\nbase_url = "https://x.test"\ntimeout = 5\n', "unknown key 'timeout'"),
        ('[envs.prod]\nbase_url = "https://x.test"\ntimeout = 5\n', "Valid keys there:"),
        ('defualt_env = "prod"\n', "top level has unknown key 'defualt_env'"),
        ("[envs.prod]\nprotected = true\n", "[envs.prod] key 'base_url' is missing"),
        ('[envs.prod]\nbase_url = "example.com"\n', "absolute http or https URL"),
        ('[envs.prod]\nbase_url = "ftp://example.com"\n', "absolute http or https URL"),
        ('[envs.s]\nbase_url = "https://x.test"\ntimeout_s = -1\n', "greater than 0"),
        ('[envs.s]\nbase_url = "https://x.test"\ntimeout_s = "10"\n', "must be a number"),
        ('[envs.s]\nbase_url = "https://x.test"\ntimeout_s = 9000\n', "at most 300"),
        ('[envs.s]\nbase_url = "https://x.test"\nprotected = "yes"\n', "true or false"),
        ('[envs.s]\nbase_url = "https://x.test"\npages = ["login"]\n', "not a path"),
        ('[envs.s]\nbase_url = "https://x.test"\npages = "/"\n', "list of strings"),
        ('[envs.s]\nbase_url = "https://x.test"\nsecrets = ["X"]\n', "never put a value here"),
        ('[envs.s]\nbase_url = "https://x.test"\nca_bundle = "nope.pem"\n', "does not exist"),
        ('[envs.s]\nembedded = "shop"\n', "Valid values: demo, demo-broken"),
        ('[envs.s]\nembedded = "demo"\nbase_url = "https://x.test"\n', "cannot be set"),
        ('default_env = "prod"\n[envs.s]\nbase_url = "https://x.test"\n', "not defined"),
        ("envs = 3\n", "must be a table"),
        ('[envs]\ns = "https://x.test"\n', "[envs.s] must be a table"),
        ('[envs.s]\nbase_url = "https://x.test"\nhttp_url = "https://x.test"\n', "http URL"),
    ],
)
def test_mistakes_are_one_paragraph_usage_errors(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in usage_error(tmp_path, text)


def test_malformed_toml_names_the_line(tmp_path: Path) -> None:
    message = usage_error(tmp_path, "[envs.prod]\nprotected = true\nbase_url = https://x.test\n")
    assert "not valid TOML" in message
    assert "line 3" in message


def test_pyproject_tool_table(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(
        '[tool.prodready]\ndefault_env = "staging"\n'
        '[tool.prodready.envs.staging]\nbase_url = "https://staging.test"\n'
    )
    cfg = load_config(path, "test", known_ids=catalogue())
    assert cfg is not None
    assert cfg.default_env == "staging"
    assert cfg.where("envs", "staging") == "[tool.prodready.envs.staging]"
    path.write_text('[tool.prodready.envs.staging]\nbase_url = "https://s.test"\ntiemout_s = 3\n')
    with pytest.raises(pytest.UsageError, match=r"\[tool\.prodready\.envs\.staging\] has unknown"):
        load_config(path, "test", known_ids=catalogue())


def test_pyproject_without_table_is_no_config(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text('[project]\nname = "app"\n')
    assert load_config(path, "test", known_ids=catalogue()) is None
    assert find_config(tmp_path, None, "") is None


def test_find_config_prefers_prodready_toml(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.prodready]\n")
    (tmp_path / "prodready.toml").write_text("")
    found = find_config(tmp_path, None, "")
    assert found is not None
    assert found[0].name == "prodready.toml"


def test_health_release_pages_and_guarded_sections(tmp_path: Path) -> None:
    cfg = load(
        tmp_path,
        """
        [envs.s]
        base_url = "https://s.test"
        pages = ["/", { path = "/pricing", contains = "Pricing", max_ttfb_ms = 800 }]
        protected_pages = ["/dashboard"]
        release = { path = "/version.json", field = "sha", expect = "abc" }
        [[envs.s.health.endpoints]]
        path = "/api/health"
        json = { status = "ok" }
        max_latency_ms = 500
        [[envs.s.health.endpoints]]
        path = "/api/health/detailed"
        components_ok = ["operational", "ok"]
        [[envs.s.guarded_endpoints]]
        path = "/api/cron/cleanup"
        method = "get"
        expect_status = 401
        """,
    )
    assert cfg is not None
    env = cfg.envs["s"]
    assert env.page_paths == ("/", "/pricing")
    assert env.pages[1].contains == "Pricing"
    assert env.pages[1].max_ttfb_ms == 800
    assert env.protected_pages == ("/dashboard",)
    assert env.release.field == "sha"
    assert env.release.expect == "abc"
    assert [h.path for h in env.health] == ["/api/health", "/api/health/detailed"]
    assert dict(env.health[0].json) == {"status": "ok"}
    assert env.health[1].components_ok == ("operational", "ok")
    assert env.guarded_endpoints[0].method == "GET"
    assert env.guarded_endpoints[0].expect_status == (401,)


def test_defaults_when_sections_are_absent(tmp_path: Path) -> None:
    cfg = load(tmp_path, '[envs.s]\nbase_url = "https://s.test"\n')
    assert cfg is not None
    env = cfg.envs["s"]
    assert [h.path for h in env.health] == ["/api/health"]
    assert env.release.path == "/api/version"
    assert env.guarded_endpoints == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[[envs.s.health.endpoints]]\npath = '/h'\nexpect = 200\n",
            "[envs.s.health.endpoints[0]] has unknown key 'expect'",
        ),
        ("[[envs.s.health.endpoints]]\nmax_latency_ms = 5\n", "key 'path' is missing"),
        ("[envs.s.health]\nendpoint = []\n", "[envs.s.health] has unknown key 'endpoint'"),
        ("[envs.s.release]\nversion = '1'\n", "[envs.s.release] has unknown key 'version'"),
        ("[[envs.s.guarded_endpoints]]\npath = '/x'\nmethod = 'FETCH'\n", "Valid values: GET"),
        ("[[envs.s.guarded_endpoints]]\npath = '/x'\nexpect_status = [99]\n", "HTTP status"),
        ("[envs.s.health]\nendpoints = 3\n", "array of tables"),
        ("[envs.s]\npages = [{ path = '/', statuss = 200 }]\n", "unknown key 'statuss'"),
    ],
)
def test_section_mistakes(tmp_path: Path, text: str, expected: str) -> None:
    body = '[envs.s]\nbase_url = "https://s.test"\n' + text.replace("[envs.s]\n", "")
    assert expected in usage_error(tmp_path, body)


def test_expect_and_accept_sections(tmp_path: Path) -> None:
    cfg = load(
        tmp_path,
        """
        [envs.s]
        base_url = "https://s.test"
        expect = { hsts_min_age = 31536000, cert_warn_days = 21, session_cookies = ["sid"] }
        [[envs.s.accept]]
        id = "health.cacheable"
        reason = "CDN strips the header; tracked in OPS-12"
        until = "2027-01-31"  # quoted, as often written: same date
        path = "/api/health"
        """,
    )
    assert cfg is not None
    env = cfg.envs["s"]
    assert env.expect.hsts_min_age == 31536000
    assert env.expect.cert_warn_days == 21
    assert env.expect.cert_critical_days == 7
    assert env.expect.session_cookies == ("sid",)
    [acceptance] = env.accept
    assert acceptance.until.isoformat() == "2027-01-31"
    assert acceptance.matches("health.cacheable", "https://s.test/api/health")
    assert not acceptance.matches("health.cacheable", "https://s.test/other")
    assert not acceptance.matches("health.slow", "https://s.test/api/health")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[[envs.s.accept]]\nid = 'health.cachable'\nreason = 'x'\nuntil = 2027-01-31\n",
            "Did you mean health.cacheable?",
        ),
        (
            "[[envs.s.accept]]\nid = 'nope.nothing'\nreason = 'x'\nuntil = 2027-01-31\n",
            "'nope.nothing', which is not a finding id",
        ),
        ("[[envs.s.accept]]\nid = 'health.slow'\nuntil = 2027-01-31\n", "key 'reason' is missing"),
        (
            "[[envs.s.accept]]\nid = 'health.slow'\nreason = 'x'\nuntil = 'next week'\n",
            "key 'until' must be a date (YYYY-MM-DD), got 'next week'",
        ),
        ("[[envs.s.accept]]\nid = 'health.slow'\nreason = 'x'\n", "must be a date (YYYY-MM-DD)"),
        ("[envs.s.expect]\nhsts_min = 1\n", "[envs.s.expect] has unknown key 'hsts_min'"),
        (
            "[envs.s.expect]\nframing_origins = ['partner.example.com']\n",
            "key 'framing_origins' has 'partner.example.com', which is not an origin",
        ),
        ("[envs.s.expect]\nframing_origins = ['https://[::1']\n", "which is not an origin"),
        ("[envs.s.expect]\ncert_warn_days = 0\n", "whole number from 1 to 365"),
        ("[envs.s.expect]\ncert_warn_days = 10\ncert_critical_days = 20\n", "from 0 to 10"),
    ],
)
def test_expect_and_accept_mistakes(tmp_path: Path, text: str, expected: str) -> None:
    body = '[envs.s]\nbase_url = "https://s.test"\n' + text
    assert expected in usage_error(tmp_path, body)


def test_contract_load_flows_vitals_and_browser(tmp_path: Path) -> None:
    (tmp_path / "smoke.py").write_text("")
    cfg = load(
        tmp_path,
        """
        [browser]
        executable = "/usr/bin/chromium"
        [envs.s]
        base_url = "https://s.test"
        secrets = { api_token = "T", admin_password = "P" }
        vitals = { lcp_ms = 2000, runs = 3 }
        [envs.s.contract]
        max_examples = 5
        seed = 42
        rate_limit = "10/s"
        headers = { Authorization = "Bearer {api_token}" }
        [envs.s.load]
        locustfile = "smoke.py"
        users = 5
        p95_ms = 500
        error_rate = 0
        [envs.s.load.requests."GET /api/items"]
        p95_ms = 300
        [envs.s.flows.login]
        username = "admin@demo.test"
        password_secret = "admin_password"
        success_url = "/dashboard"
        """,
    )
    assert cfg is not None
    assert cfg.browser_executable == Path("/usr/bin/chromium")
    env = cfg.envs["s"]
    assert env.contract.seed == 42
    assert dict(env.contract.headers) == {"Authorization": "Bearer {api_token}"}
    assert env.load is not None
    assert env.load.locustfile == (tmp_path / "smoke.py").resolve()
    assert env.load.slo.error_rate == 0.0
    assert env.load.requests["GET /api/items"].p95_ms == 300
    assert env.login is not None
    assert env.login.password_secret == "admin_password"
    assert env.vitals.lcp_ms == 2000
    assert env.vitals.cls == 0.1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[envs.s.contract]\nchecks = ['not_a_server_eror']\n",
            "'not_a_server_eror', which is not a check",
        ),
        ("[envs.s.contract]\nrate_limit = 'fast'\n", 'e.g. "10/s"'),
        (
            "[envs.s.contract]\nheaders = { Authorization = 'Bearer {token}' }\n",
            "{token}, which is not a declared secret",
        ),
        ("[envs.s.load]\nlocustfile = 'missing.py'\n", "does not exist"),
        ("[envs.s.load]\nlocustfile = 'smoke.py'\nerror_rate = 2\n", "ratio from 0 to 1"),
        (
            "[envs.s.load]\nlocustfile = 'smoke.py'\nusers = 50\n"
            "max_users = 10\nmax_duration_s = 60\n",
            "above max_users = 10",
        ),
        ("[envs.s.flows.login]\npassword_secret = 'nope'\n", "names secret 'nope'"),
        (
            "[envs.s.flows.login]\npassword_secret = 'admin_password'\nsuccess_url = '/d'\n",
            "exactly one must be set",
        ),
        (
            "[envs.s.flows.login]\npassword_secret = 'admin_password'\nusername = 'a'\n",
            "success_selector",
        ),
        ("[envs.s.vitals]\nlcp = 1\n", "unknown key 'lcp'"),
        ("[browser]\nexe = 'x'\n", "[browser] has unknown key 'exe'"),
    ],
)
def test_profile_mistakes(tmp_path: Path, text: str, expected: str) -> None:
    (tmp_path / "smoke.py").write_text("")
    body = '[envs.s]\nbase_url = "https://s.test"\nsecrets = { admin_password = "P" }\n' + text
    assert expected in usage_error(tmp_path, body)


def test_protected_env_load_needs_caps(tmp_path: Path) -> None:
    (tmp_path / "smoke.py").write_text("")
    body = '[envs.prod]\nbase_url = "https://p.test"\n[envs.prod.load]\nlocustfile = "smoke.py"\n'
    assert "must both be set on a protected environment" in usage_error(tmp_path, body)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[envs.prod]\nbase_ulr = "https://x.test"\n',
            "[envs.prod] has unknown key 'base_ulr': did you mean 'base_url'? "
            "('base_url' is required and missing.) Rename it to base_url.",
        ),
        (
            '[envs.prod]\nbase_url = "https://x.test"\ntimout_s = 3\n',
            "[envs.prod] has unknown key 'timout_s'. Did you mean 'timeout_s'? Valid keys",
        ),
        (
            '[envs.prod]\nbase_url = "https://x.test"\ntimout_s = 3\nopenap = "/o"\n',
            "Did you mean 'openapi' for 'openap', 'timeout_s' for 'timout_s'?",
        ),
        ('[envs.prod]\nzzz = "https://x.test"\n', "[envs.prod] key 'base_url' is missing."),
    ],
)
def test_a_typo_is_named_with_what_was_meant(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(pytest.UsageError) as raised:
        load(tmp_path, text)
    assert message in str(raised.value)


BASE = '[envs.s]\nbase_url = "https://s.test"\n'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            BASE + '[envs.s.contract]\nallow_ref_origins = ["https://a.test/schemas"]\n',
            "[envs.s.contract] key 'allow_ref_origins' has 'https://a.test/schemas', which is "
            "not an origin. Write scheme and host (and port), no path",
        ),
        (
            BASE + '[envs.s.contract]\nallow_ref_origins = ["file:///etc"]\n',
            "which is not an origin",
        ),
        (BASE + "[envs.s.contract]\nmax_operations = 0\n", "'max_operations' must be a whole"),
        (BASE + "[envs.s.contract]\nmax_time_s = -1\n", "'max_time_s' must be greater than 0"),
        (
            BASE + '[[envs.s.rate_limits]]\nname = "a"\npath = "/a"\nlimit = 5\n'
            "max_reset_wait_s = 7200\n",
            "'max_reset_wait_s' must be greater than 0 and at most 3600",
        ),
        (BASE + "[envs.s.ratelimit_probe]\nrequests = 0\n", "'requests' must be a whole number"),
        (BASE + "[envs.s.ratelimit_probe]\nwithin = 5\n", "unknown key 'within'"),
        (BASE + 'plain_http = "yes"\n', "'plain_http' must be true or false"),
    ],
)
def test_new_keys_refuse_bad_values_in_one_paragraph(
    tmp_path: Path, text: str, expected: str
) -> None:
    assert expected in usage_error(tmp_path, text)


def test_new_keys_parse(tmp_path: Path) -> None:
    cfg = load(
        tmp_path,
        BASE
        + "plain_http = true\n"
        + '[envs.s.contract]\nallow_ref_origins = ["https://a.test:8443"]\n'
        + "max_operations = 30\nmax_time_s = 2.5\n"
        + '[envs.s.ratelimit_probe]\npath = "/api/items"\nrequests = 20\nwithin_s = 4\n',
    )
    assert cfg is not None
    env = cfg.envs["s"]
    assert env.plain_http
    assert env.contract.allow_ref_origins == ("https://a.test:8443",)
    assert (env.contract.max_operations, env.contract.max_time_s) == (30, 2.5)
    probe = env.ratelimit_probe
    assert (probe.path, probe.requests, probe.within_s, probe.enabled) == (
        "/api/items",
        20,
        4,
        True,
    )
