"""Our browser fixtures: ``page_watch``, ``browser_visit``, ``browser_audit``, ``axe``,
``interaction_timing``, ``login_flow``, ``log_in``, ``browser_login``, ``logged_in_page`` and
``lighthouse_audit``. plugin.py registers :mod:`pytest_prodready.browser.plugin`, which
imports them, so they sit on top of pytest-playwright's chain (``browser``, ``new_context``)
and its overrides of ``browser_context_args``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

import pytest

from pytest_prodready.browser.artifacts import SECRET_TYPED_KEY, ArtifactPolicy, policy_for
from pytest_prodready.config.flows import LoginFlow
from pytest_prodready.core.findings import Finding
from pytest_prodready.target.runtime import resolved, runtime_of

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

    from pytest_prodready.browser.audits import LighthousePage
    from pytest_prodready.browser.facts import AuditFacts, LoginOutcome, PageFacts
    from pytest_prodready.browser.watch import PageWatch
    from pytest_prodready.config import Environment
    from pytest_prodready.target.runtime import Runtime

__all__ = [
    "ARTIFACTS_KEY",
    "SHOTS_KEY",
    "axe",
    "browser_audit",
    "browser_login",
    "browser_visit",
    "interaction_timing",
    "lighthouse_audit",
    "log_in",
    "logged_in_page",
    "login_flow",
    "page_watch",
]

ARTIFACTS_KEY = pytest.StashKey[ArtifactPolicy]()
# Screenshots taken by our own probes, attached to the test's report when it fails.
SHOTS_KEY = pytest.StashKey[list[tuple[str, bytes]]]()


def _policy(config: pytest.Config) -> ArtifactPolicy:
    # Set at session start; a protected default if a fixture runs without it.
    return config.stash.get(ARTIFACTS_KEY, None) or policy_for("auto", "default", protected=True)


def _scrubbed(runtime: Runtime, findings: Iterable[Finding]) -> list[Finding]:
    # Evidence quotes the page (alert texts, console lines, URLs): the page may echo a secret.
    scrub = runtime.redactor.scrub
    return [dataclasses.replace(f, evidence=scrub(f.evidence)) for f in findings]


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@pytest.fixture
def page_watch(pytestconfig: pytest.Config, target: Environment) -> Callable[[Page], PageWatch]:
    """``watch = page_watch(page)`` before the first ``goto``: records console errors,
    uncaught exceptions, failed same-origin requests, mixed content and CSP violations;
    ``watch.findings()`` judges all of it, for ``assert_no_findings``."""
    from pytest_prodready.browser.watch import PageWatch

    assert target.base_url is not None
    origin = _origin(target.base_url)

    def watch(page: Page) -> PageWatch:
        page.set_default_timeout(target.timeout_s * 1000)
        return PageWatch(page, origin)

    return watch


@pytest.fixture
def browser_visit(
    browser: Browser,
    request: pytest.FixtureRequest,
    pytestconfig: pytest.Config,
    target: Environment,
    browser_context_args: dict[str, Any],
) -> Callable[[str], PageFacts]:
    """``browser_visit("/pricing")``: what Chromium saw loading that page in a fresh context,
    loaded once per session (per path): console, requests, mixed content, CSP events, and
    ``[envs.X.vitals] runs`` web-vitals samples. A page the browser cannot load at all fails
    the test in one line."""
    from pytest_prodready.browser.vitals import runs_for, vitals
    from pytest_prodready.browser.watch import probe_page

    runtime = runtime_of(pytestconfig)
    assert target.base_url is not None
    screenshots = _policy(pytestconfig).screenshots

    def visit(path: str) -> PageFacts:
        url = urljoin(target.base_url or "", path)
        facts = runtime.fact(
            f"browser:{browser.browser_type.name}:{url}",
            lambda: probe_page(
                browser,
                browser_context_args,
                url,
                _origin(target.base_url or ""),
                runs=runs_for(target.vitals.runs, pytestconfig.option.markexpr),
                timeout_s=target.timeout_s,
                screenshot=screenshots,
                within_budget=lambda samples: not vitals(samples, target.vitals, url),
            ),
        )
        if facts.error:
            pytest.fail(runtime.redactor.scrub(facts.error), pytrace=False)
        if facts.screenshot:
            request.node.stash.setdefault(SHOTS_KEY, []).append(
                (f"Screenshot {path}", facts.screenshot)
            )
        return facts

    return visit


@pytest.fixture
def browser_audit(
    browser: Browser,
    pytestconfig: pytest.Config,
    target: Environment,
    browser_context_args: dict[str, Any],
) -> Callable[[str], AuditFacts]:
    """``browser_audit("/pricing")``: that page loaded on its own (fresh context, once per
    session): axe-core's violations of ``[envs.X.a11y]``'s rules and the page's images with
    the responses that served them. A page that is not HTML gives empty facts; one the
    browser cannot load, or on which axe fails, fails the test in one line."""
    from pytest_prodready.browser.audit import AxeMissing, audit_page

    runtime = runtime_of(pytestconfig)
    assert target.base_url is not None

    def audit(path: str) -> AuditFacts:
        url = urljoin(target.base_url or "", path)
        try:
            facts = runtime.fact(
                f"browser-audit:{browser.browser_type.name}:{url}",
                lambda: audit_page(
                    browser, browser_context_args, url, target.a11y, timeout_s=target.timeout_s
                ),
            )
        except AxeMissing as exc:
            pytest.fail(f"prodready: {exc}", pytrace=False)
        if facts.error:
            pytest.fail(f"prodready: {runtime.redactor.scrub(facts.error)}", pytrace=False)
        return facts

    return audit


@pytest.fixture
def axe(pytestconfig: pytest.Config, target: Environment) -> Callable[[Page], list[Finding]]:
    """``axe(page)``: axe-core on ``page`` as it is now, judged by ``[envs.X.a11y]``: the
    ``a11y.violation`` findings, with rule, impact, selectors and help URL (never the page's
    HTML; secrets masked)."""
    from pytest_prodready.browser.a11y import accessibility
    from pytest_prodready.browser.audit import AxeMissing, run_axe

    runtime = runtime_of(pytestconfig)

    def check(page: Page) -> list[Finding]:
        try:
            version, violations = run_axe(page, target.a11y, timeout_s=target.timeout_s)
        except AxeMissing as exc:
            pytest.fail(f"prodready: {exc}", pytrace=False)
        found = accessibility(violations, target.a11y, page.url, axe_version=version)
        return _scrubbed(runtime, found)

    return check


@pytest.fixture
def interaction_timing(
    browser: Browser,
    pytestconfig: pytest.Config,
    target: Environment,
    browser_context_args: dict[str, Any],
) -> tuple[str, list[float]]:
    """The URL of ``[envs.X.interaction] page`` and the latency of each of ``runs`` real
    clicks on its ``selector`` (Event Timing, ms), once per session; skips without the table.
    A control that cannot be clicked fails the test in one line."""
    from pytest_prodready.browser.audit import time_clicks
    from pytest_prodready.browser.vitals import interaction_latency, runs_for

    if target.interaction is None:
        pytest.skip(
            f"prodready: no [envs.{target.name}.interaction] table: set page and selector of "
            "a control to time its click (Interaction to Next Paint)"
        )
    runtime = runtime_of(pytestconfig)
    interaction = target.interaction
    url = urljoin(target.base_url or "", interaction.page)
    samples, problem = runtime.fact(
        f"browser-interaction:{browser.browser_type.name}:{url}:{interaction.selector}",
        lambda: time_clicks(
            browser,
            browser_context_args,
            url,
            interaction.selector,
            runs=runs_for(target.vitals.runs, pytestconfig.option.markexpr),
            timeout_s=target.timeout_s,
            within_budget=lambda samples: (
                not interaction_latency(samples, target.vitals, url, interaction.selector)
            ),
        ),
    )
    if problem:
        pytest.fail(f"prodready: {runtime.redactor.scrub(problem)}", pytrace=False)
    return url, samples


@pytest.fixture(scope="session")
def login_flow(target: Environment) -> LoginFlow:
    """The environment's ``[envs.X.flows.login]``; tests that need it skip when it is absent."""
    if target.login is None:
        pytest.skip(
            f"prodready: environment {target.name!r} has no [envs.{target.name}.flows.login] "
            "table, so there is no login to run (see the documentation: Browser flows)"
        )
    return target.login


