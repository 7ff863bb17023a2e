"""API contracts, the transport: every request schemathesis sends gets a whole-request time
budget, and its body is read up to a cap.

``requests`` (schemathesis's client) only bounds each socket operation: a server that sends
one byte every half second never trips a 1 s read timeout (a body dribbled that way took
9.5 s), and a body is read whole and inflated by urllib3 (a 50 MB body or a gzip bomb lands
in memory). Here, while :func:`budgeted` is active, every socket read of a response gets
``what is left of the request's budget`` as its timeout, so no request outlives its budget,
and :func:`read_capped` reads the body up to ``max_body_mb`` after decompression, inflating
gzip and deflate a bounded step at a time, as :mod:`pytest_prodready.http._transport` does for
the rest of the plugin.
"""

from __future__ import annotations

import http.client
import io
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests
import urllib3.connection
import urllib3.exceptions

from pytest_prodready.http._inflate import INFLATABLE, InflateError, inflate
from pytest_prodready.http._transport import ACCEPT_ENCODING, content_coding

__all__ = [
    "ACCEPT_ENCODING",
    "BudgetExceeded",
    "budgeted",
    "deadline",
    "per_operation_timeout",
    "read_capped",
]

_CHUNK = 64 * 1024
_state = threading.local()  # .deadline: the monotonic deadline of this thread's request


class BudgetExceeded(requests.exceptions.ReadTimeout):
    """The request took longer than its whole budget: ``read timed out after N s on GET url``.

    A ``ReadTimeout`` shaped as ``requests`` raises it (a urllib3 error inside, whose text
    ends in ``(read timeout=N)``), because schemathesis parses that text for its own report.
    """

    def __init__(self, budget_s: float, request: requests.PreparedRequest) -> None:
        url = request.url or ""
        inner = urllib3.exceptions.ReadTimeoutError(
            None,  # type: ignore[arg-type]  # no pool: the budget, not a socket read, ran out
            url,
            f"Read timed out. (read timeout={budget_s:g})",
        )
        super().__init__(inner, request=request)
        self.budget_s = budget_s
        self.message = f"read timed out after {budget_s:g} s on {request.method} {url}"

    def __str__(self) -> str:
        return self.message


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        # socket.timeout: urllib3 turns it into ReadTimeoutError, as for a silent socket.
        raise TimeoutError("the request took longer than its whole time budget")
    return left


class _DeadlineIO(io.RawIOBase):
    """A socket's raw reader whose every read times out at the request's deadline."""

    def __init__(self, sock: Any, deadline: float) -> None:
        super().__init__()
        self._sock = sock
        # The socket's own reader: it holds a reference, so the socket stays open for the
        # body even when http.client closes the connection (Connection: close).
        self._raw = sock.makefile("rb", buffering=0)
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def fileno(self) -> int:
        fileno: int = self._raw.fileno()
        return fileno

    def readinto(self, buffer: Any) -> int | None:
        self._sock.settimeout(_left(self._deadline))
        result: int | None = self._raw.readinto(buffer)
        return result

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


class _DeadlineSocket:
    """What ``http.client.HTTPResponse`` needs of a socket: ``makefile``, deadline-bound."""

    def __init__(self, sock: Any, deadline: float) -> None:
        self._sock = sock
        self._deadline = deadline

    def makefile(self, mode: str = "rb", *args: Any, **kwargs: Any) -> io.BufferedReader:
        return io.BufferedReader(_DeadlineIO(self._sock, self._deadline))


class _BudgetedResponse(http.client.HTTPResponse):
    """The response class of urllib3's connections while :func:`budgeted` is active: in a
    thread with a deadline, the status line, headers and body are read under it."""

    def __init__(
        self, sock: Any, debuglevel: int = 0, method: str | None = None, url: str | None = None
    ) -> None:
        deadline: float | None = getattr(_state, "deadline", None)
        if deadline is not None:
            sock = _DeadlineSocket(sock, deadline)
        super().__init__(sock, debuglevel, method, url)


def per_operation_timeout(timeout: Any, budget_s: float) -> Any:
    """``requests``' ``timeout`` argument with no socket operation waiting past the budget."""
    if isinstance(timeout, int | float):
        return min(float(timeout), budget_s)
    if isinstance(timeout, tuple) and len(timeout) == 2:
        return tuple(budget_s if t is None else min(float(t), budget_s) for t in timeout)
    return budget_s


@contextmanager
def budgeted() -> Iterator[None]:
    """While active, urllib3 responses read in a thread under :func:`deadline` obey it.

    ``response_class`` of urllib3's connection is shadowed for the duration of one engine run
    only; a thread without a deadline reads exactly as before.
    """
    connection = urllib3.connection.HTTPConnection
    own = vars(connection).get("response_class")
    connection.response_class = _BudgetedResponse
    try:
        yield
    finally:
        if own is not None:
            connection.response_class = own
        else:
            del connection.response_class


@contextmanager
def deadline(budget_s: float) -> Iterator[float]:
    """This thread's next request, headers and body, must be read within ``budget_s``."""
    at = time.monotonic() + budget_s
    _state.deadline = at
    try:
        yield at
    finally:
        _state.deadline = None


def read_capped(response: requests.Response, max_bytes: int, budget_s: float) -> bool:
    """Read (and decode) at most ``max_bytes`` of a streamed body into ``response.content``;
    whether it was cut there. The caller has set the deadline the reads obey.

    Errors are raised as ``requests`` raises them while reading a body; a read past the
    deadline is :class:`BudgetExceeded`.
    """
    request = response.request
    raw = response.raw
    body = bytearray()
    truncated = False
    try:
        if request.method != "HEAD" and raw is not None:
            for chunk in _decoded(raw, max_bytes):
                body += chunk
                if len(body) > max_bytes:
                    truncated = True
                    break
    except urllib3.exceptions.ReadTimeoutError:
        response.close()
        raise BudgetExceeded(budget_s, request) from None
    except urllib3.exceptions.ProtocolError as exc:
        response.close()
        raise requests.exceptions.ChunkedEncodingError(exc, request=request) from None
    except urllib3.exceptions.SSLError as exc:
        response.close()
        raise requests.exceptions.SSLError(exc, request=request) from None
    except requests.exceptions.ContentDecodingError:
        response.close()
        raise
    if truncated:
        # The rest is never read: the connection cannot carry another request.
        response.close()
    del body[max_bytes:]
    # requests serves .content (and .text, .json()) from these once the body is read.
    response._content = bytes(body)
    response._content_consumed = True
    if raw is not None and not truncated:
        raw.release_conn()
    return truncated


def _decoded(raw: Any, max_bytes: int) -> Iterator[bytes]:
    encoding = content_coding(raw.headers.get("content-encoding", ""))
    chunks = raw.stream(_CHUNK, decode_content=False)
    if not encoding:
        yield from chunks
        return
    if encoding not in INFLATABLE:
        raise requests.exceptions.ContentDecodingError(
            f"the server sent Content-Encoding {encoding}, which was not asked for "
            f"(Accept-Encoding: {ACCEPT_ENCODING})"
        )
    try:
        yield from inflate(chunks, encoding, max_bytes)
    except InflateError as exc:
        raise requests.exceptions.ContentDecodingError(str(exc)) from None
