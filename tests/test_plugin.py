"""The plugin end to end: pytester runs against real servers on 127.0.0.1."""

from __future__ import annotations

import re
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pytest_prodready.demo import DemoServer

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestAssertRewriteWarning")

WriteConfig = Callable[[str], Path]


def assert_clean_usage_error(result: pytest.RunResult, *fragments: str) -> str:
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    err = result.stderr.str()
    assert "Traceback" not in err + result.stdout.str()
    for fragment in fragments:
        assert fragment in err, f"{fragment!r} not in {err!r}"
    return err


@pytest.fixture
def closed_port() -> int:
    """A loopback port with nothing listening (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port that accepts connections (kernel backlog) but never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


def test_unknown_env_lists_known_ones(pytester: pytest.Pytester, write_config: WriteConfig) -> None:
    write_config(
        """
        [envs.staging]
        base_url = "https://staging.test"
        [envs.prod]
        base_url = "https://prod.test"
        """
    )
    result = pytester.runpytest("--target-env", "stagign")
    assert_clean_usage_error(
        result, "unknown target environment 'stagign' (from --target-env)", "prod, staging"
    )


def test_env_var_selection_is_named_in_errors(
    pytester: pytest.Pytester, write_config: WriteConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config('[envs.prod]\nbase_url = "https://prod.test"\n')
    monkeypatch.setenv("PRODREADY_TARGET_ENV", "qa")
    result = pytester.runpytest()
    assert_clean_usage_error(result, "'qa' (from PRODREADY_TARGET_ENV environment variable)")


def test_malformed_toml_reports_the_line(
    pytester: pytest.Pytester, write_config: WriteConfig
) -> None:
    write_config('default_env = "prod"\n[envs.prod]\nbase_url = https://prod.test\n')
    assert_clean_usage_error(pytester.runpytest(), "not valid TOML", "line 3")


def test_unknown_key_names_file_table_key_and_valid_keys(
    pytester: pytest.Pytester, write_config: WriteConfig
) -> None:
    path = write_config('[envs.prod]\nbase_url = "https://prod.test"\nbase_ulr = "x"\n')
    assert_clean_usage_error(
        pytester.runpytest("--target-env", "prod"),
        str(path),
        "[envs.prod] has unknown key 'base_ulr'",
        "Valid keys there: ",
        "base_url",
    )


def test_target_env_without_config_says_where_it_looked(pytester: pytest.Pytester) -> None:
    assert_clean_usage_error(
        pytester.runpytest("--target-env", "prod"), "no configuration was found", "prodready.toml"
    )


def test_config_option_and_pyproject_table(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml(
        '[tool.prodready]\ndefault_env = "qa"\n[tool.prodready.envs.qa]\n'
        'base_url = "https://qa.test"\n'
    )
    pytester.makepyfile("def test_x(target):\n    assert target.name == 'qa'\n")
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["prodready: env 'qa' (from default_env in pyproject.toml)*"])
    other = pytester.path / "other.toml"
    other.write_text('[envs.x]\nbase_url = "https://x.test"\n')
    result = pytester.runpytest(
        "--prodready-config", str(other), "--target-env", "x", "-p", "no:cacheprovider"
    )
    result.stdout.fnmatch_lines(["prodready: env 'x' (from --target-env); config *other.toml"])
    result = pytester.runpytest("--prodready-config", str(pytester.path / "missing.toml"))
    assert_clean_usage_error(result, "missing.toml (--prodready-config) does not exist")


def test_allow_destructive_must_name_the_target(
    pytester: pytest.Pytester, write_config: WriteConfig
) -> None:
    write_config(
        '[envs.prod]\nbase_url = "https://prod.test"\n[envs.staging]\nbase_url = "https://s.test"\n'
    )
    result = pytester.runpytest("--target-env", "prod", "--allow-destructive=staging")
    assert_clean_usage_error(result, "--allow-destructive=staging does not match", "'prod'")


def test_missing_secret_fails_only_the_tests_that_ask(
    pytester: pytest.Pytester,
    write_config: WriteConfig,
    demo_server: DemoServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("QA_API_TOKEN", raising=False)
    monkeypatch.setenv("QA_PASSWORD", "pw-value-123456")
    write_config(
        f"""
        default_env = "qa"
        [envs.qa]
        base_url = "{demo_server.base_url}"
        secrets = {{ api_token = "QA_API_TOKEN", password = "QA_PASSWORD" }}
        """
    )
    pytester.makepyfile(
        """
        def test_uses_token(secret):
            secret("api_token")

        def test_uses_password(secret):
            assert str(secret("password")) == "********"

        def test_no_secret():
            pass
        """
    )
    result = pytester.runpytest("-rf")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "prodready: protected no (name 'qa' matches no protected pattern; no protected "
            "env's origin); secrets: password resolved, "
            "api_token MISSING ($QA_API_TOKEN)",
            "*secret 'api_token' of environment 'qa' is not set: environment variable "
            "QA_API_TOKEN is missing or empty*",
        ]
    )
    assert "pw-value-123456" not in result.stdout.str()


def test_dotenv_supplies_secrets(
    pytester: pytest.Pytester, write_config: WriteConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("QA_API_TOKEN", raising=False)
    write_config('[envs.qa]\nbase_url = "https://qa.test"\nsecrets = { t = "QA_API_TOKEN" }\n')
    (pytester.path / "qa.env").write_text("QA_API_TOKEN=from-dotenv-value\n")
    pytester.makepyfile(
        "def test_t(secret):\n    assert secret('t').reveal() == 'from-dotenv-value'\n"
    )
    result = pytester.runpytest("--target-env", "qa", "--prodready-dotenv", "qa.env")
    result.assert_outcomes(passed=1)
    missing = pytester.runpytest("--target-env", "qa", "--prodready-dotenv", "nope.env")
    assert_clean_usage_error(missing, "nope.env (from --prodready-dotenv) does not exist")


def test_env_sets_base_url_and_explicit_base_url_wins(
    pytester: pytest.Pytester, write_config: WriteConfig, demo_server: DemoServer
) -> None:
    write_config(f'[envs.qa]\nbase_url = "{demo_server.base_url}"\n')
    pytester.makepyfile(
        """
        import sys
        def test_url(base_url, target, api_url):
            sys.stdout.write(f"\\nSEEN {base_url} {target.base_url} {api_url}\\n")
        """
    )
    url = demo_server.base_url
    result = pytester.runpytest("--target-env", "qa", "-s")
    result.stdout.fnmatch_lines(
        [f"prodready: base_url {url} (from env 'qa')", f"SEEN {url} {url} {url}"]
    )
    result = pytester.runpytest("--target-env", "qa", "-s", "--base-url", "https://other.test")
    result.stdout.fnmatch_lines(
        [
            "prodready: base_url https://other.test "
            "(from --base-url, overrides the env's base_url)",
            "SEEN https://other.test https://other.test https://other.test",
        ]
    )


DESTRUCTIVE_TESTS = """
    import pytest

    @pytest.mark.destructive
    def test_writes(): pass

    @pytest.mark.load
    def test_loads(): pass

    @pytest.mark.ratelimit
    def test_bursts(): pass

    @pytest.mark.smoke
    def test_reads(): pass
