"""The rate-limit burst: bounded in count (``spec.cap``), concurrency and time."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from threading import Event

import httpx

from pytest_prodready.checks.ratelimit import LIMIT_HEADERS, Burst, Sample, reset_wait_s
from pytest_prodready.config import RateLimitSpec

__all__ = ["burst", "safe_reads"]

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
    sleep: Callable[[float], None] = time.sleep,
) -> Burst:
    """Send ``spec``'s request until the first 429 or ``spec.cap`` requests.

    The first request goes alone: if it already gets a 429, earlier traffic spent the budget,
    and the burst waits out what the limiter asks (at most ``spec.max_reset_wait_s``) and
    begins again, once; a longer wait leaves the burst at that one answer (inconclusive).
    With ``concurrency`` > 1 the rest go out in waves of that size; the burst still stops at
    the first 429 (a wave in flight finishes) and never exceeds the cap.
    """
    url = str(client.base_url).rstrip("/") + spec.path
    send = partial(_send, client, spec, headers or {})
    start = time.perf_counter()
    opening = send(1, start)
    waited = 0.0
    if opening.status == 429:
        wait = reset_wait_s(opening, spec)
        if wait > spec.max_reset_wait_s:
            return Burst(spec, (opening,), url, spent_wait_s=wait, started=start)
        sleep(wait + 0.5)
        waited = wait
        start = time.perf_counter()
        opening = send(1, start)
    samples = [opening]
    sent = 1
    stop = Event()
    if opening.status == 429:
        stop.set()
    with ThreadPoolExecutor(max_workers=spec.concurrency) as pool:
        while sent < spec.cap and not stop.is_set() and time.perf_counter() - start < deadline_s:
            wave = range(sent + 1, min(sent + spec.concurrency, spec.cap) + 1)
            sent = wave[-1]
            for sample in pool.map(lambda i: send(i, start), wave):
                samples.append(sample)
                if sample.status == 429:
                    stop.set()
    ordered = tuple(sorted(samples, key=lambda s: s.index))
    return Burst(spec, ordered, url, waited_s=waited, started=start)


def safe_reads(client: httpx.Client, path: str, *, count: int, within_s: float) -> list[Sample]:
    """GET ``path`` up to ``count`` times, one at a time, for at most ``within_s`` seconds;
    stops at the first 429 (a limiter is there: that is all this asks)."""
    start = time.perf_counter()
    samples: list[Sample] = []
    for index in range(1, count + 1):
        if time.perf_counter() - start >= within_s:
            break
        response = client.get(path)
        kept = {k: v for k in KEPT_HEADERS if (v := response.headers.get(k)) is not None}
        samples.append(Sample(index, response.status_code, time.perf_counter() - start, kept))
        if response.status_code == 429:
            break
    return samples