def _credentials(runtime: Runtime, flow: LoginFlow) -> tuple[str, str]:
    if flow.username_secret is not None:
        username = runtime.secrets.get(flow.username_secret).reveal()
    else:
        username = flow.username or ""
    return username, runtime.secrets.get(flow.password_secret).reveal()


def _log_in(
    pytestconfig: pytest.Config, page: Page, flow: LoginFlow, *, keep_state: bool
) -> LoginOutcome:
    from pytest_prodready.browser.login import log_in

    runtime = runtime_of(pytestconfig)
    env = resolved(runtime)
    username, password = _credentials(runtime, flow)
    return log_in(
        page,
        flow,
        env.base_url or "",
        username=username,
        password=password,
        timeout_s=env.timeout_s,
        screenshot=_policy(pytestconfig).screenshots,
        keep_state=keep_state,
        username_is_secret=flow.username_secret is not None,
    )


@pytest.fixture
def log_in(
    request: pytest.FixtureRequest, pytestconfig: pytest.Config, login_flow: LoginFlow
) -> Callable[[Page], LoginOutcome]:
    """``log_in(page)``: run the config-driven login on ``page`` (a flow that needs a session
    of its own, such as logout); ``.ok`` says whether it worked, ``login_findings(outcome)``
    why not.
    The test then keeps no trace or video: the password was typed into its page."""

    def run(page: Page) -> LoginOutcome:
        request.node.stash[SECRET_TYPED_KEY] = "the log_in fixture typed the login's password"
        return _log_in(pytestconfig, page, login_flow, keep_state=False)

    return run


