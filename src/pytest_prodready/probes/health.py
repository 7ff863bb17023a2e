"""Health sampling: a few uncached requests, timed, for a latency median."""

from __future__ import annotations

import time

import httpx

__all__ = ["sample"]


def sample(
    client: httpx.Client, path: str, *, samples: int
) -> tuple[list[httpx.Response], list[float]]:
    """``samples`` sequential GETs of ``path``: the responses and their latencies in seconds."""
    responses: list[httpx.Response] = []
    latencies: list[float] = []
    for _ in range(samples):
        start = time.perf_counter()
        responses.append(client.get(path))
        latencies.append(time.perf_counter() - start)
    return responses, latencies
