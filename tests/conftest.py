"""Shared fixtures for the plugin's own tests: real servers on 127.0.0.1, pytester helpers."""

from __future__ import annotations

import secrets
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

# In-process pytester runs drop modules first imported inside them, so these are imported
# once, out here, for good. httpx caches httpcore's exception classes on first use. Inner runs
# (no addopts of ours) load the plugins of pytest-playwright and schemathesis, which this run
# blocks: imported anew by every in-process run they would cost over 1 s each (enough to upset
# the tests that time a target's behaviour).
import httpcore  # noqa: F401
import pytest
import pytest_playwright.pytest_playwright  # noqa: F401
import schemathesis.pytest.plugin  # noqa: F401

from pytest_prodready.demo import DemoServer, DemoSettings
from pytest_prodready.options import BUILTIN_SUITES_VAR

# Here, not in addopts: a run of the suites alone (the README's smoke run) need not import it.
pytest_plugins = ["pytester"]


def pytest_configure(config: pytest.Config) -> None:
    # pytest-playwright keeps a global soft-assertion scope per test call; nested in-process
    # pytester runs would open it twice. The outer run drives no browser, so it sits out.
    playwright = config.pluginmanager.get_plugin("playwright")
    if playwright is not None:
        config.pluginmanager.unregister(playwright)


@pytest.fixture(autouse=True)
def _only_the_files_a_test_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    # A pytester run given --target-env and no paths means the files its test wrote: without
    # this the shipped suites would join it (tests/test_builtin_suites.py tests that they do).
    monkeypatch.setenv(BUILTIN_SUITES_VAR, "0")


DEMO_PASSWORD = "demo-pw-" + secrets.token_hex(8)
DEMO_TOKEN = "demo-token-" + secrets.token_hex(8)


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    """The production-ready demo app on 127.0.0.1, shared by the tests that only read it."""
    workdir = tmp_path_factory.mktemp("demo")
    settings = DemoSettings(
        variant="demo",
        admin_password=DEMO_PASSWORD,
        api_token=DEMO_TOKEN,
        request_log=workdir / "requests.jsonl",
    )
    with DemoServer(settings, workdir) as server:
        yield server


@pytest.fixture
def write_config(pytester: pytest.Pytester) -> Callable[[str], Path]:
    """Write ``prodready.toml`` (dedented) into the pytester directory."""

    def write(text: str) -> Path:
        path = pytester.path / "prodready.toml"
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write
