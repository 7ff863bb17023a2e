"""The rate-limit burst: bounded in count (``spec.cap``), concurrency and time."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from threading import Event

import httpx

from pytest_prodready.checks.ratelimit import LIMIT_HEADERS, Burst, Sample
from pytest_prodready.config import RateLimitSpec

__all__ = ["burst"]

# Date too: a Retry-After HTTP-date or an epoch X-RateLimit-Reset counts from the response's
# clock, not from ours when the check runs.
KEPT_HEADERS = (*LIMIT_HEADERS, "date")


def _send(
    client: httpx.Client, spec: RateLimitSpec, headers: dict[str, str], index: int, start: float
) -> Sample:
    body = dict(spec.json) if spec.json is not None else None
    response = client.request(spec.method, spec.path, json=body, headers=headers)
    kept = {k: v for k in KEPT_HEADERS if (v := response.headers.get(k)) is not None}
    return Sample(index, response.status_code, time.perf_counter() - start, kept)


def burst(
    client: httpx.Client,
    spec: RateLimitSpec,
    *,
    headers: dict[str, str] | None = None,
    deadline_s: float = 60.0,
) -> Burst:
    """Send ``spec``'s request until the first 429 or ``spec.cap`` requests.

    With ``concurrency`` > 1 requests go out in waves of that size; the burst still stops
    at the first 429 (a wave in flight finishes) and never exceeds the cap.
    """
    start = time.perf_counter()
    samples: list[Sample] = []
    stop = Event()
    sent = 0
    with ThreadPoolExecutor(max_workers=spec.concurrency) as pool:
        while sent < spec.cap and not stop.is_set() and time.perf_counter() - start < deadline_s:
            wave = range(sent + 1, min(sent + spec.concurrency, spec.cap) + 1)
            sent = wave[-1]
            for sample in pool.map(lambda i: _send(client, spec, headers or {}, i, start), wave):
                samples.append(sample)
                if sample.status == 429:
                    stop.set()
    url = str(client.base_url).rstrip("/") + spec.path
    return Burst(spec, tuple(sorted(samples, key=lambda s: s.index)), url)
