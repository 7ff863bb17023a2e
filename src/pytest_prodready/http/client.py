"""HTTP client for the target: timeouts, bounded retries on connect errors, a response cache.

Checks read the same pages again and again; :class:`ResponseCache` makes each distinct GET cost
one request per session (per xdist worker).
"""

from __future__ import annotations

import ssl
import threading
import time
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path
from typing import Any

import httpx

from pytest_prodready import __version__
from pytest_prodready.config import Environment
from pytest_prodready.http._transport import (
    ACCEPT_ENCODING,
    HEADERS_AT,
    TargetTransport,
    read_capped,
)

__all__ = [
    "BAD_LOCATION",
    "MAX_BODY_BYTES",
    "USER_AGENT",
    "ResponseCache",
    "TargetClient",
    "describe_error",
    "make_client",
]

USER_AGENT = f"pytest-prodready/{__version__}"
CONNECT_RETRIES = 2
BACKOFF_S = 0.25
MAX_BODY_BYTES = 5 * 1024 * 1024


def ssl_context(ca_bundle: Path | None) -> ssl.SSLContext:
    """Verification against the env's private CA when it has one, else the default store."""
    context = ssl.create_default_context(cafile=str(ca_bundle) if ca_bundle else None)
    if ca_bundle is None:
        import certifi

        context.load_verify_locations(cafile=certifi.where())
    return context


def make_client(
    env: Environment, *, retries: int = CONNECT_RETRIES, timeout_s: float | None = None
) -> httpx.Client:
    """An ``httpx.Client`` for ``env``: its timeout and CA, no redirects followed, our UA.

    The client is anonymous: it keeps no cookies, so one test's session never leaks into
    another's checks (a protected page must be judged as a stranger sees it). Every request
    has a whole-request budget of the env's ``timeout_s`` and bodies are read up to
    ``max_body_mb`` (decompressed): see :mod:`pytest_prodready.http._transport`.
    """
    context = ssl_context(env.ca_bundle)
    budget = timeout_s or env.timeout_s
    max_bytes = int(env.max_body_mb * 1024 * 1024)
    return TargetClient(
        base_url=env.base_url or "",
        timeout=httpx.Timeout(budget),
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT, "Accept-Encoding": ACCEPT_ENCODING},
        cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
        transport=TargetTransport(
            verify=context, budget_s=budget, retries=retries, backoff_s=BACKOFF_S
        ),
        event_hooks={"response": [lambda response: read_capped(response, max_bytes)]},
    )


BAD_LOCATION = "prodready_bad_location"


class TargetClient(httpx.Client):
    """A client that never follows redirects and keeps responses whose Location is unusable.

    httpx builds the next request of every redirect even when it is not followed, and raises
    ``InvalidURL`` for a Location such as ``javascript:alert(1)`` or ``http://[::1``: the
    response, the very evidence a check needs, would be lost. Here it is kept, without a
    ``next_request``, and the error is noted in ``response.extensions["prodready_bad_location"]``.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._lockouts: dict[str, float] = {}
        self._lockouts_guard = threading.Lock()

    def hold(self, path: str, until: float) -> None:
        """Send nothing to ``path`` before ``until`` (``time.perf_counter()``): a rate-limit
        burst locked it out, and other tests run while its reset is awaited."""
        with self._lockouts_guard:
            self._lockouts[path] = max(until, self._lockouts.get(path, 0.0))

    def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        with self._lockouts_guard:
            until = self._lockouts.get(request.url.path, 0.0)
        if (wait := until - time.perf_counter()) > 0:
            time.sleep(wait)
        return super().send(request, **kwargs)

    def _build_redirect_request(self, request: httpx.Request, response: httpx.Response) -> Any:
        try:
            return super()._build_redirect_request(request, response)
        except (httpx.InvalidURL, httpx.RemoteProtocolError) as exc:
            # httpx raises either, depending on what is wrong with the Location.
            response.extensions[BAD_LOCATION] = str(exc)
            # httpx then stores this as next_request and returns the response, as we never
            # follow redirects (follow_redirects=False on the client and every call).
            return None


class ResponseCache:
    """One GET per distinct URL per session; responses are read fully and kept.

    Call it like a function: ``fetch("/login")``; ``fetch.ttfb("/login")`` gives the time to
    first byte measured on that one request.
    """

    def __init__(self, client: httpx.Client) -> None:
        self._client = client
        self._responses: dict[str, httpx.Response] = {}
        self._ttfb: dict[str, float] = {}
        self._errors: dict[str, Exception] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def url(self, path_or_url: str) -> str:
        """Absolute URL; a path is taken relative to the base URL, keeping its own path."""
        if "://" in path_or_url:
            return path_or_url
        return str(self._client.base_url).rstrip("/") + "/" + path_or_url.lstrip("/")

    def get(self, path_or_url: str) -> httpx.Response:
        url = self.url(path_or_url)
        with self._guard:
            lock = self._locks.setdefault(url, threading.Lock())
        with lock:
            if url in self._errors:
                # A URL that failed fails again at once: ten tests on a dead page must not
                # each wait out the timeout.
                raise self._errors[url].with_traceback(None)
            if url not in self._responses:
                start = time.perf_counter()
                try:
                    response = self._client.get(url)
                except (httpx.RequestError, httpx.InvalidURL) as exc:
                    self._errors[url] = exc
                    raise
                self._ttfb[url] = response.extensions.get(HEADERS_AT, time.perf_counter()) - start
                self._responses[url] = response
            return self._responses[url]

    __call__ = get

    def responses(self) -> dict[str, httpx.Response]:
        """Every response fetched so far, by URL."""
        with self._guard:
            return dict(self._responses)

    def ttfb(self, path_or_url: str) -> float | None:
        """Seconds from sending the request to the response headers, if it was fetched."""
        return self._ttfb.get(self.url(path_or_url))

    @property
    def requests_made(self) -> int:
        return len(self._responses)


def describe_error(exc: Exception) -> str:
    """One line for a request that failed: what happened, on which request, what it means."""
    try:
        request: httpx.Request | None = getattr(exc, "request", None)
    except RuntimeError:  # httpx raises when the error carries no request
        request = None
    where = f" on {request.method} {request.url}" if request is not None else ""
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        kind = {
            httpx.ConnectTimeout: "connect timed out",
            httpx.ReadTimeout: "read timed out",
            httpx.WriteTimeout: "write timed out",
            httpx.PoolTimeout: "no connection available in time",
        }.get(type(exc), "timed out")
        timeout = ""
        if request is not None:
            budget = request.extensions.get("timeout", {}).get(kind.split()[0], None)
            if budget:
                timeout = f" after {budget:g} s"
        return f"{kind}{timeout}{where}: the target did not answer in time"
    if isinstance(exc, httpx.ConnectError):
        if "CERTIFICATE_VERIFY_FAILED" in detail or "certificate" in detail.lower():
            return (
                f"TLS verification failed{where}: {detail}. If the env uses a private CA, "
                "set ca_bundle in its config"
            )
        return f"cannot connect{where}: {detail} (is the target up and the URL right?)"
    if isinstance(exc, httpx.DecodingError):
        return f"undecodable response{where}: {detail}"
    if isinstance(exc, httpx.RemoteProtocolError | httpx.LocalProtocolError):
        return f"broken HTTP{where}: {detail} (the server did not speak valid HTTP)"
    if isinstance(exc, httpx.InvalidURL):
        return f"invalid URL{where}: {detail}"
    return f"{type(exc).__name__}{where}: {detail}"
