"""Production-mode configuration read from the public bundle, judged against ``[envs.X.expect]``.

A production deploy built with staging's environment file still works, on the wrong Supabase
project, reporting errors as "development", calling a preview API. The values a build inlines
(``NEXT_PUBLIC_*``, ``VITE_*``) are in the assets :mod:`pytest_prodready.probes.bundle` reads
already, so judging them costs no request.

The development-build markers are strings React and Next.js put only in their development
builds: the module path of React DOM's development build, React's DevTools invitation (printed
by the development build alone) and Next's development client id. A ``next build`` output
contains none of them (the field test bed's build proves it; ``next dev`` serves all three).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Iterator
from urllib.parse import urlsplit

from pytest_prodready.checks.bundle import Asset, mask
from pytest_prodready.config.bundle import BuildExpect
from pytest_prodready.core.findings import Finding, Severity, rule

__all__ = ["dev_markers", "evaluate", "live_mode"]

FOREIGN_PROJECT = rule(
    "bundle.foreign-project",
    Severity.HIGH,
    "The bundle talks to another Supabase project than the declared one",
    "Build with this environment's NEXT_PUBLIC_SUPABASE_URL and anon/publishable key (a "
    "staging .env copied into the production build points users at staging's data).",
)
DEV_BUILD = rule(
    "bundle.dev-build",
    Severity.HIGH,
    "A development build of React/Next.js is served",
    "Serve the output of `next build` / `vite build` with NODE_ENV=production (`next start`, "
    "not `next dev`): development builds are slow, large and print internals.",
)
STAGING_ORIGIN = rule(
    "bundle.staging-origin",
    Severity.MEDIUM,
    "The bundle calls a local, staging or preview API",
    "Set the production API base URL (e.g. NEXT_PUBLIC_API_URL) in the production build's "
    "environment, and declare the allowed ones in [envs.X.expect] api_origins.",
)
SENTRY_ENVIRONMENT = rule(
    "bundle.sentry-environment",
    Severity.LOW,
    "Errors are reported to Sentry under another environment",
    "Set Sentry.init({ environment }) from the deploy (e.g. NEXT_PUBLIC_SENTRY_ENVIRONMENT="
    "production), or production errors hide among development ones.",
)

_DEV_MARKERS = (
    ("React DOM development build", re.compile(r"react-dom(?:-client)?[._]development")),
    ("React DevTools invitation", re.compile(r"Download the React DevTools for a better")),
    ("Next.js development client", re.compile(r"__nextDevClientId")),
)
_SUPABASE_URL = re.compile(r"\bhttps://([a-z0-9]{15,40})\.supabase\.(?:co|in)\b")
_JWT = re.compile(r"\beyJ[0-9A-Za-z_-]{8,}\.(eyJ[0-9A-Za-z_-]{8,})\.[0-9A-Za-z_-]{8,}")
# A URL that is a whole string literal: how an inlined NEXT_PUBLIC_API_URL looks once minified.
_URL_LITERAL = re.compile(r"""["'`](https?://[A-Za-z0-9.\-\[\]:]+(?:/[\w\-./]*)?)["'`]""")
_LOCAL_HOSTS = re.compile(r"localhost|127\.\d+\.\d+\.\d+|0\.0\.0\.0|::1|.+\.local|.+\.test")
_STAGING_LABEL = re.compile(r"(?:^|[.-])(?:staging|stage|stg|preview|dev|qa|uat|sandbox)(?:[.-]|$)")
# Preview deployments: Vercel's <app>-git-<branch>-<team>.vercel.app, Netlify's deploy-preview-*.
_PREVIEW_HOST = re.compile(r".+-git-.+\.vercel\.app|deploy-preview-\d+--.+\.netlify\.app")
_API_HINT = re.compile(r"^api[.-]|[.-]api[.-]|^/(?:api|graphql|v\d+)\b")
_SENTRY_ENV = re.compile(r"""\benvironment["']?\s*:\s*["']([\w.-]{1,40})["']""")


def live_mode(expect: BuildExpect, *, protected: bool) -> bool:
    """Whether test-mode keys are wrong here: declared live, or protected and not declared."""
    return expect.stripe_mode == "live" or (expect.stripe_mode is None and protected)


def dev_markers(text: str) -> Iterator[str]:
    """The development-build markers found in ``text``."""
    for name, pattern in _DEV_MARKERS:
        if pattern.search(text):
            yield name


def _jwt_ref(payload: str) -> str | None:
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(claims, dict) or claims.get("iss") != "supabase":
        return None
    ref = claims.get("ref")
    return ref if isinstance(ref, str) else None


def _supabase_refs(text: str) -> Iterator[str]:
    if "supabase" not in text:
        return
    yield from (m.group(1) for m in _SUPABASE_URL.finditer(text))
    for match in _JWT.finditer(text):
        ref = _jwt_ref(match.group(1))
        if ref:
            yield ref


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _staging_reason(url: str, expect: BuildExpect, *, local_site: bool) -> str | None:
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:  # "http://[::1" and the like: not a URL a build would call
        return None
    # A site served from a local host is a local deployment: local URLs are its own.
    if _LOCAL_HOSTS.fullmatch(host) and not local_site:
        return "a local host"
    if _PREVIEW_HOST.fullmatch(host):
        return "a preview deployment"
    # The last label is the TLD: react.dev is not a development host.
    if _STAGING_LABEL.search(host.rpartition(".")[0]):
        return "a staging host"
    allowed = expect.api_origins
    looks_api = _API_HINT.search(host) or _API_HINT.search(parts.path or "")
    if allowed and looks_api and _origin(url) not in allowed:
        return f"not in api_origins ({', '.join(allowed)})"
    return None


def _urls(assets: Iterable[Asset]) -> Iterator[tuple[Asset, str]]:
    for asset in assets:
        if "://" in asset.text:
            for match in _URL_LITERAL.finditer(asset.text):
                yield asset, match.group(1)


def evaluate(assets: list[Asset], expect: BuildExpect, *, site: str) -> list[Finding]:
    """Findings over the public assets of ``site`` (its origin: calls to itself are fine)."""
    findings: list[Finding] = []
    seen: set[tuple[str, str]] = set()

    def once(key: tuple[str, str]) -> bool:
        fresh = key not in seen
        seen.add(key)
        return fresh

    own = _origin(site)
    local_site = bool(_LOCAL_HOSTS.fullmatch((urlsplit(site).hostname or "").lower()))
    for asset in assets:
        for marker in dev_markers(asset.text):
            if once(("dev", marker)):
                findings.append(DEV_BUILD(f"{marker} in {asset.url}", url=asset.url))
        if expect.supabase_ref:
            for ref in _supabase_refs(asset.text):
                if ref != expect.supabase_ref and once(("supabase", ref)):
                    findings.append(
                        FOREIGN_PROJECT(
                            f"Supabase project {mask(ref)} in {asset.url}, expected "
                            f"{expect.supabase_ref}",
                            url=asset.url,
                        )
                    )
        wanted = expect.sentry_environment
        if wanted and "sentry" in asset.text.lower():
            for match in _SENTRY_ENV.finditer(asset.text):
                value = match.group(1)
                if value != wanted and once(("sentry", value)):
                    findings.append(
                        SENTRY_ENVIRONMENT(
                            f'environment: "{value}" in {asset.url}, expected "{wanted}"',
                            url=asset.url,
                        )
                    )
    for asset, url in _urls(assets):
        if _origin(url) == own:
            continue
        reason = _staging_reason(url, expect, local_site=local_site)
        if reason and once(("origin", _origin(url))):
            findings.append(
                STAGING_ORIGIN(f"{_origin(url)} ({reason}) in {asset.url}", url=asset.url)
            )
    return findings
