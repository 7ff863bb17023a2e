"""Caching and compression: shared caches must not keep per-user pages, static assets should be
cached for long, and text should travel compressed."""

from __future__ import annotations

import re

import httpx

from pytest_prodready.checks.grammar import (
    header_evidence,
    joined,
    media_type,
    parse_cache_control,
    request_of,
)
from pytest_prodready.core.findings import Finding, Severity, rule

__all__ = ["evaluate", "is_publicly_cacheable"]

STATIC_MIN_AGE = 30 * 86400
COMPRESS_MIN_BYTES = 1024

SENSITIVE_CACHEABLE = rule(
    "cache.sensitive-cacheable",
    Severity.HIGH,
    "Per-user response may be stored by shared caches",
    "Send Cache-Control: private, no-store (or at least private) on responses that set "
    "cookies or carry user data, so a CDN or proxy never serves one user's page to another.",
)
STATIC_NOT_IMMUTABLE = rule(
    "cache.static-not-immutable",
    Severity.INFO,
    "Versioned static asset without a long cache lifetime",
    "Serve fingerprinted assets with Cache-Control: public, max-age=31536000, immutable.",
)
COMPRESSION_MISSING = rule(
    "compression.missing",
    Severity.LOW,
    "Text response served uncompressed",
    "Enable gzip or brotli for HTML, CSS, JS, JSON and SVG at the server or CDN.",
)

_PER_USER_TYPES = frozenset({"text/html", "application/xhtml+xml", "application/json"})
_TEXT_TYPES = frozenset(
    {
        "text/html",
        "application/xhtml+xml",
        "text/css",
        "text/javascript",
        "application/javascript",
        "application/x-javascript",
        "application/ecmascript",
        "text/ecmascript",
        "application/json",
        "image/svg+xml",
    }
)
_STATIC_EXTENSIONS = frozenset(
    {
        "js",
        "mjs",
        "css",
        "woff2",
        "woff",
        "ttf",
        "otf",
        "eot",
        "svg",
        "png",
        "jpg",
        "jpeg",
        "gif",
        "webp",
        "avif",
        "ico",
        "wasm",
        "map",
    }
)
_STATIC_DIRS = ("/static/", "/assets/")
_HASH_SEGMENT = re.compile(r"[A-Za-z0-9]{8,}")
_HEX_HASH = re.compile(r"[0-9a-fA-F]{16,}")
_VERSION_QUERY = frozenset({"v", "ver", "version", "hash", "h"})
_COMPRESSING = frozenset({"gzip", "x-gzip", "br", "*"})


def _json_like(kind: str) -> bool:
    return kind in _PER_USER_TYPES or kind.endswith("+json")


def is_publicly_cacheable(directives: dict[str, str | None]) -> bool:
    """Whether a shared cache may store a response with these Cache-Control directives.

    ``public``, ``s-maxage>0`` or ``max-age>0`` make it storable unless ``no-store`` or an
    unqualified ``private`` forbids it. ``private="set-cookie"`` only keeps the named fields out
    of shared caches, so the body is still shared.
    """
    if "no-store" in directives:
        return False
    if "private" in directives and directives["private"] is None:
        return False
    return (
        "public" in directives
        or _seconds(directives, "s-maxage") > 0
        or _seconds(directives, "max-age") > 0
    )


def _seconds(directives: dict[str, str | None], name: str) -> int:
    value = directives.get(name)
    return int(value) if value is not None and value.isdigit() else 0


def evaluate(response: httpx.Response, *, sensitive: bool | None = None) -> list[Finding]:
    """Caching and compression findings for one response.

    ``sensitive`` marks the response as carrying user data whatever its type; by default an
    HTML or JSON response counts when it sets a cookie or answers a request that carried
    Authorization (which a shared cache stores once ``public`` allows it).
    """
    request = request_of(response)
    url = str(request.url) if request is not None else None
    findings: list[Finding] = []
    findings += _sensitive(response, request, sensitive, url)
    if request is not None:
        findings += _static(response, request, url)
        findings += _compression(response, request, url)
    return findings


