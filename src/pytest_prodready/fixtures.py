"""Public fixtures: the target environment, its URLs, secrets, HTTP client and cache."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import TYPE_CHECKING, TypeVar

import pytest

from pytest_prodready.config import Environment
from pytest_prodready.core.findings import AssertNoFindings, Finding
from pytest_prodready.core.keys import ACCEPTED_KEY, FINDINGS_KEY
from pytest_prodready.core.secrets import Secret
from pytest_prodready.core.verdict import judge
from pytest_prodready.target.runtime import RUNTIME_KEY, resolved, runtime_of

if TYPE_CHECKING:
    import httpx

    from pytest_prodready.http import ResponseCache

__all__ = [
    "api_url",
    "assert_no_findings",
    "expected_version",
    "fetch",
    "gather_once",
    "http",
    "mask_secret",
    "record_figure",
    "secret",
    "target",
]

T = TypeVar("T")


@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config) -> Environment:
    """The target environment (``--target-env``), with its URLs resolved.

    An embedded demo target is started on first use and stopped at the end of the session.
    """
    return resolved(runtime_of(pytestconfig))


@pytest.fixture(scope="session")
def api_url(target: Environment) -> str:
    """The environment's API base URL (``api_url``, else ``base_url``)."""
    assert target.api_url is not None
    return target.api_url


@pytest.fixture(scope="session")
def mask_secret(pytestconfig: pytest.Config) -> Callable[[str, str], None]:
    """``mask_secret("session of admin", value)``: a value the run obtained (a session
    cookie, a token a login handed out) is masked from then on, as ``[masked:<name>]``,
    wherever a declared secret is: assertion messages, logs, every report."""
    return runtime_of(pytestconfig).redactor.register


@pytest.fixture(scope="session")
def secret(pytestconfig: pytest.Config) -> Callable[[str], Secret]:
    """``secret("api_token")``: the environment's secret by its logical name.

    The value object prints as ``********``; call ``.reveal()`` where it must be sent. A
    missing variable fails only the tests that ask for it, naming the variable to set.
    """
    return runtime_of(pytestconfig).secrets.get


@pytest.fixture(scope="session")
def http(pytestconfig: pytest.Config, target: Environment) -> httpx.Client:
    """A session ``httpx.Client`` for the target.

    Base URL, the env's timeout and CA bundle, no automatic redirects, a
    ``pytest-prodready/<version>`` User-Agent, and bounded retries on connection errors only.
    """
    return runtime_of(pytestconfig).client()


@pytest.fixture(scope="session")
def fetch(pytestconfig: pytest.Config, target: Environment) -> ResponseCache:
    """``fetch("/login")``: a cached GET; each distinct URL costs one request per session.

    ``fetch.ttfb("/login")`` is the time to first byte of that request, in seconds.
    """
    return runtime_of(pytestconfig).cache()


@pytest.fixture(scope="session")
def gather_once(pytestconfig: pytest.Config) -> Callable[[str, Callable[[], T]], T]:
    """``gather_once(key, probe)``: run ``probe()`` once per session for ``key``; later calls
    get its result (or its error again), so tests sharing a probe cost its requests once."""
    return runtime_of(pytestconfig).fact


@pytest.fixture
def record_figure(request: pytest.FixtureRequest) -> Callable[[str, object], None]:
    """``record_figure("p95_ms", 212)``: a measured figure for the JSON summary and reports.

    Like pytest's ``record_property`` (it lands in the report's ``user_properties``), without
    its warning under JUnit's default xunit2 family.
    """

    def record(name: str, value: object) -> None:
        request.node.user_properties.append((name, value))

    return record


@pytest.fixture(scope="session")
def expected_version(pytestconfig: pytest.Config) -> str | None:
    """The release the target must report: ``--expect-version``, ``--wait-for-version``,
    ``PRODREADY_EXPECT_VERSION`` or ``[envs.X.release] expect``; None when not given."""
    return runtime_of(pytestconfig).expected_version


@pytest.fixture
def assert_no_findings(request: pytest.FixtureRequest) -> AssertNoFindings:
    """``assert_no_findings(findings)``: fail the test listing every finding, worst first.

    Findings the environment accepts (``accept = [...]``, until their date) and findings
    below ``--fail-on`` (default: low, so info findings are reported, not failed) are left
    out of the failure; all are kept on the test item for the reports.
    """

    runtime = request.config.stash.get(RUNTIME_KEY, None)
    acceptances = runtime.declared.accept if runtime is not None else ()
    fail_on = request.config.getoption("fail_on")

    def check(findings: Iterable[Finding]) -> None:
        today = date.today()
        verdict = judge(findings, acceptances, today, fail_on=fail_on)
        reported = request.node.stash.setdefault(FINDINGS_KEY, [])
        reported += [(f, "failing") for f in verdict.failing]
        reported += [(f, "below-threshold") for f in verdict.below_threshold]
        request.node.stash.setdefault(ACCEPTED_KEY, []).extend(verdict.accepted)
        if verdict.failing:
            pytest.fail(verdict.message(today), pytrace=False)

    return check