"""

WAITING_TESTS = """
    import pytest

    @pytest.mark.ratelimit
    @pytest.mark.waits
    def test_resets(): pass

    @pytest.mark.flows
    def test_browses(): pass
"""


@pytest.mark.parametrize(
    ("env", "order"),
    [
        # Bursts first; then the client's checks; the waits; then what a lockout could upset.
        (
            "qa",
            [
                "test_bursts",
                "test_writes",
                "test_reads",
                "test_resets",
                "test_loads",
                "test_browses",
            ],
        ),
        (
            None,
            [
                "test_writes",
                "test_loads",
                "test_bursts",
                "test_reads",
                "test_resets",
                "test_browses",
            ],
        ),
    ],
)
def test_rate_limit_bursts_run_before_other_traffic(
    pytester: pytest.Pytester, write_config: WriteConfig, env: str | None, order: list[str]
) -> None:
    """Issue 14, defect 6: the limiter's budget is the bursts' to measure, not spent first.
    Issue 19: the resets wait while the client's checks run, before browser, contract, load."""
    write_config('[envs.qa]\nbase_url = "https://qa.test"\n')
    pytester.makepyfile(test_a=DESTRUCTIVE_TESTS, test_b=WAITING_TESTS)
    args = ["--target-env", env] if env else []
    result = pytester.runpytest("--collect-only", "-q", *args)
    assert [line.split("::")[-1] for line in result.stdout.lines if "::" in line] == order


