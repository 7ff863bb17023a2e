"""API contracts: every operation of the environment's OpenAPI document, exercised by
schemathesis and checked against the document (status codes, content types, response bodies
and headers, no 5xx).

One test per operation, so the report reads as a list of endpoints. On a protected
environment only GET/HEAD/OPTIONS operations run and nothing else is sent; elsewhere the
operations that write are ``destructive``. ``[envs.X.contract]`` configures checks, budget,
seed, rate limit, include/exclude and auth headers from secrets.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pytest_prodready import AssertNoFindings
from pytest_prodready.contracts import (
    ContractSuite,
    Operation,
    SchemaUnavailable,
    evaluate,
    parametrize,
    runner,
)

pytestmark = pytest.mark.contract

RecordFigure = Callable[[str, object], None]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # Operations come from the OpenAPI document, not from the configuration: load it here.
    parametrize(metafunc)


def test_operation(
    contract_operation: Operation | SchemaUnavailable,
    request: pytest.FixtureRequest,
    assert_no_findings: AssertNoFindings,
    record_figure: RecordFigure,
) -> None:
    if isinstance(contract_operation, SchemaUnavailable):
        assert_no_findings([contract_operation.finding()])
        return
    outcome = runner(request).outcome(contract_operation)
    record_figure("contract", outcome.figure)
    print(outcome.figure)
    assert_no_findings(evaluate(outcome))


@pytest.mark.slow
def test_workflows(
    contract_workflow: ContractSuite,
    request: pytest.FixtureRequest,
    assert_no_findings: AssertNoFindings,
    record_figure: RecordFigure,
) -> None:
    outcomes = runner(request).workflows()
    figure = "; ".join(o.figure for o in outcomes if o.requests or o.errors)
    record_figure("contract", figure)
    print(figure)
    assert_no_findings([finding for outcome in outcomes for finding in evaluate(outcome)])
