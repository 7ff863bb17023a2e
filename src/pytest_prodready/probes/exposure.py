"""Request the exposure catalogue's paths for :mod:`pytest_prodready.checks.exposure`."""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor

import httpx

from pytest_prodready.checks.exposure import EXPOSURES, PathResult

__all__ = ["MAX_BODY_BYTES", "probe"]

MAX_BODY_BYTES = 64 * 1024
"""Signatures read the start of a file; a 2 GB backup.zip must not be downloaded to know it."""
IN_FLIGHT = 4
"""Requests at once: a browser opens six connections per host; the catalogue's round trips
overlap instead of adding up."""


def probe(
    client: httpx.Client, base_url: str, *, max_requests: int = 40
) -> tuple[PathResult, list[PathResult]]:
    """The baseline (a random path that cannot exist) and the answer for each catalogue path.

    Paths are joined to ``base_url`` (its path prefix kept). One GET each, redirects never
    followed, at most :data:`MAX_BODY_BYTES` of each body read. At most ``max_requests``
    requests, the baseline included: the catalogue is cut short rather than the cap exceeded.
    A path whose request fails (reset, timeout) is kept with ``status`` 0 and its ``error``;
    a failing baseline raises, since nothing can be judged without it. The baseline goes
    first, alone; then up to :data:`IN_FLIGHT` paths at a time, results in catalogue order.
    """
    if max_requests < 2:
        raise ValueError(
            f"max_requests must be at least 2 (baseline and a path), got {max_requests}"
        )
    base = base_url.rstrip("/")
    baseline = _fetch(client, base, f"/prodready-missing-{secrets.token_hex(8)}")
    paths = [entry.path for entry in EXPOSURES[: max_requests - 1]]
    with ThreadPoolExecutor(IN_FLIGHT, thread_name_prefix="prodready-exposure") as pool:
        results = list(pool.map(lambda path: _answer(client, base, path), paths))
    return baseline, results


def _answer(client: httpx.Client, base: str, path: str) -> PathResult:
    try:
        return _fetch(client, base, path)
    except httpx.RequestError as error:
        # WAFs often reset the connection on /.git or /.env: a refusal, not an exposure.
        return PathResult(path, base + path, 0, error=f"{type(error).__name__}: {error}")


def _fetch(client: httpx.Client, base: str, path: str) -> PathResult:
    url = base + path
    body = bytearray()
    with client.stream("GET", url, follow_redirects=False) as response:
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) >= MAX_BODY_BYTES:
                break
        content_type = response.headers.get("content-type", "")
        status = response.status_code
    return PathResult(path, url, status, content_type, bytes(body[:MAX_BODY_BYTES]))
