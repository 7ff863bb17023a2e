"""API contracts, the probe: run schemathesis's engine and record what it saw as plain data.

The engine is the one ``schemathesis run`` uses (same phases, checks and event stream), so a
run here tests exactly what the CLI would. Events are folded into one
:class:`~pytest_prodready.contracts_findings.OperationOutcome` per operation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import requests
import requests.adapters

from pytest_prodready.contracts_config import SAFE_METHODS
from pytest_prodready.contracts_findings import CheckFailure, OperationOutcome, excerpt

if TYPE_CHECKING:
    from schemathesis import BaseSchema
    from schemathesis.engine.recorder import ScenarioRecorder

__all__ = ["Reproduction", "UnsafeRequestRefused", "execute", "transport_guard"]

# Added by requests or schemathesis to every request: noise in a reproduction.
_TRANSPORT_HEADERS = frozenset(
    {
        "user-agent",
        "accept",
        "accept-encoding",
        "connection",
        "content-length",
        "x-schemathesis-testcaseid",
    }
)


class UnsafeRequestRefused(requests.exceptions.RequestException):
    """A request with a method outside GET/HEAD/OPTIONS was stopped before it was sent."""


@contextmanager
def transport_guard(*, read_only: bool) -> Iterator[list[str]]:
    """Watch every request ``requests`` sends while active; yields the refused ones.

    With ``read_only``, a request with a method other than GET/HEAD/OPTIONS raises
    :class:`UnsafeRequestRefused` instead of leaving the process. The read-only
    configuration already keeps schemathesis to safe methods; this is the backstop at the
    one place every schemathesis request passes (the transport adapter), so a future phase
    or probe that sends something else fails loudly instead of writing to a protected
    environment.

    On exit it closes the connection pools the run used: the engine keeps a session per
    thread and never closes it (the CLI process just exits), which would leave keep-alive
    sockets open in a long pytest session.
    """
    original = requests.adapters.HTTPAdapter.send
    refused: list[str] = []
    used: dict[int, requests.adapters.HTTPAdapter] = {}

    def send(
        self: requests.adapters.HTTPAdapter,
        request: requests.PreparedRequest,
        *args: Any,
        **kwargs: Any,
    ) -> requests.Response:
        used[id(self)] = self
        method = (request.method or "GET").upper()
        if read_only and method not in SAFE_METHODS:
            refused.append(f"{method} {request.url}")
            raise UnsafeRequestRefused(
                f"prodready refused to send {method} {request.url}: the environment is "
                "protected, only GET, HEAD and OPTIONS may be sent",
                request=request,
            )
        return original(self, request, *args, **kwargs)

    # A class attribute, patched for the duration of one engine run only.
    requests.adapters.HTTPAdapter.send = send  # type: ignore[method-assign]
    try:
        yield refused
    finally:
        requests.adapters.HTTPAdapter.send = original  # type: ignore[method-assign]
        for adapter in used.values():
            adapter.close()


@dataclass(frozen=True)
class Reproduction:
    """How to render a request as a ``curl`` command (see ``curl_command``)."""

    render: Callable[[str, str, Mapping[str, str], bytes | None], str]
    scrub: Callable[[str], str]


def _headers(raw: Mapping[str, list[str]], generated: Mapping[str, Any] | None) -> dict[str, str]:
    keep = {name.lower() for name in generated or {}}
    return {
        name: values[0]
        for name, values in raw.items()
        if values and (name.lower() not in _TRANSPORT_HEADERS or name.lower() in keep)
    }


def _record_failures(
    recorder: ScenarioRecorder,
    outcomes: dict[str, OperationOutcome],
    fallback: OperationOutcome,
    reproduction: Reproduction,
) -> None:
    from schemathesis.engine import Status

    for parent_id, nodes in recorder.checks.items():
        for node in nodes:
            info = node.failure_info
            if node.status != Status.FAILURE or info is None:
                continue
            failure = info.failure
            case_id = failure.case_id or parent_id
            interaction = recorder.interactions.get(case_id)
            node_case = recorder.cases.get(case_id)
            case = node_case.value if node_case is not None else None
            label = case.operation.label if case is not None else recorder.label
            if interaction is None:
                # Nothing was recorded for this request: schemathesis's own code sample (its
                # sanitizer masks credentials by header name) is the reproduction there is.
                method = case.method.upper() if case is not None else ""
                url, curl = "", info.code_sample
            else:
                request = interaction.request
                method, url = request.method, request.uri
                headers = _headers(request.headers, case.headers if case is not None else None)
                curl = reproduction.render(method, url, headers, request.body)
            response = interaction.response if interaction is not None else None
            scrub = reproduction.scrub
            outcomes.get(label, fallback).failures.append(
                CheckFailure(
                    check=node.name,
                    title=scrub(failure.title),
                    message=scrub(failure.message),
                    method=method,
                    url=scrub(url),
                    status=response.status_code if response is not None else None,
                    content_type=(response.headers.get("content-type") or [""])[0]
                    if response is not None
                    else "",
                    body=scrub(excerpt(response.content)) if response is not None else "",
                    curl=scrub(curl),
                    request_id=case_id,
                )
            )


def _count_requests(
    recorder: ScenarioRecorder, outcomes: dict[str, OperationOutcome], fallback: OperationOutcome
) -> None:
    for case_id in recorder.interactions:
        node = recorder.cases.get(case_id)
        label = node.value.operation.label if node is not None else recorder.label
        outcomes.get(label, fallback).requests += 1


def execute(
    schema: BaseSchema,
    labels: Sequence[str],
    reproduction: Reproduction,
    *,
    seed: int | None,
) -> dict[str, OperationOutcome]:
    """Run the engine over the operations named ``labels``; an outcome per label.

    Failures are filed under the operation whose request failed (a stateful scenario spans
    several); anything the engine reports without an operation (a fatal error) is filed
    under every label.
    """
    from schemathesis.engine import events, from_schema

    outcomes = {label: OperationOutcome(label, seed=seed) for label in labels}
    # Stateful scenarios may reach an operation outside the batch; its results still count.
    stray = OperationOutcome("other operations", seed=seed)
    interrupted = False
    for event in from_schema(schema.include(name=list(labels))).execute():
        if isinstance(event, events.ScenarioFinished):
            _count_requests(event.recorder, outcomes, stray)
            _record_failures(event.recorder, outcomes, stray, reproduction)
        elif isinstance(event, events.NonFatalError):
            message = reproduction.scrub(f"{event.info.title}: {event.info.message}")
            targets = [outcomes[event.label]] if event.label in outcomes else outcomes.values()
            for outcome in targets:
                outcome.errors.append(message)
        elif isinstance(event, events.FatalError):
            message = reproduction.scrub(f"{type(event.exception).__name__}: {event.exception}")
            for outcome in outcomes.values():
                outcome.errors.append(message)
        elif isinstance(event, events.Interrupted):
            interrupted = True
    if interrupted:
        # The engine swallows Ctrl-C to finish cleanly; pytest must still stop.
        raise KeyboardInterrupt
    if stray.failures or stray.errors:
        outcomes[stray.label] = stray
    return outcomes
