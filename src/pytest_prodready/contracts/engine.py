"""API contracts, the probe: run schemathesis's engine and record what it saw as plain data.

The engine is the one ``schemathesis run`` uses (same phases, checks and event stream), so a
run here tests exactly what the CLI would. Events are folded into one
:class:`~pytest_prodready.contracts_findings.OperationOutcome` per operation.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import requests
import requests.adapters
import requests.utils

from pytest_prodready.contracts.checks import CheckFailure, OperationOutcome, excerpt, leaked
from pytest_prodready.contracts.policy import SAFE_METHODS, refusal
from pytest_prodready.contracts.references import origin as origin_of
from pytest_prodready.contracts.transport import (
    ACCEPT_ENCODING,
    BudgetExceeded,
    budgeted,
    deadline,
    per_operation_timeout,
    read_capped,
)

if TYPE_CHECKING:
    from schemathesis import BaseSchema
    from schemathesis.engine.events import NonFatalError
    from schemathesis.engine.recorder import ScenarioRecorder

__all__ = [
    "Reproduction",
    "RequestRefused",
    "TransportLog",
    "UnsafeRequestRefused",
    "execute",
    "transport_guard",
]

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


class RequestRefused(requests.exceptions.RequestException):
    """A request the document asked for was stopped before it was sent: another origin, or
    on a protected environment a body or a method override on a safe method."""


# schemathesis names each request's test case in this header: the key of its interactions.
CASE_HEADER = "X-Schemathesis-TestCaseId"
_MB = 1024 * 1024


@dataclass
class TransportLog:
    """What the transport guard did: requests it refused, bodies it cut at the cap."""

    budget_s: float
    max_body_mb: float
    refused: list[str] = field(default_factory=list)
    truncated: set[str] = field(default_factory=set)  # test case ids


def _accept_encoding(request: requests.PreparedRequest) -> None:
    # Only codings whose inflation is capped; a header the test case itself sets stays.
    current = request.headers.get("Accept-Encoding")
    if current is None or current == requests.utils.DEFAULT_ACCEPT_ENCODING:
        request.headers["Accept-Encoding"] = ACCEPT_ENCODING


@contextmanager
def transport_guard(
    *, read_only: bool, budget_s: float, max_body_mb: float, origin: str
) -> Iterator[TransportLog]:
    """Watch every request ``requests`` sends while active; yields what was refused or cut.

    A request to any origin but ``origin`` (the API's) raises :class:`RequestRefused`: the
    document is the target's, and nothing it says may send the runner elsewhere.

    Every request gets a whole-request budget of ``budget_s`` (headers and body: a server
    dribbling bytes cannot hold it longer, see :mod:`pytest_prodready.contracts.transport`)
    and its body is read here, up to ``max_body_mb`` after decompression; a request over
    budget raises :class:`~pytest_prodready.contracts_transport.BudgetExceeded`.

    With ``read_only``, a request with a method other than GET/HEAD/OPTIONS raises
    :class:`UnsafeRequestRefused` instead of leaving the process, and so does a safe one
    with a body or a method override (:func:`~pytest_prodready.contracts.policy.refusal`,
    :class:`RequestRefused`: the document asked for it, so it is that operation's error). The
    read-only
    configuration already keeps schemathesis to safe methods; this is the backstop at the
    one place every schemathesis request passes (the transport adapter), so a future phase
    or probe that sends something else fails loudly instead of writing to a protected
    environment.

    On exit it closes the connection pools the run used: the engine keeps a session per
    thread and never closes it (the CLI process just exits), which would leave keep-alive
    sockets open in a long pytest session.
    """
    original = requests.adapters.HTTPAdapter.send
    log = TransportLog(budget_s, max_body_mb)
    allowed_origin = origin_of(origin)
    max_bytes = int(max_body_mb * _MB)
    used: dict[int, requests.adapters.HTTPAdapter] = {}

    def send(
        self: requests.adapters.HTTPAdapter,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: dict[str, str] | None = None,
    ) -> requests.Response:
        used[id(self)] = self
        method = (request.method or "GET").upper()
        url = request.url or ""
        if read_only and method not in SAFE_METHODS:
            log.refused.append(f"{method} {url}")
            raise UnsafeRequestRefused(
                f"prodready refused to send {method} {url}: the environment is "
                "protected, only GET, HEAD and OPTIONS may be sent",
                request=request,
            )
        if origin_of(url) != allowed_origin:
            raise RequestRefused(
                f"prodready refused to send {method} {url.split('?', 1)[0]}: it leaves the "
                f"API's origin {allowed_origin}",
                request=request,
            )
        why = refusal(
            method, url, list(request.headers), body=bool(request.body), read_only=read_only
        )
        if why is not None:
            raise RequestRefused(
                f"prodready refused to send {method} {url.split('?', 1)[0]} to protected "
                f"environment: {why}",
                request=request,
            )
        _accept_encoding(request)
        with deadline(budget_s):
            try:
                response = original(
                    self,
                    request,
                    stream=True,
                    timeout=per_operation_timeout(timeout, budget_s),
                    verify=verify,
                    cert=cert,
                    proxies=proxies,
                )
            except requests.exceptions.ReadTimeout:
                raise BudgetExceeded(budget_s, request) from None
            # An event stream may never end: schemathesis reads it up to its own deadline.
            stream_of_events = "text/event-stream" in response.headers.get("content-type", "")
            if not stream_of_events and read_capped(response, max_bytes, budget_s):
                log.truncated.add(str(request.headers.get(CASE_HEADER, "")))
        return response

    # Class attributes, patched for the duration of one engine run only.
    requests.adapters.HTTPAdapter.send = send  # type: ignore[method-assign]
    try:
        with budgeted():
            yield log
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
    transport: TransportLog,
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
                    truncated_at_mb=transport.max_body_mb
                    if case_id in transport.truncated
                    else None,
                    leaks=tuple(
                        dataclasses.replace(leak, evidence=scrub(leak.evidence))
                        for leak in leaked(response.content, response.status_code, scrub(url))
                    )
                    if response is not None
                    else (),
                )
            )


def _count_requests(
    recorder: ScenarioRecorder,
    outcomes: dict[str, OperationOutcome],
    fallback: OperationOutcome,
    transport: TransportLog,
) -> None:
    for case_id in recorder.interactions:
        node = recorder.cases.get(case_id)
        label = node.value.operation.label if node is not None else recorder.label
        outcome = outcomes.get(label, fallback)
        outcome.requests += 1
        outcome.truncated += case_id in transport.truncated


def _error_message(event: NonFatalError, reproduction: Reproduction) -> str:
    if isinstance(event.value, BudgetExceeded):
        # Ours already says what, how long and where: "read timed out after 1 s on GET ...".
        return reproduction.scrub(str(event.value))
    return reproduction.scrub(f"{event.info.title}: {event.info.message}")


def execute(
    schema: BaseSchema,
    labels: Sequence[str],
    reproduction: Reproduction,
    *,
    seed: int | None,
    transport: TransportLog,
    deadline: float | None = None,
) -> dict[str, OperationOutcome]:
    """Run the engine over the operations named ``labels``; an outcome per label.

    Failures are filed under the operation whose request failed (a stateful scenario spans
    several); anything the engine reports without an operation (a fatal error) is filed
    under every label. At ``deadline`` (``time.monotonic()``) the engine is asked to stop
    after the scenario it is in; the operations it did not finish are marked ``cut``.
    """
    from schemathesis.engine import events, from_schema

    outcomes = {label: OperationOutcome(label, seed=seed) for label in labels}
    # Stateful scenarios may reach an operation outside the batch; its results still count.
    stray = OperationOutcome("other operations", seed=seed)
    interrupted = stopped = False
    stream = from_schema(schema.include(name=list(labels))).execute()
    for event in stream:
        if deadline is not None and not stopped and time.monotonic() >= deadline:
            stream.stop()
            stopped = True
        if isinstance(event, events.ScenarioFinished):
            _count_requests(event.recorder, outcomes, stray, transport)
            _record_failures(event.recorder, outcomes, stray, reproduction, transport)
        elif isinstance(event, events.NonFatalError):
            message = _error_message(event, reproduction)
            targets = [outcomes[event.label]] if event.label in outcomes else outcomes.values()
            for outcome in targets:
                outcome.errors.append(message)
        elif isinstance(event, events.FatalError):
            message = reproduction.scrub(f"{type(event.exception).__name__}: {event.exception}")
            for outcome in outcomes.values():
                outcome.errors.append(message)
        elif isinstance(event, events.Interrupted):
            # Our own stop at the deadline reads as an interruption too; Ctrl-C is not ours.
            interrupted = not stopped
    if interrupted:
        # The engine swallows Ctrl-C to finish cleanly; pytest must still stop.
        raise KeyboardInterrupt
    if stopped:
        for outcome in outcomes.values():
            # After the stop the engine still closes every scenario, unrun ones included.
            started = bool(outcome.requests or outcome.failures or outcome.errors)
            outcome.cut, outcome.partial = not started, started
    if stray.failures or stray.errors:
        outcomes[stray.label] = stray
    return outcomes