def _sensitive(
    response: httpx.Response, request: httpx.Request | None, sensitive: bool | None, url: str | None
) -> list[Finding]:
    kind = media_type(response)
    if sensitive is None:
        cookies = response.headers.get_list("set-cookie")
        authorized = request is not None and "authorization" in request.headers
        if not _json_like(kind) or not (cookies or authorized):
            return []
        why = (
            f"a {kind} response that sets cookie {cookies[0].split('=', 1)[0].strip()!r}"
            if cookies
            else f"a {kind} response to a request with Authorization"
        )
    elif sensitive:
        why = "a response marked sensitive"
    else:
        return []
    findings: list[Finding] = []
    # CDN-Cache-Control (RFC 9213) overrides Cache-Control for the CDNs that honour it.
    for header in ("Cache-Control", "CDN-Cache-Control"):
        value = joined(response, header)
        if value is not None and is_publicly_cacheable(parse_cache_control(value)):
            findings.append(
                SENSITIVE_CACHEABLE(f"{header_evidence(header, value)} on {why}", url=url)
            )
    return findings


def _looks_versioned(path: str, query: str) -> bool:
    if any(directory in path for directory in _STATIC_DIRS):
        return True
    if any(key in _VERSION_QUERY for key, _, _ in (p.partition("=") for p in query.split("&"))):
        return True
    stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    for segment in re.split(r"[.\-_~]", stem):
        if _HEX_HASH.fullmatch(segment):
            return True
        # Bundler hashes (webpack, Vite, esbuild) mix letters and digits; words do not.
        if (
            _HASH_SEGMENT.fullmatch(segment)
            and re.search(r"[0-9]", segment)
            and re.search(r"[A-Za-z]", segment)
        ):
            return True
    return False


def _static(response: httpx.Response, request: httpx.Request, url: str | None) -> list[Finding]:
    if response.status_code != 200:
        return []
    path = request.url.path
    extension = path.rsplit("/", 1)[-1].rpartition(".")[2].lower() if "." in path else ""
    if extension not in _STATIC_EXTENSIONS:
        return []
    if not _looks_versioned(path, request.url.query.decode("ascii", "replace")):
        return []
    value = joined(response, "cache-control")
    directives = parse_cache_control(value or "")
    if "immutable" in directives and "no-store" not in directives:
        return []
    if "no-store" not in directives and _seconds(directives, "max-age") >= STATIC_MIN_AGE:
        return []
    evidence = header_evidence("Cache-Control", value) if value is not None else "no Cache-Control"
    return [STATIC_NOT_IMMUTABLE(f"{evidence} on {path}", url=url)]


def _accepts_compression(request: httpx.Request) -> bool:
    for member in request.headers.get("accept-encoding", "").split(","):
        coding, _, params = member.partition(";")
        if coding.strip().lower() not in _COMPRESSING:
            continue
        quality = params.strip().lower()
        if quality.startswith("q="):
            try:
                if float(quality[2:]) <= 0:
                    continue
            except ValueError:
                continue
        return True
    return False


def _body_size(response: httpx.Response) -> int:
    try:
        return len(response.content)
    except httpx.ResponseNotRead:
        length = response.headers.get("content-length", "")
        return int(length) if length.isdigit() else 0


def _compression(
    response: httpx.Response, request: httpx.Request, url: str | None
) -> list[Finding]:
    # No body to compress: HEAD, 204/304, and 206 ranges (byte ranges of the identity body).
    if request.method == "HEAD" or response.status_code in {204, 206, 304}:
        return []
    if response.status_code < 200:
        return []
    kind = media_type(response)
    if kind not in _TEXT_TYPES and not kind.endswith("+json"):
        return []
    if not _accepts_compression(request):
        return []
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if encoding not in {"", "identity"}:
        return []
    size = _body_size(response)
    if size <= COMPRESS_MIN_BYTES:
        return []
    accepted = request.headers.get("accept-encoding", "")
    return [
        COMPRESSION_MISSING(
            f"{size} bytes of {kind} without Content-Encoding (Accept-Encoding: {accepted})",
            url=url,
        )
    ]
