"""Release identity: the version endpoint names the release, the expected one when given."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pytest_prodready import AssertNoFindings
from pytest_prodready.checks import health
from pytest_prodready.config import Environment
from pytest_prodready.http import ResponseCache

pytestmark = pytest.mark.smoke


def test_release_is_the_expected_one(
    target: Environment,
    fetch: ResponseCache,
    expected_version: str | None,
    assert_no_findings: AssertNoFindings,
    record_figure: Callable[[str, object], None],
) -> None:
    response = fetch(target.release.path)
    record_figure("version_seen", health.release_of(target.release, response))
    assert_no_findings(health.evaluate_release(target.release, response, expected=expected_version))
