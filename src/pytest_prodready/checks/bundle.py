"""Public assets: server-side secrets shipped to browsers, test-mode keys, public source maps.

A ``NEXT_PUBLIC_`` prefix (or Vite's ``VITE_``) puts a value in every visitor's JavaScript;
teams put a Stripe secret key or a Supabase service-role key there by mistake. The facts are
the page HTML and every same-origin script a visitor can load, the framework manifests' chunks
included (see :mod:`pytest_prodready.probes.bundle`);
the key patterns are detect-secrets' plus a thin layer of ours (:mod:`.secret_rules`).
Evidence never repeats a found key whole: it is the target's secret, not ours to spread.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

from pytest_prodready.checks.secret_rules import scan
from pytest_prodready.core.findings import Finding, Severity, rule

__all__ = ["Asset", "Coverage", "coverage", "evaluate", "mask"]

SECRET_KEY = rule(
    "bundle.secret-key",
    Severity.HIGH,
    "A server-side secret is shipped to every browser",
    "Rotate the key now, then keep it server-side (no NEXT_PUBLIC_/VITE_ prefix; read it in "
    "API routes only).",
)
TEST_KEY = rule(
    "bundle.test-mode-key",
    Severity.MEDIUM,
    "A test-mode key is live in a production bundle",
    "Build production with the live publishable key (payments in test mode take no money).",
)
SOURCE_MAP = rule(
    "bundle.source-map",
    Severity.LOW,
    "Source maps are publicly downloadable",
    "Upload source maps to your error tracker instead of serving them "
    "(e.g. productionBrowserSourceMaps: false, or hide them from the web root).",
)

TRUNCATED = rule(
    "bundle.scan-truncated",
    Severity.INFO,
    "Not every public script was read: the bundle bound cut the list",
    "Raise [envs.X.bundle] max_assets or max_bytes_mb so every chunk a visitor can load is "
    "scanned (the evidence says how many were left).",
)

_TEST_KEYS = (("Stripe test publishable key", re.compile(r"\bpk_test_[0-9A-Za-z]{10,}")),)
_JWT = re.compile(r"\beyJ[0-9A-Za-z_-]{8,}\.(eyJ[0-9A-Za-z_-]{8,})\.[0-9A-Za-z_-]{8,}")


@dataclass(frozen=True)
class Asset:
    """One public asset (a page, ``page=True``, or a script) and, if it names one, its
    source map."""

    url: str
    text: str
    source_map_url: str | None = None
    source_map_public: bool = False
    page: bool = False


@dataclass(frozen=True)
class Coverage:
    """How much of the public JavaScript a run read: scripts and bytes read, scripts known
    but left unread, and which bound left them (``max_assets`` or ``max_bytes_mb``)."""

    read: int
    bytes: int
    left: int = 0
    bound: str | None = None

    def describe(self) -> str:
        text = f"{self.read} scripts read ({self.bytes / 1e6:.2f} MB)"
        if self.left:
            text += f", {self.left} left unread by {self.bound}"
        return text


def coverage(facts: Coverage) -> list[Finding]:
    """An info finding when the bound cut the list: the scan is partial, and says so."""
    return [TRUNCATED(facts.describe())] if facts.left else []


def mask(secret: str) -> str:
    """Enough of a key to find it in the codebase, not enough to use it."""
    return secret[:10] + "…" if len(secret) > 12 else secret[:4] + "…"


def _jwt_role(payload: str) -> str | None:
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, UnicodeDecodeError, RecursionError):  # not a JWT payload we can read
        return None
    role = claims.get("role") if isinstance(claims, dict) else None
    return role if isinstance(role, str) else None


def _secrets(text: str) -> Iterator[tuple[str, str]]:
    for found in scan(text):
        yield found.kind, found.value
    for match in _JWT.finditer(text):
        # The anon key is public by design; the service-role key bypasses row-level security.
        if _jwt_role(match.group(1)) == "service_role":
            yield "Supabase service_role key", match.group(0)


def evaluate(assets: list[Asset], *, production: bool) -> list[Finding]:
    """Findings over the public assets of a site; test-mode keys count only when
    ``production`` says it runs in live mode (see :func:`.build.live_mode`)."""
    findings: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    for asset in assets:
        for kind, value in _secrets(asset.text):
            if (kind, value) not in seen:
                seen.add((kind, value))
                findings.append(SECRET_KEY(f"{kind} {mask(value)} in {asset.url}", url=asset.url))
        if production:
            for kind, pattern in _TEST_KEYS:
                match = pattern.search(asset.text)
                if match and (kind, match.group(0)) not in seen:
                    seen.add((kind, match.group(0)))
                    findings.append(TEST_KEY(f"{kind} {mask(match.group(0))}", url=asset.url))
        if asset.source_map_url and asset.source_map_public:
            findings.append(SOURCE_MAP(f"{asset.source_map_url} is served", url=asset.url))
    return findings