@pytest.fixture(scope="session")
def _prodready_login(
    browser: Browser,
    pytestconfig: pytest.Config,
    login_flow: LoginFlow,
    browser_context_args: dict[str, Any],
) -> LoginOutcome:
    # Its own context, outside pytest-playwright's per-test ones: nothing records it.
    args = {k: v for k, v in browser_context_args.items() if not k.startswith("record_")}
    context = browser.new_context(**args)
    try:
        return _log_in(pytestconfig, context.new_page(), login_flow, keep_state=True)
    finally:
        context.close()


@pytest.fixture
def browser_login(request: pytest.FixtureRequest, _prodready_login: LoginOutcome) -> LoginOutcome:
    """The session's login, run once in a context of its own: ``.ok``, ``login_findings()``, the
    cookies it set (values masked) and, when it worked, the storage state that
    ``logged_in_page`` reuses (kept in memory only). A failed login's screenshot goes with the
    failing test's report."""
    if _prodready_login.screenshot:
        request.node.stash.setdefault(SHOTS_KEY, []).append(
            ("Screenshot of the failed login", _prodready_login.screenshot)
        )
    return _prodready_login


@pytest.fixture
def logged_in_page(
    request: pytest.FixtureRequest,
    pytestconfig: pytest.Config,
    _prodready_login: LoginOutcome,
    new_context: Callable[..., BrowserContext],
) -> Page:
    """A page in a fresh context that carries the session's login (``[envs.X.flows.login]``,
    logged in once per session). A login that fails fails the tests that need it. The test
    keeps no trace or video: they would hold the session cookie, which the typed password
    bought."""
    from pytest_prodready.browser.checks import login_findings

    runtime = runtime_of(pytestconfig)
    if not _prodready_login.ok:
        reason = _scrubbed(runtime, login_findings(_prodready_login))[0].line()
        pytest.fail(f"prodready: no logged-in page, the login failed: {reason}", pytrace=False)
    request.node.stash[SECRET_TYPED_KEY] = (
        "the logged_in_page fixture's page carries the session cookie of a login that typed "
        "the login's password"
    )
    context = new_context(storage_state=_prodready_login.storage_state)
    page = context.new_page()
    page.set_default_timeout(resolved(runtime).timeout_s * 1000)
    return page


@pytest.fixture
def lighthouse_audit(
    request: pytest.FixtureRequest, pytestconfig: pytest.Config, target: Environment
) -> Callable[[str], LighthousePage]:
    """``lighthouse_audit("/pricing")``: Lighthouse's performance, accessibility, best-practices
    and SEO scores of that page on the system Chromium, ``[envs.X.lighthouse] runs`` runs
    (the median is judged), once per session per path. Without Lighthouse (or node) the test
    skips in one line, or fails when the environment has a ``[envs.X.lighthouse]`` table.
    ``.findings(category)`` keeps the page's scrubbed JSON report when a budget is missed."""
    from pytest_prodready.browser.audits import LighthouseSession

    session = LighthouseSession.start(pytestconfig, target, keep=_policy(pytestconfig).screenshots)
    return lambda path: session.page(path, request.node)
