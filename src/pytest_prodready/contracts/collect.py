"""API contracts, collection: the contract suite's tests, one per operation of the document.

Parameters carry the read-only policy: on a protected environment an operation that would
send anything but GET/HEAD/OPTIONS is skipped with the reason; elsewhere it is marked
``destructive`` so the safety gate applies to it.
"""

from __future__ import annotations

import pytest

from pytest_prodready.contracts.suite import READ_ONLY, ContractSuite, SchemaUnavailable, suite_of
from pytest_prodready.core.markexpr import may_select

__all__ = ["parametrize"]


def _may_be_selected(metafunc: pytest.Metafunc) -> bool:
    # `-m smoke` must touch nothing: load the document only if some contract test could
    # pass the marker expression (parameters add at most `destructive`).
    expression = metafunc.config.option.markexpr
    if not expression:
        return True
    own = {mark.name for mark in metafunc.definition.iter_markers()}
    # None: pytest reports a bad expression itself, so load as if selected.
    return may_select(expression, own, added=("destructive",))


def _skip(reason: str, id: str) -> object:
    return pytest.param(None, id=id, marks=pytest.mark.skip(reason=reason))


def _operation_params(suite: ContractSuite) -> list[object]:
    name = suite.env.name
    cap = suite.env.contract.max_operations
    params: list[object] = []
    for operation in suite.operations[:cap]:
        marks: list[pytest.MarkDecorator] = []
        if suite.sends_unsafe(operation) and suite.protected:
            marks.append(
                pytest.mark.skip(
                    reason=f"{READ_ONLY} {operation.label} is not tested on protected "
                    f"environment {name!r}: contract tests there send only GET, HEAD and "
                    "OPTIONS (test it on staging)"
                )
            )
        elif suite.sends_unsafe(operation):
            marks.append(pytest.mark.destructive)
        params.append(pytest.param(operation, id=operation.label, marks=marks))
    beyond = len(suite.operations) - cap
    if beyond > 0:
        # One test says what the cap left out, in document order: the document is the
        # target's, and must not decide how long the job runs.
        params.append(
            _skip(
                f"{beyond} more operation{'s' if beyond != 1 else ''} of the OpenAPI document "
                f"not tested: max_operations = {cap} in [envs.{name}.contract] (the first {cap} "
                "in document order ran); raise it, or narrow include/exclude",
                "beyond-max-operations",
            )
        )
    return params or [_skip(f"no operation of {name!r}'s OpenAPI document is selected", "none")]


def _workflow_params(suite: ContractSuite | SchemaUnavailable) -> list[object]:
    if isinstance(suite, SchemaUnavailable):
        return [_skip("the OpenAPI document is unavailable (see test_operation[openapi])", "-")]
    name = suite.env.name
    if not suite.env.contract.stateful:
        return [
            _skip(f"stateful testing is off: set stateful = true in [envs.{name}.contract]", "-")
        ]
    if suite.protected:
        return [
            _skip(f"{READ_ONLY} stateful workflows write data: not run on protected {name!r}", "-")
        ]
    return [pytest.param(suite, id="stateful", marks=pytest.mark.destructive)]


def parametrize(metafunc: pytest.Metafunc) -> None:
    """``pytest_generate_tests`` of the contract suite: one ``contract_operation`` per
    operation of the document (or one ``SchemaUnavailable``), one ``contract_workflow``."""
    names = {"contract_operation", "contract_workflow"} & set(metafunc.fixturenames)
    if not names:
        return
    (argname,) = names
    if not _may_be_selected(metafunc):
        metafunc.parametrize(argname, [_skip("deselected", "-")])
        return
    suite = suite_of(metafunc.config)
    if suite is None:
        from pytest_prodready.target.runtime import RUNTIME_KEY

        runtime = metafunc.config.stash.get(RUNTIME_KEY, None)
        reason = (
            f"environment {runtime.declared.name!r} declares no openapi document; set "
            f'openapi = "/openapi.json" in [envs.{runtime.declared.name}] to check its API'
            if runtime is not None
            else "no target environment is selected"
        )
        metafunc.parametrize(argname, [_skip(reason, "-")])
    elif argname == "contract_workflow":
        metafunc.parametrize(argname, _workflow_params(suite))
    elif isinstance(suite, SchemaUnavailable):
        metafunc.parametrize(argname, [pytest.param(suite, id="openapi")])
    else:
        metafunc.parametrize(argname, _operation_params(suite))
