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
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

__all__ = ["TargetTransport", "read_capped"]

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
            except httpx.ConnectError:
                if attempt >= self._retries:
                    raise
                time.sleep(self._backoff_s * 2**attempt)
                attempt += 1


TRUNCATED = "prodready_truncated"
HEADERS_AT = "prodready_headers_at"


def read_capped(response: httpx.Response, max_bytes: int) -> None:
    """Read (and decode) at most ``max_bytes`` of the body; later reads see just that.

    Used as an httpx response hook, so it runs before httpx reads the body itself. The
    decoded chunks are counted, so decompression is capped too; a truncated body is marked
    in ``response.extensions["prodready_truncated"]``.
    """
    response.extensions[HEADERS_AT] = time.perf_counter()
    if response.request.method == "HEAD":
        return
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size > max_bytes:
                response.extensions[TRUNCATED] = True
                break
    finally:
        response.close()
    # httpx keeps a read body in ``_content``; every later read (json, text, iter_bytes) uses it.
    response._content = b"".join(chunks)[:max_bytes]