def test_protected_env_skips_destructive_tests_loudly(
    pytester: pytest.Pytester, write_config: WriteConfig
) -> None:
    write_config('[envs.prod]\nbase_url = "https://prod.test"\n')
    pytester.makepyfile(DESTRUCTIVE_TESTS)
    result = pytester.runpytest("--target-env", "prod", "-rs")
    result.assert_outcomes(passed=1, skipped=3)
    result.stdout.fnmatch_lines(
        [
            "*prodready safety: destructive test on protected environment 'prod'; "
            "run it with --allow-destructive=prod*"
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "prodready: 3 destructive/load/rate-limit tests SKIPPED: environment 'prod' is "
            "protected. To run them on purpose: --allow-destructive=prod",
        ]
    )
    allowed = pytester.runpytest("--target-env", "prod", "--allow-destructive=prod")
    allowed.assert_outcomes(passed=4)
    assert "SKIPPED" not in allowed.stdout.str()


def test_redirect_to_a_protected_host_counts_as_protected(
    pytester: pytest.Pytester, write_config: WriteConfig, demo_server: DemoServer
) -> None:
    https_port = demo_server.base_url.rsplit(":", 1)[1]
    http_port = demo_server.http_url.rsplit(":", 1)[1]
    ca = demo_server.ca_bundle
    write_config(
        f"""
        [envs.prod]
        base_url = "https://127.0.0.1:{https_port}"
        ca_bundle = "{ca}"
        [envs.staging]
        base_url = "http://localhost:{http_port}"
        ca_bundle = "{ca}"
        [envs.direct]
        base_url = "https://localhost:{https_port}"
        ca_bundle = "{ca}"
        """
    )
    pytester.makepyfile(DESTRUCTIVE_TESTS)
    result = pytester.runpytest("--target-env", "staging", "-rs")
    result.assert_outcomes(passed=1, skipped=3)
    result.stdout.fnmatch_lines(
        ["*'staging' redirects to the host of protected environment 'prod'*"]
    )
    direct = pytester.runpytest("--target-env", "direct")
    direct.assert_outcomes(passed=4)


def test_target_down_is_one_line_not_a_traceback(
    pytester: pytest.Pytester, write_config: WriteConfig, closed_port: int
) -> None:
    write_config(f'[envs.qa]\nbase_url = "http://127.0.0.1:{closed_port}"\ntimeout_s = 2\n')
    pytester.makepyfile("def test_health(http):\n    http.get('/api/health')\n")
    result = pytester.runpytest("--target-env", "qa")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert f"cannot connect on GET http://127.0.0.1:{closed_port}/api/health" in out
    assert "Traceback" not in out
    assert "httpcore" not in out


def test_timeout_is_one_line_naming_the_budget(
    pytester: pytest.Pytester, write_config: WriteConfig, silent_port: int
) -> None:
    write_config(f'[envs.qa]\nbase_url = "http://127.0.0.1:{silent_port}"\ntimeout_s = 0.5\n')
    pytester.makepyfile("def test_health(fetch):\n    fetch('/api/health')\n")
    result = pytester.runpytest("--target-env", "qa")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert f"read timed out after 0.5 s on GET http://127.0.0.1:{silent_port}/api/health" in out
    assert "Traceback" not in out


def test_tls_broken_without_the_ca(
    pytester: pytest.Pytester, write_config: WriteConfig, demo_server: DemoServer
) -> None:
    write_config(f'[envs.qa]\nbase_url = "{demo_server.base_url}"\n')
    pytester.makepyfile("def test_home(fetch):\n    fetch('/')\n")
    result = pytester.runpytest("--target-env", "qa")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*TLS verification failed on GET https://127.0.0.1:*set ca_bundle*"]
    )


