"""The browser fixture chain for runs where pytest-playwright is not loaded.

pytest-playwright imports Playwright when pytest loads it, on every run, browser tests or not
(about 0.2 s). A project that blocks it (``-p no:playwright`` in its ``addopts``, as
``prodready init`` recommends) still runs the browser suites: plugin.py registers this module
instead, with the same fixture names (``playwright``, ``browser_name``, ``browser_type``,
``browser_type_launch_args``, ``launch_browser``, ``browser``, ``browser_context_args``,
``new_context``, ``context``, ``page``), so our overrides in
:mod:`pytest_prodready.browser.plugin` and a project's own ``page`` tests work unchanged.
Playwright is imported when the first browser fixture is set up, never before.

What it lacks is pytest-playwright's command line (``--browser``, ``--headed``,
``--tracing``, ``--video``, ``--screenshot``, ``--output``): our failure screenshots still
attach to the HTML report; traces and videos need pytest-playwright.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, BrowserType, Page, Playwright

__all__ = [
    "browser",
    "browser_context_args",
    "browser_name",
    "browser_type",
    "browser_type_launch_args",
    "context",
    "launch_browser",
    "new_context",
    "page",
    "playwright",
]

PYTEST_PLAYWRIGHT = "pytest_playwright.pytest_playwright"


def playwright_plugin_loaded(pluginmanager: pytest.PytestPluginManager) -> bool:
    """Whether pytest-playwright is registered, under its entry-point name or any other
    (``-p pytest_playwright.pytest_playwright``)."""
    return any(
        getattr(plugin, "__name__", None) == PYTEST_PLAYWRIGHT
        for plugin in pluginmanager.get_plugins()
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser_context_args(**kwargs): extra options for this test's contexts"
    )


@pytest.fixture(scope="session")
def playwright() -> Generator[Playwright, None, None]:
    from playwright.sync_api import sync_playwright

    driver = sync_playwright().start()
    yield driver
    driver.stop()


@pytest.fixture(scope="session")
def browser_name() -> str:
    return "chromium"


@pytest.fixture(scope="session")
def browser_type(playwright: Playwright, browser_name: str) -> BrowserType:
    browser_type: BrowserType = getattr(playwright, browser_name)
    return browser_type


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    return {"headless": True}


@pytest.fixture(scope="session")
def launch_browser(
    browser_type_launch_args: dict[str, Any], browser_type: BrowserType
) -> Callable[..., Browser]:
    def launch(**kwargs: Any) -> Browser:
        return browser_type.launch(**{**browser_type_launch_args, **kwargs})

    return launch


@pytest.fixture(scope="session")
def browser(launch_browser: Callable[[], Browser]) -> Generator[Browser, None, None]:
    launched = launch_browser()
    yield launched
    launched.close()


@pytest.fixture(scope="session")
def browser_context_args(pytestconfig: pytest.Config) -> dict[str, Any]:
    # pytest-base-url's option, read without its fixture: that plugin may be blocked too.
    base_url = pytestconfig.getoption("base_url", default=None)
    return {"base_url": base_url} if base_url else {}


@pytest.fixture
def new_context(
    browser: Browser, browser_context_args: dict[str, Any], request: pytest.FixtureRequest
) -> Generator[Callable[..., BrowserContext], None, None]:
    """A factory of contexts with the run's options, each closed after the test; a
    ``@pytest.mark.browser_context_args(...)`` marker adds options, as in pytest-playwright."""
    marker = next(request.node.iter_markers("browser_context_args"), None)
    options = {**browser_context_args, **(marker.kwargs if marker else {})}
    contexts: list[BrowserContext] = []

    def create(**kwargs: Any) -> BrowserContext:
        created = browser.new_context(**{**options, **kwargs})
        contexts.append(created)
        return created

    yield create
    for created in contexts:
        created.close()


@pytest.fixture
def context(new_context: Callable[..., BrowserContext]) -> BrowserContext:
    return new_context()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()
