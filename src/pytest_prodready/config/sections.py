"""Configuration sections: one frozen dataclass per table, and its parser.

Each parser takes a :class:`~pytest_prodready._table.Table` and raises its one-paragraph
``pytest.UsageError`` for any mistake; :mod:`pytest_prodready.config` assembles them.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from urllib.parse import urlsplit

from pytest_prodready.config._table import Scalar, Table
from pytest_prodready.config.bundle import BuildExpect, parse_build_expect
from pytest_prodready.core.verdict import Acceptance


@dataclass(frozen=True)
class PageSpec:
    """A page that must answer: its status, an optional text marker and a TTFB budget."""

    path: str
    status: int = 200
    contains: str | None = None
    max_ttfb_ms: float | None = None
    # Kept out of search on purpose (a thank-you page, a search results page): the SEO
    # suite neither reports its noindex nor judges its title and description.
    noindex: bool = False


@dataclass(frozen=True)
class HealthEndpoint:
    """A health endpoint and what a healthy answer looks like."""

    path: str = "/api/health"
    expect_status: int = 200
    json: Mapping[str, Scalar] = field(default_factory=lambda: MappingProxyType({}))
    components_ok: tuple[str, ...] | None = None
    components_key: str = "components"
    max_latency_ms: float | None = None


@dataclass(frozen=True)
class ReleaseSpec:
    """Where the deployed release identifies itself, and which release is expected."""

    path: str = "/api/version"
    field: str = "version"
    expect: str | None = None


@dataclass(frozen=True)
class GuardedEndpoint:
    """An endpoint that must refuse an unauthenticated call (webhooks, cron jobs)."""

    path: str
    method: str = "POST"
    expect_status: tuple[int, ...] = (400, 401, 403)


@dataclass(frozen=True)
class Expectations:
    """Thresholds the security checks apply (``[envs.X.expect]``)."""

    hsts_min_age: int = 15_552_000
    cert_warn_days: int = 30
    cert_critical_days: int = 7
    session_cookies: tuple[str, ...] = ()
    cors_allowed_origins: tuple[str, ...] = ()
    max_exposure_requests: int = 40
    # Origins that may frame the pages (a partner's embed): CSP frame-ancestors may allow
    # these and 'self', nothing else.
    framing_origins: tuple[str, ...] = ()
    build: BuildExpect = field(default_factory=BuildExpect)


@dataclass(frozen=True)
class Tier:
    """A client tier whose requests carry a secret token (``[envs.X.tiers.NAME]``)."""

    name: str
    secret: str
    header: str = "Authorization"
    format: str = "Bearer {secret}"


@dataclass(frozen=True)
class RateLimitSpec:
    """A declared limiter policy: ``limit`` requests per ``window_s`` on one endpoint."""

    name: str
    path: str
    limit: int
    window_s: float
    method: str = "POST"
    json: Mapping[str, Scalar] | None = None
    tier: str | None = None
    margin: int = 3
    tolerance: int = 0
    concurrency: int = 1
    safe_on_protected: bool = False
    # How long a test may wait for the limiter to let requests through again (a lockout of
    # 15 minutes is a policy; waiting it out is the team's choice).
    max_reset_wait_s: float = 120.0

    @property
    def cap(self) -> int:
        """Requests a burst may send at most: never more than ``limit + 10``."""
        return self.limit + min(self.margin + self.tolerance, HARD_CAP_OVER_LIMIT)


@dataclass(frozen=True)
class RateLimitProbe:
    """``[envs.X.ratelimit_probe]``: with no policy declared, is any limiter there at all?

    A bounded burst of one safe read (``requests`` GETs in at most ``within_s``; by default
    60 in 10 s, twice the seeds' guest tier) must meet a 429 or a rate-limit header.
    """

    path: str | None = None  # default: the first health endpoint
    requests: int = 60
    within_s: float = 10.0
    enabled: bool = True


HARD_CAP_OVER_LIMIT = 10
MAX_RATE_LIMIT = 1000


DEFAULT_HEALTH = (HealthEndpoint(),)
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def parse_path(t: Table, key: str, default: str, *, required: bool = False) -> str:
    value = t.string(key, required=required)
    if value is None:
        return default
    if not value.startswith("/"):
        raise t.error(key, f"is {value!r}, which is not a path", 'Paths start with "/".')
    return value


def parse_pages(t: Table) -> tuple[PageSpec, ...]:
    """``pages``: paths, or tables with a path and what the page must show, mixed freely."""
    raw = t.data.get("pages")
    if not isinstance(raw, list) or all(isinstance(item, str) for item in raw):
        return tuple(PageSpec(path) for path in t.path_list("pages", ("/",)))
    t.data = {**t.data, "pages": [{"path": p} if isinstance(p, str) else p for p in raw]}
    specs = []
    for item in t.tables("pages") or []:
        specs.append(
            PageSpec(
                path=parse_path(item, "path", "/", required=True),
                status=item.integer("status", 200, minimum=100, maximum=599),
                contains=item.string("contains"),
                max_ttfb_ms=item.optional_number("max_ttfb_ms", maximum=600_000),
                noindex=item.boolean("noindex", False),
            )
        )
        item.finish()
    return tuple(specs)


def parse_health(t: Table) -> tuple[HealthEndpoint, ...]:
    entries = t.tables("endpoints")
    t.finish()
    if entries is None:
        return DEFAULT_HEALTH
    endpoints = []
    for e in entries:
        components_ok = e.string_list("components_ok", ())
        endpoints.append(
            HealthEndpoint(
                path=parse_path(e, "path", "/api/health", required=True),
                expect_status=e.integer("expect_status", 200, minimum=100, maximum=599),
                json=e.scalar_map("json"),
                components_ok=components_ok or None,
                components_key=e.string("components_key") or "components",
                max_latency_ms=e.optional_number("max_latency_ms", maximum=600_000),
            )
        )
        e.finish()
    return tuple(endpoints)


def parse_release(t: Table) -> ReleaseSpec:
    spec = ReleaseSpec(
        path=parse_path(t, "path", "/api/version"),
        field=t.string("field") or "version",
        expect=t.string("expect"),
    )
    t.finish()
    return spec


def parse_guarded(entries: list[Table] | None) -> tuple[GuardedEndpoint, ...]:
    guarded = []
    for e in entries or []:
        guarded.append(
            GuardedEndpoint(
                path=parse_path(e, "path", "/", required=True),
                method=e.choice("method", "POST", HTTP_METHODS),
                expect_status=e.status_list("expect_status", (400, 401, 403)),
            )
        )
        e.finish()
    return tuple(guarded)


def _origins(t: Table, key: str) -> tuple[str, ...]:
    values = t.string_list(key, ())
    for value in values:
        try:
            parts = urlsplit(value)
            origin = parts.scheme in ("http", "https") and bool(parts.hostname)
            origin = origin and parts.path in ("", "/") and not parts.query
        except ValueError:  # "https://[::1"
            origin = False
        if not origin:
            raise t.error(
                key,
                f"has {value!r}, which is not an origin",
                'Write scheme and host (and port if any), e.g. "https://partner.example.com".',
            )
    return tuple(v.rstrip("/").lower() for v in values)


def parse_expect(t: Table) -> Expectations:
    warn = t.integer("cert_warn_days", 30, minimum=1, maximum=365)
    expect = Expectations(
        hsts_min_age=t.integer("hsts_min_age", 15_552_000, minimum=0, maximum=10 * 31_536_000),
        cert_warn_days=warn,
        cert_critical_days=t.integer("cert_critical_days", min(7, warn), minimum=0, maximum=warn),
        session_cookies=t.string_list("session_cookies", ()),
        cors_allowed_origins=t.string_list("cors_allowed_origins", ()),
        max_exposure_requests=t.integer("max_exposure_requests", 40, minimum=1, maximum=200),
        framing_origins=_origins(t, "framing_origins"),
        build=parse_build_expect(t, _origins(t, "api_origins")),
    )
    t.finish()
    return expect


def parse_accept(entries: list[Table] | None, known_ids: Collection[str]) -> tuple[Acceptance, ...]:
    accepted = []
    for e in entries or []:
        finding_id = e.string("id", required=True)
        assert finding_id is not None
        if finding_id not in known_ids:
            close = difflib.get_close_matches(finding_id, known_ids, n=3, cutoff=0.8)
            hint = f"Did you mean {', '.join(close)}?" if close else "See docs/findings.md."
            raise e.error("id", f"is {finding_id!r}, which is not a finding id", hint)
        reason = e.string("reason", required=True)
        accepted.append(
            Acceptance(
                id=finding_id,
                reason=reason or "",
                until=e.day("until"),
                path=parse_path(e, "path", "") or None,
            )
        )
        e.finish()
    return tuple(accepted)


def parse_tiers(t: Table, secrets: Mapping[str, str]) -> Mapping[str, Tier]:
    tiers = {}
    for name in list(t.data):
        e = t.table(name)
        secret = e.string("secret", required=True) or ""
        if secret not in secrets:
            raise e.error(
                "secret",
                f"names {secret!r}, which is not one of this environment's secrets",
                f'Declare it: secrets = {{ {secret} = "ENV_VAR" }}.',
            )
        fmt = e.string("format") or "Bearer {secret}"
        if "{secret}" not in fmt:
            raise e.error(
                "format", f"is {fmt!r}", 'It must contain {secret}, e.g. "Bearer {secret}".'
            )
        tiers[name] = Tier(name, secret, header=e.string("header") or "Authorization", format=fmt)
        e.finish()
    t.finish()
    return MappingProxyType(tiers)


def parse_ratelimit_probe(t: Table) -> RateLimitProbe:
    probe = RateLimitProbe(
        path=parse_path(t, "path", "") or None,
        requests=t.integer("requests", 60, minimum=1, maximum=MAX_RATE_LIMIT),
        within_s=t.number("within_s", 10.0, minimum=0, maximum=300),
        enabled=t.boolean("enabled", True),
    )
    t.finish()
    return probe


def parse_rate_limits(
    entries: list[Table] | None, tiers: Mapping[str, Tier], secrets: Mapping[str, str]
) -> tuple[RateLimitSpec, ...]:
    specs = []
    for e in entries or []:
        limit = e.integer("limit", 0, minimum=1, maximum=MAX_RATE_LIMIT)
        if "limit" not in e.data:
            raise e.missing("limit", "Declare the policy, e.g. limit = 5.")
        tier = e.string("tier")
        if tier is not None and tier not in tiers:
            known = ", ".join(tiers) or "none declared"
            raise e.error(
                "tier",
                f"is {tier!r}, which is not a declared tier ({known})",
                'Add [envs.NAME.tiers.TIER] with secret = "logical_name".',
            )
        json_body = e.scalar_map("json") if "json" in e.data else None
        specs.append(
            RateLimitSpec(
                name=e.string("name", required=True) or "",
                path=parse_path(e, "path", "/", required=True),
                limit=limit,
                window_s=e.number("window_s", 60.0, minimum=0, maximum=86_400),
                method=e.choice("method", "POST", HTTP_METHODS),
                json=json_body,
                tier=tier,
                margin=e.integer("margin", 3, minimum=1, maximum=HARD_CAP_OVER_LIMIT),
                tolerance=e.integer("tolerance", 0, minimum=0, maximum=HARD_CAP_OVER_LIMIT - 1),
                concurrency=e.integer("concurrency", 1, minimum=1, maximum=8),
                safe_on_protected=e.boolean("safe_on_protected", False),
                max_reset_wait_s=e.number("max_reset_wait_s", 120.0, minimum=0, maximum=3600),
            )
        )
        e.finish()
    return tuple(specs)
