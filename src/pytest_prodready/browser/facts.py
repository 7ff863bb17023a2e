"""What a real browser saw on a page, as plain data.

Frozen dataclasses with no Playwright object inside: they are cached per session, shared by
several tests, and hand-written in the checks' unit tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "AuditFacts",
    "AxeViolation",
    "ConsoleEntry",
    "DocumentScripts",
    "FailedRequest",
    "ImageFact",
    "LoginOutcome",
    "PageFacts",
    "Violation",
    "VitalsSample",
    "is_page",
    "media_type",
    "same_origin",
]


@dataclass(frozen=True)
class ConsoleEntry:
    """A console message (``type`` as Chrome gives it) or an uncaught exception (``pageerror``)."""

    type: str
    text: str
    url: str = ""
    line: int = 0

    @property
    def source(self) -> str:
        return f"{self.url}:{self.line}" if self.url and self.line else self.url


@dataclass(frozen=True)
class FailedRequest:
    """A request that failed at the network level (``failure``) or answered ``status`` >= 400."""

    method: str
    url: str
    resource_type: str
    status: int | None = None
    failure: str | None = None


@dataclass(frozen=True)
class Violation:
    """One ``securitypolicyviolation`` event."""

    directive: str
    blocked_uri: str
    disposition: str  # "enforce" or "report"
    source: str = ""
    sample: str = ""


@dataclass(frozen=True)
class DocumentScripts:
    """A document's enforced policies and its inline scripts: (nonce, text, blocked) each.

    A blocked inline script fired a violation at its element; one that was not blocked ran.
    """

    url: str
    policies: tuple[str, ...]
    inline: tuple[tuple[str, str, bool], ...]
    # Of ``policies``, those a <meta http-equiv> delivered: no header check ever sees them.
    meta: tuple[str, ...] = ()


@dataclass(frozen=True)
class VitalsSample:
    """One load's web vitals, in milliseconds (CLS unitless); None where not measured."""

    lcp_ms: float | None = None
    cls: float | None = None
    fcp_ms: float | None = None
    ttfb_ms: float | None = None
    # Total Blocking Time: each long task's time past 50 ms, counted from FCP to the reading.
    tbt_ms: float | None = None


@dataclass(frozen=True)
class PageFacts:
    """Everything the browser saw while it loaded (and, for flows, used) a page."""

    url: str
    origin: str
    status: int | None = None
    error: str | None = None
    console: tuple[ConsoleEntry, ...] = ()
    failed: tuple[FailedRequest, ...] = ()
    insecure_requests: tuple[str, ...] = ()
    violations: tuple[Violation, ...] = ()
    documents: tuple[DocumentScripts, ...] = ()
    vitals: tuple[VitalsSample, ...] = ()
    screenshot: bytes | None = None
    # The document response's Content-Type (None: no response, or the header was absent).
    content_type: str | None = None


@dataclass(frozen=True)
class AxeViolation:
    """One axe-core rule a page breaks: no HTML snippet or failure text (they quote the page,
    which may show the signed-in user's data), only the rule and where."""

    rule: str
    impact: str  # critical, serious, moderate, minor
    help: str
    help_url: str
    targets: tuple[str, ...]  # CSS selectors of the offending nodes
    nodes: int


@dataclass(frozen=True)
class ImageFact:
    """An ``<img>`` of a loaded page, with the response that served it (None when the browser
    has not fetched it: a lazy image below the fold, a ``data:`` URL)."""

    url: str
    natural_width: int
    natural_height: int
    rendered_width: float
    rendered_height: float
    top: float  # CSS pixels from the document's top
    loading: str  # the loading attribute, "" when absent
    content_type: str | None = None
    bytes: int | None = None
    cache_control: str | None = None
    requested: bool = False


@dataclass(frozen=True)
class AuditFacts:
    """A page loaded on its own for the slower audits: axe-core's violations and its images."""

    url: str
    viewport_height: float = 0.0
    device_pixel_ratio: float = 1.0
    axe_version: str = ""
    violations: tuple[AxeViolation, ...] = ()
    images: tuple[ImageFact, ...] = ()
    error: str | None = None


def media_type(content_type: str | None) -> str:
    """The media type of a Content-Type value, lower-cased, without its parameters."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_page(content_type: str | None) -> bool:
    """Whether a document with this Content-Type is a page the app laid out (HTML), not a view
    the browser made of JSON, text or an image. An absent type counts as a page: the browser
    sniffs it, and most often finds HTML."""
    return media_type(content_type) in {"", "text/html", "application/xhtml+xml"}


def same_origin(url: str, origin: str) -> bool:
    """Whether ``url`` belongs to ``origin`` (scheme, host and port, default ports filled)."""

    def key(u: str) -> tuple[str, str, int | None]:
        parts = urlsplit(u)
        default = {"https": 443, "http": 80, "wss": 443, "ws": 80}.get(parts.scheme)
        try:
            port = parts.port or default
        except ValueError:
            port = None
        return parts.scheme, (parts.hostname or "").lower(), port

    return key(url) == key(origin)


@dataclass(frozen=True)
class LoginOutcome:
    """A login attempt: did it work, why not, and what the browser saw on the way."""

    ok: bool
    login_url: str
    evidence: str = ""
    # (response URL, Set-Cookie value with the value masked)
    set_cookies: tuple[tuple[str, str], ...] = ()
    facts: PageFacts | None = None
    storage_state: Any = None
    screenshot: bytes | None = None
