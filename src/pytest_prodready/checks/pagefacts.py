"""Small facts about a response that several security suites share."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

__all__ = ["csp_headers", "endpoint", "is_api"]


def is_api(response: httpx.Response) -> bool:
    """A JSON API answer gets the API profile (no framing or SRI noise)."""
    media: str = response.headers.get("content-type", "").split(";")[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def csp_headers(response: httpx.Response) -> tuple[list[str], list[str]]:
    """(enforced, report-only) Content-Security-Policy header values."""
    return (
        response.headers.get_list("content-security-policy"),
        response.headers.get_list("content-security-policy-report-only"),
    )


def endpoint(url: str) -> tuple[str, int]:
    """(host, port) of an URL, with the scheme's default port."""
    parts = urlsplit(url)
    default = 443 if parts.scheme == "https" else 80
    return parts.hostname or "", parts.port or default
