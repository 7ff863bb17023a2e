"""pytest hooks only: options, markers, configuration, the safety gate, header and summary."""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable, Generator
from pathlib import Path

import pytest

from pytest_prodready import fixtures
from pytest_prodready.browser import chain
from pytest_prodready.browser import plugin as browser
from pytest_prodready.config import (
    Environment,
    GuardedEndpoint,
    RateLimitSpec,
)
from pytest_prodready.config.shipped import candidates, shipped_dir
from pytest_prodready.core.safety import GATED_MARKERS, SAFETY_PREFIX
from pytest_prodready.core.secrets import Redactor
from pytest_prodready.options import (
    builtin_suites_wanted,
    pytest_addoption,  # noqa: F401 - a hook
)
from pytest_prodready.report.header import header_lines, install_log_redaction, scrub_report
from pytest_prodready.target.runtime import RUNTIME_KEY, Runtime, resolved, runtime_of
from pytest_prodready.target.selection import TARGET_ENV_VAR, build_runtime
from pytest_prodready.target.suite_marks import unselectable

MARKERS = {
    "smoke": "fast and safe: runs after every deploy, touches nothing",
    "security": "security posture: TLS, headers, CSP, cookies, CORS, exposure",
    "flows": "critical user flows in a real browser",
    "contract": "API contract checks against the OpenAPI document",
    "load": "load against SLOs (destructive: skipped on protected envs)",
    "ratelimit": "rate-limit bursts (destructive: skipped on protected envs)",
    "destructive": "writes data or stresses the target: skipped on protected envs",
    "slow": "long-running: nightly only",
    "waits": "waits on the target's clock (a rate-limit reset): runs after the other tests, "
    "so its wait overlaps their work",
}
# Tests whose traffic the session's client does not carry (a browser, schemathesis, locust)
# and may meet a rate limiter's lockout: they run after the resets.
AFTER_RESETS = ("flows", "contract", "load")
GATE_TIMEOUT_EXIT = pytest.ExitCode.TESTS_FAILED

_CLEANUP_KEY = pytest.StashKey[list[Callable[[], None]]]()
# The directories between a collection argument and the shipped suites, from the first that
# pytest would skip (a virtualenv, a dot directory), and the suites: walked anyway, and only
# towards the suites.
_ROUTE_KEY = pytest.StashKey[tuple[frozenset[Path], Path]]()
# The shipped suites a run without paths collects, for the header.
_SUITES_KEY = pytest.StashKey[Path]()


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    for name, description in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {description}")
    config.pluginmanager.register(fixtures, "prodready.fixtures")
    if not chain.playwright_plugin_loaded(config.pluginmanager):
        # Blocked (``-p no:playwright``) for a faster start: the same fixtures, Playwright
        # imported only by a browser test. Registered first, so the overrides below win.
        config.pluginmanager.register(chain, "prodready.browser-chain")
    # Registered after pytest-playwright, so its overrides of that plugin's fixtures win.
    config.pluginmanager.register(browser, "prodready.browser")
    redactor = Redactor()
    runtime = build_runtime(config, redactor, config.stash.setdefault(_CLEANUP_KEY, []))
    config.stash[RUNTIME_KEY] = runtime
    if runtime is None:
        return
    _add_builtin_suites(config, runtime)
    config.stash.setdefault(_CLEANUP_KEY, []).append(install_log_redaction(redactor))
    if not hasattr(config, "workerinput"):
        from pytest_prodready.report.summary import Collector

        config.pluginmanager.register(Collector(config, runtime), "prodready.summary")
    env = runtime.declared
    if env.base_url and not runtime.base_url_override:
        config.option.base_url = env.base_url
    if _runs_tests_here(config):
        runtime.launch()


def _chosen_for_the_run(config: pytest.Config) -> bool:
    """Whether the environment was chosen for this run (``--target-env``, the environment
    variable, the ini option), not only named by ``default_env``."""
    return bool(
        config.getoption("target_env")
        or os.environ.get(TARGET_ENV_VAR)
        or config.getini("prodready_target_env")
    )


