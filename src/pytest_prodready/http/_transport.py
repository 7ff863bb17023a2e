"""The transport under every request to the target: a total time budget and capped bodies.

httpx's timeouts bound each socket operation, not the request: a server that dribbles one
byte of headers every half second never trips a 10 s read timeout and would hang the run.
Here every socket operation gets ``min(its timeout, what is left of the request's budget)``,
so no request outlives its budget, and bodies are read up to a cap (after decompression),
so a 50 MB page, an endless stream or a gzip bomb cannot exhaust memory.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

import httpcore
import httpx

from pytest_prodready.core.evidence import TRUNCATED
from pytest_prodready.http._inflate import INFLATABLE, InflateError, inflate

__all__ = ["ACCEPT_ENCODING", "TargetTransport", "read_capped"]

_budget = threading.local()  # requests run in the caller's thread: one deadline per thread


def _remaining(timeout: float | None, error: type[Exception]) -> float | None:
    deadline: float | None = getattr(_budget, "deadline", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise error("the request took longer than its whole time budget")
    return left if timeout is None else min(timeout, left)


class _BudgetStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _remaining(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _remaining(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        budget = _remaining(timeout, httpcore.ConnectTimeout)
        return _BudgetStream(self._inner.start_tls(ssl_context, server_hostname, budget))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _BudgetBackend(httpcore.NetworkBackend):
    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        budget = _remaining(timeout, httpcore.ConnectTimeout)
        return _BudgetStream(
            self._inner.connect_tcp(host, port, budget, local_address, socket_options)
        )

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        budget = _remaining(timeout, httpcore.ConnectTimeout)
        return _BudgetStream(self._inner.connect_unix_socket(path, budget, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class TargetTransport(httpx.HTTPTransport):
    """HTTP/1.1 to the target with a whole-request time budget and bounded connect retries.

    Only connection errors are retried (a deploy restarting its listener), with exponential
    backoff; an HTTP status is an answer, never retried.
    """

    def __init__(
        self, *, verify: ssl.SSLContext, budget_s: float, retries: int, backoff_s: float
    ) -> None:
        super().__init__(verify=verify)
        # httpx offers no network-backend option: rebuild its pool on ours (a guarded test
        # fails loudly if httpx ever renames this attribute).
        self._pool = httpcore.ConnectionPool(ssl_context=verify, network_backend=_BudgetBackend())
        self._budget_s = budget_s
        self._retries = retries
        self._backoff_s = backoff_s

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        attempt = 0
        while True:
            # The body is read after this returns, in the same thread, under the same budget.
            _budget.deadline = time.monotonic() + self._budget_s
            try:
                return super().handle_request(request)
            except UnicodeError as exc:
                # A host name IDNA cannot encode ("a..b", a 64-character label), from the
                # socket layer: as unreachable as a name that does not resolve.
                raise httpx.ConnectError(
                    f"the host name {request.url.host!r} cannot be encoded ({exc})", request=request
                ) from None
            except httpx.ConnectError as exc:
                # A certificate that fails verification fails the same way a moment later.
                if attempt >= self._retries or "CERTIFICATE_VERIFY_FAILED" in str(exc):
                    raise
                time.sleep(self._backoff_s * 2**attempt)
                attempt += 1


# The encodings whose decompression read_capped bounds; every request asks for these only.
ACCEPT_ENCODING = "gzip, deflate"
HEADERS_AT = "prodready_headers_at"


def read_capped(response: httpx.Response, max_bytes: int) -> None:
    """Read (and decode) at most ``max_bytes`` of the body; later reads see just that.

    Used as an httpx response hook, so it runs before httpx reads the body itself. gzip and
    deflate are inflated here with a bounded output per step (httpx's decoder inflates a
    whole network chunk at once: 64 KiB of a gzip bomb become 64 MiB), so decompression is
    capped too; a truncated body is marked in ``response.extensions["prodready_truncated"]``.
    A body that does not decode as its Content-Encoding says raises ``httpx.DecodingError``.
    """
    response.extensions[HEADERS_AT] = time.perf_counter()
    if response.request.method == "HEAD":
        return
    body = bytearray()
    try:
        for chunk in _decoded(response, max_bytes):
            body += chunk
            if len(body) > max_bytes:
                response.extensions[TRUNCATED] = True
                break
    finally:
        response.close()
    del body[max_bytes:]
    # httpx keeps a read body in ``_content``; every later read (json, text, iter_bytes) uses it.
    response._content = bytes(body)


# Codings a client may be sent without asking (and cannot decode boundedly): refused.
_REAL_CODINGS = frozenset({"br", "zstd", "compress", "x-compress"})


def content_coding(header: str) -> str:
    """The one coding to undo, from a Content-Encoding value: "" for none.

    ``identity`` and values that are no coding at all (``none``, ``utf-8``: seen on real
    servers, ignored by browsers and httpx alike) count as none; several real codings are
    returned joined, which no decoder here accepts.
    """
    tokens = [t.strip().lower() for t in header.split(",")]
    codings = [t for t in tokens if t in INFLATABLE or t in _REAL_CODINGS]
    return ", ".join(codings)


def _decoded(response: httpx.Response, max_bytes: int) -> Iterator[bytes]:
    encoding = content_coding(response.headers.get("content-encoding", ""))
    if not encoding:
        yield from response.iter_bytes()
        return
    if encoding not in INFLATABLE:
        # We ask for gzip and deflate only (ACCEPT_ENCODING): their inflation we can bound;
        # br and zstd decoders inflate a whole chunk at once, and "compress" is obsolete.
        raise httpx.DecodingError(
            f"the server sent Content-Encoding {encoding}, which was not asked for "
            f"(Accept-Encoding: {ACCEPT_ENCODING})",
            request=response.request,
        )
    try:
        yield from inflate(response.iter_raw(), encoding, max_bytes)
    except InflateError as exc:
        raise httpx.DecodingError(str(exc), request=response.request) from None
