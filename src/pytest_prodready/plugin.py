"""pytest hooks only: options, markers, configuration, the safety gate, header and summary."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Generator, Mapping
from pathlib import Path

import pytest

from pytest_prodready import browser, fixtures
from pytest_prodready.config import (
    ConfigFile,
    Environment,
    GuardedEndpoint,
    RateLimitSpec,
    find_config,
    load_config,
)
from pytest_prodready.findings import Severity
from pytest_prodready.fixtures import RUNTIME_KEY
from pytest_prodready.reporting import header_lines, install_log_redaction, scrub_report
from pytest_prodready.runtime import Runtime, Selection, seed_embedded_secrets
from pytest_prodready.secrets import Redactor, load_dotenv

MARKERS = {
    "smoke": "fast and safe: runs after every deploy, touches nothing",
    "security": "security posture: TLS, headers, CSP, cookies, CORS, exposure",
    "flows": "critical user flows in a real browser",
    "contract": "API contract checks against the OpenAPI document",
    "load": "load against SLOs (destructive: skipped on protected envs)",
    "ratelimit": "rate-limit bursts (destructive: skipped on protected envs)",
    "destructive": "writes data or stresses the target: skipped on protected envs",
    "slow": "long-running: nightly only",
}
GATED_MARKERS = ("destructive", "load", "ratelimit")
SAFETY_PREFIX = "prodready safety:"
TARGET_ENV_VAR = "PRODREADY_TARGET_ENV"
EXPECT_VERSION_VAR = "PRODREADY_EXPECT_VERSION"
MAX_WAIT_S = 3600.0
GATE_TIMEOUT_EXIT = pytest.ExitCode.TESTS_FAILED
CONFIG_VAR = "PRODREADY_CONFIG"

_CLEANUP_KEY = pytest.StashKey[list[Callable[[], None]]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("prodready", "pytest-prodready (production-readiness checks)")
    group.addoption(
        "--target-env",
        metavar="NAME",
        default=None,
        help=f"environment to check, from prodready.toml (also ${TARGET_ENV_VAR}, "
        "ini prodready_target_env, then default_env).",
    )
    group.addoption(
        "--prodready-config",
        metavar="PATH",
        default=None,
        help=f"configuration file (also ${CONFIG_VAR}); default: prodready.toml or "
        "[tool.prodready] in pyproject.toml at the rootdir.",
    )
    group.addoption(
        "--prodready-dotenv",
        metavar="PATH",
        default=None,
        help="a .env file to read secret variables from (real environment variables win).",
    )
    group.addoption(
        "--allow-destructive",
        metavar="ENV",
        default=None,
        help="run destructive, load and rate-limit tests on the protected environment ENV; "
        "ENV must equal the target environment's name.",
    )
    group.addoption(
        "--expect-version",
        metavar="VALUE",
        default=None,
        help=f"the release the target must report (also ${EXPECT_VERSION_VAR}), e.g. a SHA.",
    )
    group.addoption(
        "--wait-for-version",
        metavar="VALUE",
        default=None,
        help="before any test, wait until the target reports this release and is healthy.",
    )
    group.addoption(
        "--wait-timeout",
        metavar="SECONDS",
        type=_seconds,
        default=300.0,
        help="how long --wait-for-version waits (default 300).",
    )
    group.addoption(
        "--wait-interval",
        metavar="SECONDS",
        type=_seconds,
        default=5.0,
        help="pause between --wait-for-version polls (default 5).",
    )
    group.addoption(
        "--fail-on",
        metavar="SEVERITY",
        type=_severity,
        default=Severity.LOW,
        help="lowest finding severity that fails a test: high, medium, low (default) or info; "
        "findings below it are reported, not failed.",
    )
    group.addoption(
        "--prodready-json",
        metavar="PATH",
        default=None,
        help="write the JSON summary (versioned schema: env, outcomes, findings, figures).",
    )
    group.addoption(
        "--prodready-sarif",
        metavar="PATH",
        default=None,
        help="write the findings as SARIF 2.1.0, for code-scanning dashboards.",
    )
    parser.addini("prodready_target_env", "default target environment for pytest-prodready")


def _severity(text: str) -> Severity:
    try:
        return Severity.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= MAX_WAIT_S:
        raise argparse.ArgumentTypeError(
            f"must be a number of seconds greater than 0 and at most {MAX_WAIT_S:g}, got {text!r}"
        )
    return value


def _select(config: pytest.Config, cfg: ConfigFile | None) -> Selection | None:
    option = config.getoption("target_env")
    if option:
        return Selection(option, "--target-env")
    if os.environ.get(TARGET_ENV_VAR):
        return Selection(os.environ[TARGET_ENV_VAR], f"{TARGET_ENV_VAR} environment variable")
    ini = config.getini("prodready_target_env")
    if isinstance(ini, str) and ini:
        return Selection(ini, "prodready_target_env ini option")
    if cfg is not None and cfg.default_env:
        return Selection(cfg.default_env, f"default_env in {cfg.path.name}")
    return None


def _load(config: pytest.Config) -> tuple[ConfigFile | None, str]:
    explicit, origin = config.getoption("prodready_config"), "--prodready-config"
    if not explicit and os.environ.get(CONFIG_VAR):
        explicit, origin = os.environ[CONFIG_VAR], f"{CONFIG_VAR} environment variable"
    found = find_config(config.rootpath, explicit, origin)
    if found is None:
        return None, f"prodready.toml or [tool.prodready] in pyproject.toml under {config.rootpath}"
    path, origin = found
    cfg = load_config(path, origin)
    if cfg is None and explicit:
        raise pytest.UsageError(
            f"prodready: {path} ({origin}) has no [tool.prodready] table. "
            "Add one, or point at a prodready.toml."
        )
    return cfg, str(path)


def _build_runtime(config: pytest.Config, redactor: Redactor) -> Runtime | None:
    cfg, looked = _load(config)
    selection = _select(config, cfg)
    allow = config.getoption("allow_destructive")
    if selection is None:
        if config.getoption("wait_for_version"):
            raise pytest.UsageError(
                "prodready: --wait-for-version needs a target environment. "
                "Pass --target-env NAME with it."
            )
        if allow:
            raise pytest.UsageError(
                f"prodready: --allow-destructive={allow} was given, but no target environment "
                "is selected. Pass --target-env with the same name."
            )
        return None
    if cfg is None:
        raise pytest.UsageError(
            f"prodready: target environment {selection.name!r} (from {selection.origin}) "
            f"was asked for, but no configuration was found: looked for {looked}. "
            "Create prodready.toml with an [envs.NAME] table, or pass --prodready-config PATH."
        )
    if selection.name not in cfg.envs:
        known = ", ".join(sorted(cfg.envs)) or "none"
        raise pytest.UsageError(
            f"prodready: unknown target environment {selection.name!r} "
            f"(from {selection.origin}). Environments defined in {cfg.path}: {known}. "
            "Check the spelling, or add an [envs.NAME] table."
        )
    if allow and allow != selection.name:
        raise pytest.UsageError(
            f"prodready: --allow-destructive={allow} does not match the target environment "
            f"{selection.name!r}. The value must name the environment being tested, so a "
            "command copied from another environment cannot stress this one. Use "
            f"--allow-destructive={selection.name} if you mean it."
        )
    env = cfg.envs[selection.name]
    stash = config.stash.setdefault(_CLEANUP_KEY, [])
    if env.embedded and not hasattr(config, "workerinput"):
        stash.append(seed_embedded_secrets(env))
    sources: list[Mapping[str, str]] = [os.environ]
    dotenv = config.getoption("prodready_dotenv")
    if dotenv:
        sources.append(load_dotenv(Path(dotenv)))
    explicit_base = config.getoption("base_url", None) or config.getini("base_url")
    expected = (
        config.getoption("expect_version")
        or config.getoption("wait_for_version")
        or os.environ.get(EXPECT_VERSION_VAR)
    )
    return Runtime(
        cfg,
        selection,
        base_url_override=explicit_base if isinstance(explicit_base, str) else None,
        expected_version=expected or None,
        redactor=redactor,
        secret_sources=sources,
    )


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    for name, description in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {description}")
    config.pluginmanager.register(fixtures, "prodready.fixtures")
    # Registered after pytest-playwright, so its overrides of that plugin's fixtures win.
    config.pluginmanager.register(browser, "prodready.browser")
    redactor = Redactor()
    runtime = _build_runtime(config, redactor)
    config.stash[RUNTIME_KEY] = runtime
    if runtime is None:
        return
    config.stash.setdefault(_CLEANUP_KEY, []).append(install_log_redaction(redactor))
    if not hasattr(config, "workerinput"):
        from pytest_prodready.summary import Collector

        config.pluginmanager.register(Collector(config, runtime), "prodready.summary")
    env = runtime.declared
    if env.base_url and not runtime.base_url_override:
        config.option.base_url = env.base_url


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    expected = config.getoption("wait_for_version")
    if not expected or hasattr(config, "workerinput") or config.option.collectonly:
        return
    from pytest_prodready.gate import wait_for_release

    runtime = config.stash[RUNTIME_KEY]
    assert runtime is not None  # _build_runtime refuses --wait-for-version without one
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    env = fixtures.resolved(runtime)

    def progress(line: str) -> None:
        if reporter is not None:
            reporter.write_line(line)

    result = wait_for_release(
        env,
        expected,
        timeout_s=config.getoption("wait_timeout"),
        interval_s=config.getoption("wait_interval"),
        progress=progress,
    )
    if not result.ok:
        pytest.exit(
            f"prodready gate: {env.name!r} did not report release {expected!r} and healthy "
            f"within {config.getoption('wait_timeout'):g} s ({result.polls} polls; last seen: "
            f"{result.last_seen}). No suite was run: a half-deployed environment only "
            "produces unrelated failures. Check the deploy, or raise --wait-timeout.",
            returncode=GATE_TIMEOUT_EXIT,
        )


PARAMETERS: dict[str, Callable[[Environment], tuple[object, ...]]] = {
    "page_spec": lambda env: env.pages,
    "health_endpoint": lambda env: env.health,
    "protected_page": lambda env: env.protected_pages,
    "guarded_endpoint": lambda env: env.guarded_endpoints,
    "rate_limit": lambda env: env.rate_limits,
}


def _param_id(value: object) -> str:
    if isinstance(value, GuardedEndpoint):
        return f"{value.method} {value.path}"
    if isinstance(value, RateLimitSpec):
        return value.name
    return str(getattr(value, "path", value))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # Suites are parametrized over the environment's own pages and endpoints.
    runtime = metafunc.config.stash.get(RUNTIME_KEY, None)
    for name, values_of in PARAMETERS.items():
        if name in metafunc.fixturenames:
            values = values_of(runtime.declared) if runtime is not None else ()
            metafunc.parametrize(name, values, ids=[_param_id(v) for v in values])


def pytest_unconfigure(config: pytest.Config) -> None:
    runtime = config.stash.get(RUNTIME_KEY, None)
    if runtime is not None:
        runtime.close()
    undos: list[Callable[[], None]] = config.stash.get(_CLEANUP_KEY, [])
    for undo in reversed(undos):
        undo()
    config.stash[_CLEANUP_KEY] = []


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    runtime = config.stash.get(RUNTIME_KEY, None)
    return header_lines(runtime) if runtime is not None else None


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[object], request: pytest.FixtureRequest
) -> Generator[None, object, object]:
    # pytest-base-url's fixture reads the option at setup: point it at the resolved target.
    if fixturedef.argname == "base_url":
        runtime = request.config.stash.get(RUNTIME_KEY, None)
        if runtime is not None and not runtime.base_url_override:
            request.config.option.base_url = fixtures.resolved(runtime).base_url
    return (yield)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    runtime = config.stash.get(RUNTIME_KEY, None)
    if runtime is None:
        return
    env = runtime.declared
    if not env.protected or config.getoption("allow_destructive") == env.name:
        return
    for item in items:
        gated = [m for m in GATED_MARKERS if item.get_closest_marker(m)]
        if gated:
            item.add_marker(
                pytest.mark.skip(
                    reason=f"{SAFETY_PREFIX} {'/'.join(gated)} test on protected environment "
                    f"{env.name!r}; run it with --allow-destructive={env.name}"
                )
            )


def pytest_runtest_setup(item: pytest.Item) -> None:
    runtime = item.config.stash.get(RUNTIME_KEY, None)
    if runtime is None or runtime.declared.protected:
        return
    if any(item.get_closest_marker(m) for m in GATED_MARKERS):
        protected = runtime.protected_redirect_target()
        if protected is not None:
            pytest.skip(
                f"{SAFETY_PREFIX} {runtime.declared.name!r} redirects to the host of protected "
                f"environment {protected!r}; treat it as protected (target it directly with "
                f"--target-env {protected} --allow-destructive={protected} if you mean it)"
            )


@pytest.hookimpl(wrapper=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> Generator[None, object, object]:
    # A target that is down or slow is a finding, told in one line, not a stack dump.
    try:
        return (yield)
    except Exception as exc:
        # httpx is imported lazily (it costs ~100 ms): if nothing imported it, it cannot be it.
        httpx = sys.modules.get("httpx")
        if httpx is None or not isinstance(exc, httpx.TransportError):
            raise
        from pytest_prodready.http import describe_error

        message = describe_error(exc)
    # Outside the except block, so the report carries no chained traceback.
    pytest.fail(message, pytrace=False)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    runtime = item.config.stash.get(RUNTIME_KEY, None)
    if runtime is None:
        return report
    if call.when == "call":
        from pytest_prodready.summary import findings_table, payload

        data = payload(item, runtime)
        report.prodready = data  # type: ignore[attr-defined]
        if data["findings"] and item.config.pluginmanager.has_plugin("html"):
            from pytest_html import extras

            table = extras.html(findings_table(data["findings"]))
            setattr(report, "extras", [*getattr(report, "extras", []), table])  # noqa: B010
    scrub_report(report, runtime.redactor)
    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    runtime = terminalreporter.config.stash.get(RUNTIME_KEY, None)
    if runtime is None:
        return
    gated = [
        rep
        for rep in terminalreporter.stats.get("skipped", [])
        if isinstance(rep.longrepr, tuple) and str(rep.longrepr[2]).find(SAFETY_PREFIX) >= 0
    ]
    if gated:
        name = runtime.declared.name
        terminalreporter.write_sep("!", "prodready safety gate", red=True, bold=True)
        terminalreporter.line(
            f"prodready: {len(gated)} destructive/load/rate-limit test"
            f"{'s' if len(gated) != 1 else ''} SKIPPED: environment {name!r} is protected. "
            f"To run them on purpose: --allow-destructive={name}",
            yellow=True,
            bold=True,
        )
    if runtime.demo is not None:
        terminalreporter.line(
            f"prodready: embedded {runtime.declared.embedded} target served at "
            f"{runtime.demo.base_url}"
        )
