"""Playwright on the system Chromium: fixtures that pytest-playwright's chain picks up.

plugin.py registers this module after pytest-playwright, so ``browser_type_launch_args`` and
``browser_context_args`` here override that plugin's (and extend them: each asks for the
overridden fixture of the same name). Our own fixtures live in
:mod:`pytest_prodready.browser.fixtures` and are registered from here; the hooks decide which
artifacts a run keeps, withhold the traces and videos of tests that typed a secret, and attach
our screenshots to failed tests' HTML reports. Playwright is
imported inside functions only, so loading the plugin for a run without browser tests costs
nothing.
"""

from __future__ import annotations

import base64
import contextlib
import os
from collections.abc import Callable, Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_prodready.browser.artifacts import (
    SECRET_TYPED_KEY,
    apply,
    mode_from,
    policy_for,
    withhold_recordings,
)
from pytest_prodready.browser.fixtures import (
    ARTIFACTS_KEY,
    SHOTS_KEY,
    _prodready_login,  # noqa: F401 - a fixture
    axe,
    browser_audit,
    browser_login,
    browser_visit,
    interaction_timing,
    lighthouse_audit,
    log_in,
    logged_in_page,
    login_flow,
    page_watch,
)
from pytest_prodready.browser.launch import (
    Chromium,
    autodetect_enabled,
    chromium_switches,
    find_chromium,
    leaf_pin,
)
from pytest_prodready.target.runtime import RUNTIME_KEY, resolved

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright

    from pytest_prodready.target.runtime import Runtime

__all__ = [
    "axe",
    "browser",
    "browser_audit",
    "browser_context_args",
    "browser_login",
    "browser_type_launch_args",
    "browser_visit",
    "interaction_timing",
    "lighthouse_audit",
    "log_in",
    "logged_in_page",
    "login_flow",
    "page_watch",
]

_CHROMIUM_KEY = pytest.StashKey[Chromium]()
_HEADER_KEY = pytest.StashKey[list[str]]()


def pytest_configure(config: pytest.Config) -> None:
    # Environment variables are checked up front: a typo must stop the run, not skip tests.
    mode_from(config.getoption("prodready_artifacts", default=None))
    autodetect_enabled(os.environ)


def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    runtime = config.stash.get(RUNTIME_KEY, None)
    if runtime is None:
        return
    protected = runtime.declared.protected
    mode, origin = mode_from(config.getoption("prodready_artifacts", default=None))
    policy = policy_for(mode, origin, protected=protected)
    config.stash[ARTIFACTS_KEY] = policy
    chromium = _chromium(config, runtime).describe()
    # The command line wins: pytest-playwright then launches that channel, not our executable.
    channel = config.getoption("--browser-channel", default=None)
    if channel:
        chromium = f"channel {channel} (from --browser-channel)"
    video = _video(config)
    config.stash[_HEADER_KEY] = [
        f"prodready browser: chromium {chromium}",
        *([video] if video else []),
        apply(config.option, policy, protected=protected),
    ]


def _video(config: pytest.Config) -> str | None:
    """Before any test: video with the system ffmpeg, or off, said in one line."""
    if getattr(config.option, "video", "off") == "off":
        return None
    from pytest_prodready.browser.ffmpeg import enable_system_ffmpeg

    support = enable_system_ffmpeg()
    if support.problem is not None:
        config.option.video = "off"
        return f"prodready browser: {support.problem}"
    return f"prodready browser: video {config.option.video} with ffmpeg {support.ffmpeg}"


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    return config.stash.get(_HEADER_KEY, None)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    # Ctrl-C (or a CI cancel) during a test that typed a secret skips its teardown report,
    # where recordings are withheld; pytest-playwright still saves the trace of that
    # unfinished test when the session tears its fixtures down, just before this runs.
    for item in session.items:
        if item.stash.get(SECRET_TYPED_KEY, None) is None:
            continue
        recorder = getattr(item, "_playwright_artifacts_recorder", None)
        for kind, path in getattr(recorder, "artifacts", ()):
            if kind in ("trace", "video"):
                with contextlib.suppress(OSError):
                    Path(path).unlink(missing_ok=True)
                with contextlib.suppress(OSError):
                    Path(path).parent.rmdir()  # only when nothing else is left in it


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    # pytest-playwright's own wrapper is trylast: by now it has kept (or not) this test's
    # artifacts and listed them on the teardown report.
    typed = item.stash.get(SECRET_TYPED_KEY, None)
    if report.when == "teardown" and typed is not None:
        withhold_recordings(report, item.config.invocation_params.dir, typed)
    shots = item.stash.get(SHOTS_KEY, [])
    if report.when == "call" and report.failed and shots:
        pytest_html = item.config.pluginmanager.getplugin("html")
        if pytest_html is not None:
            extras = list(getattr(report, "extras", []))
            for name, png in shots:
                content = base64.b64encode(png).decode("ascii")
                extras.append(pytest_html.extras.png(content, name=name))
            report.extras = extras  # type: ignore[attr-defined]
    return report


