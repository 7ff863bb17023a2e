"""HTTP to HTTPS redirection, judged as Mozilla HTTP Observatory's redirection test does.

The facts are the hops a client makes from the environment's plain-HTTP URL, gathered by
:func:`pytest_prodready.probes.redirect.follow`. HSTS can only be set by an HTTPS response of
the same host, so the first redirect must go straight to ``https://`` on that host.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from pytest_prodready.core.findings import Finding, Severity, rule
from pytest_prodready.core.safety import bare_host, redact_location

__all__ = [
    "FIRST_HOP_OFF_HOST",
    "MISSING",
    "NOT_TO_HTTPS",
    "REDIRECT_STATUSES",
    "Hop",
    "evaluate",
]

MISSING = rule(
    "redirect.missing",
    Severity.HIGH,
    "Plain HTTP is served without a redirect to HTTPS",
    "Answer every plain-HTTP request with a 301 (or 308) to the same URL on https://",
)
NOT_TO_HTTPS = rule(
    "redirect.not-to-https",
    Severity.HIGH,
    "Plain HTTP redirects, but does not end on HTTPS",
    "Point the redirect's Location at https://, and let no later hop go back to http://",
)
FIRST_HOP_OFF_HOST = rule(
    "redirect.first-hop-off-host",
    Severity.LOW,
    "First redirect does not go to HTTPS on the same host",
    "Redirect http://host/ to https://host/ first, then elsewhere: otherwise the host never "
    "gets its HSTS header and cannot be HSTS-preloaded",
)

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class Hop:
    """One request of the chain: its absolute URL, the status, and Location if any.

    ``off_host``: the Location leaves the environment's hosts, so it was not requested and is
    kept as ``scheme://host`` only (:func:`pytest_prodready.probes.redirect.follow`).
    """

    url: str
    status: int
    location: str | None = None
    off_host: bool = False

    @property
    def target(self) -> str | None:
        """The absolute URL this hop redirects to, or None if it is not a redirect."""
        if self.status not in REDIRECT_STATUSES or not self.location:
            return None
        try:
            return urljoin(self.url, self.location)
        except ValueError:  # "http://[::1/": kept as sent, and judged not to reach HTTPS
            return self.location


def evaluate(chain: list[Hop], *, https_url: str) -> list[Finding]:
    """Findings for the redirect chain that starts at the plain-HTTP URL.

    An empty chain (nothing listens on plain HTTP) passes, as in Observatory. ``https_url`` is
    the environment's HTTPS URL, named in the evidence as where the first hop should go.
    """
    if not chain:
        return []
    start = chain[0]
    first_target = start.target
    # Evidence quotes no query string or fragment: a Location can carry a token.
    start_url = redact_location(start.url)
    if first_target is None:
        location = f" (Location: {redact_location(start.location)})" if start.location else ""
        evidence = f"GET {start_url} answered {start.status}{location}, expected a redirect"
        return [MISSING(f"{evidence} to {https_url}", url=start_url)]

    route = [start.url, *(hop.url for hop in chain[1:])]
    last_target = chain[-1].target
    if last_target is not None:
        # The chain was cut (hop limit, loop, a hop off the env's hosts or an unreachable
        # hop): its last Location counts.
        route.append(last_target)
    quoted = [redact_location(url) for url in route]
    if chain[-1].off_host and last_target is not None:
        quoted[-1] = f"leaves for {quoted[-1]}"  # seen in the Location, never requested
    shown = " -> ".join(quoted)
    if _scheme(route[-1]) != "https":
        broken = "" if _scheme(route[-1]) else " (the last Location is not an http(s) URL)"
        return [NOT_TO_HTTPS(f"route {shown}{broken}", url=start_url)]

    first_scheme = _scheme(first_target)
    same_host = _host(first_target) == _host(start.url)
    if first_scheme == "https" and same_host:
        return []
    if first_scheme != "https":
        # A cleartext first hop is worse than an off-host one: Observatory scores it lower.
        evidence = f"first redirect stays on http: {shown}; expected {https_url}"
        return [FIRST_HOP_OFF_HOST(evidence, url=start_url, severity=Severity.MEDIUM)]
    evidence = f"first redirect leaves {_host(start.url)}: {shown}; expected {https_url}"
    return [FIRST_HOP_OFF_HOST(evidence, url=start_url)]


def _host(url: str) -> str:
    # Hostname only: the port changes with the scheme, the host must not.
    try:
        return bare_host(urlsplit(url).hostname or "")
    except ValueError:
        return ""


def _scheme(url: str) -> str:
    """The URL's scheme, or "" for a string that is no URL (a bracketed host left open)."""
    try:
        return urlsplit(url).scheme if urlsplit(url).hostname is not None else ""
    except ValueError:
        return ""
