"""Follow the plain-HTTP URL's redirects hop by hop, for :mod:`pytest_prodready.checks.redirect`."""

from __future__ import annotations

import httpx

from pytest_prodready.checks.redirect import Hop

__all__ = ["follow"]


def follow(client: httpx.Client, url: str, *, max_hops: int = 5) -> list[Hop]:
    """GET ``url`` and each Location after it, one request per hop, bodies unread.

    Stops at the first answer that is not a redirect, after ``max_hops`` requests, at a loop,
    or at a hop that cannot be reached (its URL is still the previous hop's Location). Returns
    ``[]`` when ``url`` itself cannot be reached: nothing listens on plain HTTP.
    """
    if max_hops < 1:
        raise ValueError(f"max_hops must be at least 1, got {max_hops}")
    chain: list[Hop] = []
    seen: set[str] = set()
    next_url: str | None = url
    while next_url is not None and len(chain) < max_hops and next_url not in seen:
        seen.add(next_url)
        try:
            with client.stream("GET", next_url, follow_redirects=False) as response:
                hop = Hop(next_url, response.status_code, response.headers.get("location"))
        except (httpx.RequestError, httpx.InvalidURL):
            # An unreachable later hop (say, HTTPS with a bad certificate, or a Location that
            # is no URL at all) is another check's business; the chain up to it still says
            # where HTTP sends users.
            break
        chain.append(hop)
        next_url = hop.target
    return chain
