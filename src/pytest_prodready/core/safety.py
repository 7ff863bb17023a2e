"""The safety gate's vocabulary: which marks it holds back, how its skips read, and where a
redirect may take a probe (its own hosts only) and how a Location is quoted."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

__all__ = [
    "GATED_MARKERS",
    "READ_ONLY_POSTS",
    "SAFETY_PREFIX",
    "bare_host",
    "home_hosts",
    "hop_is_home",
    "leaves_for",
    "read_only",
    "redact_location",
]

# Tests with these marks write data or stress the target: held back on protected envs.
GATED_MARKERS = ("destructive", "load", "ratelimit")
# Calls that carry a writing verb but only read, so checks send them on protected envs too:
# Supabase Storage lists a bucket's objects with POST (the search travels in the body).
READ_ONLY_POSTS = ("/storage/v1/object/list/",)
# Every skip the gate causes starts so; the terminal summary and the reports count them by it.
SAFETY_PREFIX = "prodready safety:"

_USERINFO = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*://)[^/?#@]*@")


def bare_host(host: str) -> str:
    """A host as DNS compares it: case-insensitive, the root's trailing dot dropped, and an IP
    literal in its one canonical spelling (``0:0::1`` is ``::1``)."""
    host = host.rstrip(".").lower()
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return host


def _host_of(url: str) -> str | None:
    """The bare host of an http(s) URL; None for anything else (no client should follow it)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # "http://[::1/": unparsable
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    return bare_host(host)


def home_hosts(*urls: str | None) -> frozenset[str]:
    """The hosts of an environment's URLs (base_url, api_url, http_url): where it lives."""
    return frozenset(host for url in urls if url for host in [_host_of(url)] if host)


def hop_is_home(url: str, home: Iterable[str]) -> bool:
    """Whether a redirect to ``url`` may be requested: an http(s) URL on one of the ``home``
    hosts, on any scheme and port (HTTP to HTTPS changes both).

    Nothing else is: not another name, and so not a loopback, link-local or private address
    (cloud metadata, the runner's own machine and network) unless the env lives at that very
    address. IP literals compare canonically and no name is resolved: ``127.0.0.2``,
    ``::ffff:127.0.0.1`` and ``localhost`` are all elsewhere for an env on ``127.0.0.1``.
    """
    host = _host_of(url)
    return host is not None and host in {bare_host(h) for h in home}


def leaves_for(url: str) -> str | None:
    """``scheme://host`` of an off-host redirect target, the only part of it ever shown: its
    path and query string may carry tokens. None when ``url`` is no http(s) URL."""
    host = _host_of(url)
    if host is None:
        return None
    shown = f"[{host}]" if ":" in host else host
    return f"{urlsplit(url).scheme.lower()}://{shown}"


def redact_location(location: str) -> str:
    """A Location (or a URL reached through one) as evidence may quote it: without query
    string, fragment or credentials, which can carry tokens. Textual, so a Location no parser
    accepts is redacted too."""
    cut = min((i for i in (location.find("?"), location.find("#")) if i >= 0), default=None)
    return _USERINFO.sub(r"\1", location[:cut])


def read_only(method: str, path: str) -> bool:
    """Whether a request only reads: GET, HEAD and OPTIONS, and the POSTs of
    :data:`READ_ONLY_POSTS` followed by exactly one path segment (the bucket)."""
    verb = method.upper()
    if verb in ("GET", "HEAD", "OPTIONS"):
        return True
    if verb != "POST":
        return False
    for prefix in READ_ONLY_POSTS:
        rest = path.removeprefix(prefix) if path.startswith(prefix) else None
        if rest and "/" not in rest.rstrip("/") and rest not in (".", ".."):
            return True
    return False