def _runs_tests_here(config: pytest.Config) -> bool:
    """Whether this process runs tests against an environment chosen for the run: not an
    xdist controller, not ``--collect-only``, not a bare ``pytest`` under ``default_env``
    (the project's own tests may never touch the target)."""
    if not _chosen_for_the_run(config) or config.option.collectonly:
        return False
    return hasattr(config, "workerinput") or getattr(config.option, "dist", "no") == "no"


def pytest_sessionfinish(session: pytest.Session) -> None:
    runtime = session.config.stash.get(RUNTIME_KEY, None)
    if runtime is not None:
        runtime.finish()


def _add_builtin_suites(config: pytest.Config, runtime: Runtime) -> None:
    """With an environment chosen for this run and no paths given, the shipped suites are
    collected beside the project's own tests (``testpaths``, or the current directory).

    Only a choice made for the run counts (``--target-env``, the environment variable, the
    ini option): ``default_env`` keeps a bare ``pytest`` running the project's own tests.
    xdist workers decide the same from the same command line.
    """
    if (
        not _chosen_for_the_run(config)
        or config.args_source is pytest.Config.ArgsSource.ARGS
        or not builtin_suites_wanted(config)
    ):
        return
    suites = shipped_dir("suites")
    if suites is None:
        looked = " and ".join(str(p) for p in candidates("suites"))
        raise pytest.UsageError(
            f"prodready: environment {runtime.declared.name!r} was chosen without test paths, "
            "so the suites that ship with pytest-prodready would run, but this installation "
            f"has none (looked in {looked}). Reinstall it (pip install --force-reinstall "
            "pytest-prodready), name the paths to run, or pass --no-builtin-suites."
        )
    hook = config.hook.pytest_ignore_collect
    for arg in config.args:
        where = Path(os.path.abspath(config.invocation_params.dir / arg))
        try:
            inside = suites.relative_to(where.resolve())
        except ValueError:
            continue
        # Already under a path pytest collects: collected from there, once. A directory on the
        # way that pytest skips (the project's .venv) is walked anyway, towards them only; the
        # suites themselves ignored (--ignore) stay ignored.
        route = [where.joinpath(*inside.parts[:i]) for i in range(1, len(inside.parts) + 1)]
        ignored = [d for d in route if hook(collection_path=d, config=config)]
        if ignored and ignored[-1] == route[-1]:
            return
        if ignored:
            config.stash[_ROUTE_KEY] = (frozenset(route[route.index(ignored[0]) : -1]), route[-1])
        config.stash[_SUITES_KEY] = suites
        return
    if not hook(collection_path=suites, config=config):
        config.args.append(str(suites))
        config.stash[_SUITES_KEY] = suites


