"""Send hostile-origin requests for :mod:`pytest_prodready.checks.cors`."""

from __future__ import annotations

import httpx

from pytest_prodready.checks.cors import CorsProbe, hostile_origins

__all__ = ["probe"]


def probe(client: httpx.Client, url: str, target_host: str) -> list[CorsProbe]:
    """For each of :func:`~pytest_prodready.checks.cors.hostile_origins` (four), one simple GET
    and one OPTIONS preflight (``Access-Control-Request-Method: GET``): eight requests.

    Only headers matter, so bodies are never read: each response is closed unread.
    """
    probes: list[CorsProbe] = []
    for origin in hostile_origins(target_host):
        for preflight in (False, True):
            headers = {"Origin": origin}
            if preflight:
                headers["Access-Control-Request-Method"] = "GET"
            method = "OPTIONS" if preflight else "GET"
            with client.stream(method, url, headers=headers, follow_redirects=False) as response:
                probes.append(CorsProbe(origin, response, preflight))
    return probes