def _chromium(config: pytest.Config, runtime: Runtime) -> Chromium:
    # Without Playwright's own download (finding it means starting its driver): the header
    # is printed for every run, browser tests or not.
    if _CHROMIUM_KEY not in config.stash:
        cfg = runtime.config_file
        config.stash[_CHROMIUM_KEY] = find_chromium(
            cfg.browser_executable, cfg.path.name, os.environ
        )
    return config.stash[_CHROMIUM_KEY]


@pytest.fixture(scope="session")
def browser(
    launch_browser: Callable[[], Browser], pytestconfig: pytest.Config
) -> Generator[Browser, None, None]:
    """pytest-playwright's ``browser``, but a Chromium that exists and does not start (a
    broken install, a wrong binary) fails each browser test with one line naming it, not
    Playwright's launch log of every switch."""
    try:
        launched = launch_browser()
    except Exception as exc:
        if type(exc).__module__.split(".")[0] != "playwright":
            raise
        chromium = pytestconfig.stash.get(_CHROMIUM_KEY, None)
        what = f"{chromium.path} ({chromium.origin})" if chromium and chromium.path else "it"
        detail = str(exc).strip()
        first = detail.splitlines()[0] if detail else type(exc).__name__
        message = (
            f"prodready browser: Chromium did not start: {what}: {first}. Check that it runs "
            "(chromium --headless --version), or point PRODREADY_CHROMIUM at one that does."
        )
    else:
        yield launched
        launched.close()
        return
    pytest.fail(message, pytrace=False)


@pytest.fixture(scope="session")
def browser_type_launch_args(
    browser_type_launch_args: dict[str, Any],
    pytestconfig: pytest.Config,
    browser_name: str | None,
    playwright: Playwright,
) -> dict[str, Any]:
    """pytest-playwright's launch options, on the system Chromium.

    The executable comes from ``PRODREADY_CHROMIUM``, else ``[browser] executable`` in the config
    file, else an installed Chromium/Chrome (``PRODREADY_CHROMIUM_AUTODETECT=0`` turns that off);
    ``--browser-channel`` overrides them all. With none, every browser test skips with one line
    saying how to install one. For a target on a private CA (``ca_bundle``, the embedded demo)
    the leaf certificate, verified against that CA, is pinned with
    ``--ignore-certificate-errors-spki-list``.
    """
    runtime = pytestconfig.stash.get(RUNTIME_KEY, None)
    if runtime is None or browser_name not in (None, "chromium"):
        return browser_type_launch_args
    args = dict(browser_type_launch_args)
    chromium = _chromium(pytestconfig, runtime)
    if not chromium.found and chromium.origin == "nowhere":
        cfg = runtime.config_file
        own = Path(playwright.chromium.executable_path)
        chromium = find_chromium(
            cfg.browser_executable, cfg.path.name, os.environ, bundled=lambda: own
        )
    if "channel" not in args and "executable_path" not in args:
        if not chromium.found:
            pytest.skip(chromium.problem or "prodready: no Chromium")
        if chromium.path is not None:
            args["executable_path"] = str(chromium.path)
    env = resolved(runtime)
    pin = None
    if env.ca_bundle is not None and env.base_url:
        pin = leaf_pin(env.base_url, env.ca_bundle, env.timeout_s)
    root = hasattr(os, "geteuid") and os.geteuid() == 0
    switches = chromium_switches(root=root, pins=[pin] if pin else [])
    args["args"] = [*args.get("args", []), *switches]
    return args


@pytest.fixture(scope="session")
def browser_context_args(
    browser_context_args: dict[str, Any], pytestconfig: pytest.Config
) -> dict[str, Any]:
    """pytest-playwright's context options, pointed at the target: ``base_url`` is the
    environment's, HTTPS errors are not ignored (a private CA is trusted by pin, see
    ``browser_type_launch_args``) and the page's CSP is never bypassed."""
    runtime = pytestconfig.stash.get(RUNTIME_KEY, None)
    if runtime is None:
        return browser_context_args
    env = resolved(runtime)
    args = {**browser_context_args, "base_url": env.base_url, "ignore_https_errors": False}
    args.pop("bypass_csp", None)
    return args
