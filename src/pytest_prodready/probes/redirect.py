"""Follow the plain-HTTP URL's redirects hop by hop, for :mod:`pytest_prodready.checks.redirect`."""

from __future__ import annotations

from collections.abc import Iterable

import httpx

from pytest_prodready.checks.redirect import Hop
from pytest_prodready.core.safety import (
    bare_host,
    home_hosts,
    hop_is_home,
    leaves_for,
    redact_location,
)

__all__ = ["follow", "stays_home"]


def stays_home(url: str, hosts: frozenset[str]) -> bool:
    """:func:`~pytest_prodready.core.safety.hop_is_home`, and the host httpx itself would
    connect to is home too: two URL parsers that disagree cannot smuggle a hop out."""
    try:
        return hop_is_home(url, hosts) and bare_host(httpx.URL(url).host) in hosts
    except httpx.InvalidURL:
        return False


def follow(
    client: httpx.Client, url: str, *, home: Iterable[str | None] = (), max_hops: int = 5
) -> list[Hop]:
    """GET ``url`` and each Location after it that stays home, one request per hop, bodies
    unread.

    Home is the hosts of ``url`` and of the ``home`` URLs (the environment's base_url,
    api_url and http_url), on any scheme and port. A Location anywhere else is never
    requested: a hostile target must not aim the runner at another host, its own machine or
    its network. That hop is kept as ``Hop.off_host``, its Location cut to ``scheme://host``.
    Every URL and Location kept loses its query string and fragment (they can carry tokens,
    and the chain ends up in evidence), which the check does not need.

    Stops at the first answer that is not a redirect, after ``max_hops`` requests, at a loop,
    at a hop that leaves home or cannot be reached (its URL is still the previous hop's
    Location). Returns ``[]`` when ``url`` itself cannot be reached: nothing listens on plain
    HTTP.
    """
    if max_hops < 1:
        raise ValueError(f"max_hops must be at least 1, got {max_hops}")
    hosts = home_hosts(url, *home)
    chain: list[Hop] = []
    seen: set[str] = set()
    next_url: str | None = url
    while next_url is not None and len(chain) < max_hops and next_url not in seen:
        seen.add(next_url)
        try:
            with client.stream("GET", next_url, follow_redirects=False) as response:
                raw = Hop(next_url, response.status_code, response.headers.get("location"))
        except (httpx.RequestError, httpx.InvalidURL):
            # An unreachable later hop (say, HTTPS with a bad certificate) is another check's
            # business; the chain up to it still says where HTTP sends users.
            break
        next_url = raw.target
        shown = redact_location(raw.location) if raw.location is not None else None
        if next_url is not None and not stays_home(next_url, hosts):
            # Leaves home, or is no http(s) URL at all ("javascript:", "http://[::1"):
            # recorded from the Location alone.
            away = leaves_for(next_url)
            chain.append(Hop(redact_location(raw.url), raw.status, away or shown, bool(away)))
            break
        chain.append(Hop(redact_location(raw.url), raw.status, shown))
    return chain