@pytest.hookimpl(tryfirst=True)
def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    walk, suites = config.stash.get(_ROUTE_KEY, (frozenset(), None))
    if collection_path == suites or collection_path in walk:
        return False
    if collection_path.parent in walk:
        return True
    markexpr = config.option.markexpr
    if markexpr and collection_path.suffix == ".py" and unselectable(collection_path, markexpr):
        return True  # a shipped suite with no test -m can select: not even imported
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    expected = config.getoption("wait_for_version")
    if not expected or hasattr(config, "workerinput") or config.option.collectonly:
        return
    from pytest_prodready.target.gate import wait_for_release

    runtime = config.stash[RUNTIME_KEY]
    assert runtime is not None  # _build_runtime refuses --wait-for-version without one
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    env = resolved(runtime)

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
    "lighthouse_page": lambda env: env.lighthouse.pages or env.page_paths,
    "health_endpoint": lambda env: env.health,
    "protected_page": lambda env: env.protected_pages,
    "guarded_endpoint": lambda env: env.guarded_endpoints,
    "rate_limit": lambda env: env.rate_limits,
    "access_rule": lambda env: env.access,
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
    if runtime is None:
        return None
    suites = config.stash.get(_SUITES_KEY, None)
    added = [
        f"prodready: built-in suites from {suites} (no test paths given; "
        "--no-builtin-suites leaves them out)"
    ]
    return header_lines(runtime) + (added if suites is not None else [])


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[object], request: pytest.FixtureRequest
) -> Generator[None, object, object]:
    # pytest-base-url's fixture reads the option at setup: point it at the resolved target.
    if fixturedef.argname == "base_url":
        runtime = request.config.stash.get(RUNTIME_KEY, None)
        if runtime is not None and not runtime.base_url_override:
            request.config.option.base_url = resolved(runtime).base_url
    return (yield)


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    # What start-up and collection made (modules, suites, items) lives until the run ends:
    # kept out of the garbage collector's scans, the collections during the tests, pytest's
    # two at the end (unraisable exceptions) and the interpreter's at exit look at what the
    # tests made only. Not when something is frozen already: a run inside a run (pytester,
    # pytest.main in a loop) would freeze, and so keep, each inner session.
    if gc.get_freeze_count() == 0:
        gc.freeze()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    runtime = config.stash.get(RUNTIME_KEY, None)
    if runtime is None:
        return
    items.sort(key=_run_order)
    env, protection = runtime.declared, runtime.protection
    if not protection.protected or config.getoption("allow_destructive") == protection.owner:
        return
    where = f"protected environment {env.name!r}"
    if protection.owner != env.name:
        where = f"{env.name!r}, protected as {protection.owner!r} ({protection.reason})"
    for item in items:
        gated = [m for m in GATED_MARKERS if item.get_closest_marker(m)]
        if gated:
            item.add_marker(
                pytest.mark.skip(
                    reason=f"{SAFETY_PREFIX} {'/'.join(gated)} test on {where}; "
                    f"run it with --allow-destructive={protection.owner}"
                )
            )


def _run_order(item: pytest.Item) -> int:
    """Rate-limit bursts first: earlier traffic (contracts, pages) would spend the limiter's
    budget and leave a correct limiter looking broken. Then the work that goes through the
    session's client (which holds back from a locked-out path), then the waits for the
    limiters to reset, overlapped by that work, then what the client does not carry. A stable
    sort keeps each group in collection order."""
    if item.get_closest_marker("waits"):
        return 2
    if item.get_closest_marker("ratelimit"):
        return 0
    if any(item.get_closest_marker(name) for name in AFTER_RESETS):
        return 3
    return 1


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    runtime = item.config.stash.get(RUNTIME_KEY, None)
    if runtime is None:
        # A test that needs an environment fails the way the `target` fixture fails, and
        # first: before one parametrized over the environment's pages skips as "got empty
        # parameter set", or pytest-playwright launches a browser with nothing to aim it at.
        if "target" in getattr(item, "fixturenames", ()):
            runtime_of(item.config)
        return
    if runtime.declared.protected:
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
        if httpx is None or not isinstance(exc, httpx.RequestError | httpx.InvalidURL):
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
        from pytest_prodready.report.summary import findings_table, payload

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
        name, owner = runtime.declared.name, runtime.protection.owner
        protected = "is protected" if owner == name else f"is protected as {owner!r}"
        terminalreporter.write_sep("!", "prodready safety gate", red=True, bold=True)
        terminalreporter.line(
            f"prodready: {len(gated)} destructive/load/rate-limit test"
            f"{'s' if len(gated) != 1 else ''} SKIPPED: environment {name!r} {protected}. "
            f"To run them on purpose: --allow-destructive={owner}",
            yellow=True,
            bold=True,
        )
    if runtime.demo is not None:
        terminalreporter.line(
            f"prodready: embedded {runtime.declared.embedded} target served at "
            f"{runtime.demo.base_url}"
        )