def test_fetch_caches_one_request_per_url(
    pytester: pytest.Pytester, write_config: WriteConfig, demo_server: DemoServer
) -> None:
    write_config(
        f'[envs.qa]\nbase_url = "{demo_server.base_url}"\nca_bundle = "{demo_server.ca_bundle}"\n'
    )
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("n", range(5))
        def test_home(fetch, n):
            assert fetch("/api/version?cache-probe").status_code == 200
        """
    )
    log = demo_server.settings.request_log
    assert log is not None
    # The log is created by the first request the server answers, which may be this test's.
    before = log.read_text().count("/api/version") if log.exists() else 0
    pytester.runpytest("--target-env", "qa").assert_outcomes(passed=5)
    assert log.read_text().count("/api/version") - before == 1


def test_no_config_no_selection_is_silent(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x():\n    pass\n")
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
    assert "prodready:" not in result.stdout.str()
    pytester.makepyfile("def test_x(target):\n    pass\n")
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*no target environment is selected*--target-env NAME*"])


def test_markers_are_registered_and_strict(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--markers")
    for marker in (
        "smoke",
        "security",
        "flows",
        "contract",
        "load",
        "ratelimit",
        "destructive",
        "slow",
    ):
        result.stdout.fnmatch_lines([f"@pytest.mark.{marker}:*"])


def test_fixtures_are_documented(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--fixtures")
    out = result.stdout.str()
    for name in ("target", "api_url", "secret", "http", "fetch"):
        match = re.search(rf"^{name} \[session scope\] -- .*\n    (\S.*)$", out, re.MULTILINE)
        assert match, f"fixture {name} is missing or has no docstring"


def test_plugin_options_do_not_collide(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--help")
    for option in ("--base-url=url", "--browser", "--host", "--target-env=NAME"):
        result.stdout.fnmatch_lines([f"*{option}*"])
    assert result.stdout.str().count("--base-url=") == 1


def test_expected_version_from_the_environment_variable_and_the_option_wins(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = Path(__file__).resolve().parent.parent
    args = [
        str(root / "suites" / "test_release.py"),
        "--target-env=demo",
        f"--prodready-config={root / 'prodready.toml'}",
        "-p",
        "no:cacheprovider",
    ]
    monkeypatch.setenv("PRODREADY_EXPECT_VERSION", "7.7.7")
    result = pytester.runpytest(*args)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*release.mismatch*expected '7.7.7', deployed '1.4.2'*"])
    monkeypatch.setenv("PRODREADY_EXPECT_VERSION", "1.4.2")
    pytester.runpytest(*args).assert_outcomes(passed=1)
    result = pytester.runpytest(*args, "--expect-version", "8.8.8")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*expected '8.8.8', deployed '1.4.2'*"])


def test_suites_without_an_environment_say_so_not_empty_parameter_set(
    pytester: pytest.Pytester,
) -> None:
    root = Path(__file__).resolve().parent.parent
    (pytester.path / "only.toml").write_text('[envs.x]\nbase_url = "https://x.test"\n')
    result = pytester.runpytest(
        str(root / "suites" / "test_pages.py"),
        str(root / "suites" / "test_headers.py"),
        "--prodready-config=only.toml",
        "-p",
        "no:cacheprovider",
    )
    out = result.stdout.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert "empty parameter set" not in out
    errors = [line for line in out.splitlines() if line.startswith("ERROR ")]
    assert errors
    # One failure section per test, each with the line (summary lines may be cut short).
    assert out.count("prodready: no target environment is selected") >= len(errors)


@pytest.mark.parametrize(
    ("location", "skipped"),
    [
        ("https://PROD.example.test./", 3),  # the same host, spelled differently
        ("http://[::1/login", 0),  # unparsable: no client follows it, no traceback either
        ("javascript:alert(1)", 0),
    ],
)
def test_protected_redirect_check_normalises_hosts_and_survives_bad_locations(
    pytester: pytest.Pytester, write_config: WriteConfig, location: str, skipped: int
) -> None:
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    from tests.servers import serve

    async def moved(request: object) -> Response:
        return Response(status_code=301, headers={"Location": location})

    with serve(Starlette(routes=[Route("/", moved)])) as server:
        write_config(
            f'[envs.prod]\nbase_url = "https://prod.example.test"\n'
            f'[envs.staging]\nbase_url = "{server.url}"\n'
        )
        pytester.makepyfile(DESTRUCTIVE_TESTS)
        result = pytester.runpytest("--target-env", "staging", "-rs")
    result.assert_outcomes(passed=4 - skipped, skipped=skipped)
    assert "Traceback" not in result.stdout.str()
