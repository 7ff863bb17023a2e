"""Configuration: TOML in, frozen dataclasses out. All validation and its messages live here.

Sources, first found wins: ``--prodready-config PATH``, ``PRODREADY_CONFIG``,
``prodready.toml`` at the rootdir, ``[tool.prodready]`` in the rootdir's ``pyproject.toml``.
Every mistake is a :class:`pytest.UsageError` naming the file, the table, the key, what is
wrong and the valid choices: a typo must never be silently ignored.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

import pytest

from pytest_prodready._table import Scalar, Table

__all__ = [
    "EMBEDDED_TARGETS",
    "PROTECTED_BY_DEFAULT",
    "Acceptance",
    "ConfigFile",
    "Environment",
    "Expectations",
    "GuardedEndpoint",
    "HealthEndpoint",
    "PageSpec",
    "RateLimitSpec",
    "ReleaseSpec",
    "Tier",
    "find_config",
    "load_config",
]

EMBEDDED_TARGETS = ("demo", "demo-broken")
PROTECTED_BY_DEFAULT = frozenset({"prod", "production", "live"})
DEFAULT_TIMEOUT_S = 10.0
MAX_TIMEOUT_S = 300.0


@dataclass(frozen=True)
class PageSpec:
    """A page that must answer: its status, an optional text marker and a TTFB budget."""

    path: str
    status: int = 200
    contains: str | None = None
    max_ttfb_ms: float | None = None


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


@dataclass(frozen=True)
class Acceptance:
    """A finding the team has decided to live with, for a reason, until a date."""

    id: str
    reason: str
    until: date
    path: str | None = None

    def matches(self, finding_id: str, url: str | None) -> bool:
        if finding_id != self.id:
            return False
        return self.path is None or (url is not None and urlsplit(url).path == self.path)


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

    @property
    def cap(self) -> int:
        """Requests a burst may send at most: never more than ``limit + 10``."""
        return self.limit + min(self.margin + self.tolerance, HARD_CAP_OVER_LIMIT)


HARD_CAP_OVER_LIMIT = 10
MAX_RATE_LIMIT = 1000


DEFAULT_HEALTH = (HealthEndpoint(),)
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


@dataclass(frozen=True)
class Environment:
    """One named deployment: where it lives, how to reach it, what it may be put through."""

    name: str
    base_url: str | None
    api_url: str | None = None
    http_url: str | None = None
    openapi: str | None = None
    protected: bool = False
    ca_bundle: Path | None = None
    timeout_s: float = DEFAULT_TIMEOUT_S
    pages: tuple[PageSpec, ...] = (PageSpec("/"),)
    secrets: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    embedded: str | None = None
    protected_pages: tuple[str, ...] = ()
    login_path: str = "/login"
    health: tuple[HealthEndpoint, ...] = DEFAULT_HEALTH
    release: ReleaseSpec = ReleaseSpec()
    guarded_endpoints: tuple[GuardedEndpoint, ...] = ()
    expect: Expectations = Expectations()
    accept: tuple[Acceptance, ...] = ()
    tiers: Mapping[str, Tier] = field(default_factory=lambda: MappingProxyType({}))
    rate_limits: tuple[RateLimitSpec, ...] = ()

    @property
    def page_paths(self) -> tuple[str, ...]:
        return tuple(page.path for page in self.pages)

    @property
    def host(self) -> str | None:
        """The base URL's host name, lower-cased (None until an embedded target starts)."""
        return urlsplit(self.base_url).hostname if self.base_url else None


@dataclass(frozen=True)
class ConfigFile:
    """A parsed configuration file: its path, default environment and environments."""

    path: Path
    table: str  # "" for prodready.toml, "tool.prodready" for pyproject.toml
    default_env: str | None
    envs: Mapping[str, Environment]

    def where(self, *keys: str) -> str:
        """``[envs.prod]`` style location of a table, for messages."""
        parts = [p for p in (self.table, *keys) if p]
        return f"[{'.'.join(parts)}]" if parts else "top level"


def _path(t: Table, key: str, default: str, *, required: bool = False) -> str:
    value = t.string(key, required=required)
    if value is None:
        return default
    if not value.startswith("/"):
        raise t.error(key, f"is {value!r}, which is not a path", 'Paths start with "/".')
    return value


def _pages(t: Table) -> tuple[PageSpec, ...]:
    """``pages``: paths, or tables with a path and what the page must show, mixed freely."""
    raw = t.data.get("pages")
    if not isinstance(raw, list) or all(isinstance(item, str) for item in raw):
        return tuple(PageSpec(path) for path in t.path_list("pages", ("/",)))
    t.data = {**t.data, "pages": [{"path": p} if isinstance(p, str) else p for p in raw]}
    specs = []
    for item in t.tables("pages") or []:
        specs.append(
            PageSpec(
                path=_path(item, "path", "/", required=True),
                status=item.integer("status", 200, minimum=100, maximum=599),
                contains=item.string("contains"),
                max_ttfb_ms=item.optional_number("max_ttfb_ms", maximum=600_000),
            )
        )
        item.finish()
    return tuple(specs)


def _health(t: Table) -> tuple[HealthEndpoint, ...]:
    entries = t.tables("endpoints")
    t.finish()
    if entries is None:
        return DEFAULT_HEALTH
    endpoints = []
    for e in entries:
        components_ok = e.string_list("components_ok", ())
        endpoints.append(
            HealthEndpoint(
                path=_path(e, "path", "/api/health", required=True),
                expect_status=e.integer("expect_status", 200, minimum=100, maximum=599),
                json=e.scalar_map("json"),
                components_ok=components_ok or None,
                components_key=e.string("components_key") or "components",
                max_latency_ms=e.optional_number("max_latency_ms", maximum=600_000),
            )
        )
        e.finish()
    return tuple(endpoints)


def _release(t: Table) -> ReleaseSpec:
    spec = ReleaseSpec(
        path=_path(t, "path", "/api/version"),
        field=t.string("field") or "version",
        expect=t.string("expect"),
    )
    t.finish()
    return spec


def _guarded(entries: list[Table] | None) -> tuple[GuardedEndpoint, ...]:
    guarded = []
    for e in entries or []:
        guarded.append(
            GuardedEndpoint(
                path=_path(e, "path", "/", required=True),
                method=e.choice("method", "POST", HTTP_METHODS),
                expect_status=e.status_list("expect_status", (400, 401, 403)),
            )
        )
        e.finish()
    return tuple(guarded)


def _expect(t: Table) -> Expectations:
    warn = t.integer("cert_warn_days", 30, minimum=1, maximum=365)
    expect = Expectations(
        hsts_min_age=t.integer("hsts_min_age", 15_552_000, minimum=0, maximum=10 * 31_536_000),
        cert_warn_days=warn,
        cert_critical_days=t.integer("cert_critical_days", min(7, warn), minimum=0, maximum=warn),
        session_cookies=t.string_list("session_cookies", ()),
        cors_allowed_origins=t.string_list("cors_allowed_origins", ()),
        max_exposure_requests=t.integer("max_exposure_requests", 40, minimum=1, maximum=200),
    )
    t.finish()
    return expect


def _accept(entries: list[Table] | None) -> tuple[Acceptance, ...]:
    from pytest_prodready.findings import catalogue

    accepted = []
    for e in entries or []:
        finding_id = e.string("id", required=True)
        assert finding_id is not None
        known = catalogue()
        if finding_id not in known:
            close = difflib.get_close_matches(finding_id, known, n=3, cutoff=0.8)
            hint = f"Did you mean {', '.join(close)}?" if close else "See the README's catalogue."
            raise e.error("id", f"is {finding_id!r}, which is not a finding id", hint)
        reason = e.string("reason", required=True)
        accepted.append(
            Acceptance(
                id=finding_id,
                reason=reason or "",
                until=e.day("until"),
                path=_path(e, "path", "") or None,
            )
        )
        e.finish()
    return tuple(accepted)


def _tiers(t: Table, secrets: Mapping[str, str]) -> Mapping[str, Tier]:
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


def _rate_limits(
    entries: list[Table] | None, tiers: Mapping[str, Tier], secrets: Mapping[str, str]
) -> tuple[RateLimitSpec, ...]:
    specs = []
    for e in entries or []:
        limit = e.integer("limit", 0, minimum=1, maximum=MAX_RATE_LIMIT)
        if "limit" not in e.data:
            raise e.error("limit", "is missing", "Declare the policy, e.g. limit = 5.")
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
                path=_path(e, "path", "/", required=True),
                limit=limit,
                window_s=e.number("window_s", 60.0, minimum=0, maximum=86_400),
                method=e.choice("method", "POST", HTTP_METHODS),
                json=json_body,
                tier=tier,
                margin=e.integer("margin", 3, minimum=1, maximum=HARD_CAP_OVER_LIMIT),
                tolerance=e.integer("tolerance", 0, minimum=0, maximum=HARD_CAP_OVER_LIMIT - 1),
                concurrency=e.integer("concurrency", 1, minimum=1, maximum=8),
                safe_on_protected=e.boolean("safe_on_protected", False),
            )
        )
        e.finish()
    return tuple(specs)


def _environment(source: Path, cfg_table: str, name: str, data: Any) -> Environment:
    where = f"[{'.'.join(p for p in (cfg_table, 'envs', name) if p)}]"
    if not isinstance(data, dict):
        raise pytest.UsageError(
            f"prodready: {source}: {where} must be a table, got {data!r}. "
            f'Write it as [envs.{name}] with base_url = "https://..." below.'
        )
    t = Table(source, where, data)
    embedded = t.string("embedded")
    if embedded is not None and embedded not in EMBEDDED_TARGETS:
        raise t.error(
            "embedded",
            f"is {embedded!r}, which is not an embedded target",
            f"Valid values: {', '.join(EMBEDDED_TARGETS)}.",
        )
    base_url = t.url("base_url", required=embedded is None)
    if embedded is not None and base_url is not None:
        raise t.error(
            "base_url",
            f"cannot be set on an embedded target ({embedded} picks its own port)",
            "Remove base_url, or remove embedded to test a deployed app.",
        )
    ca_bundle = t.string("ca_bundle")
    ca_path: Path | None = None
    if ca_bundle is not None:
        ca_path = (source.parent / ca_bundle).resolve()
        if not ca_path.is_file():
            raise t.error(
                "ca_bundle", f"points at {ca_path}, which does not exist", "Fix the path."
            )
    secrets = t.name_map("secrets")
    tiers = _tiers(t.table("tiers"), secrets)
    env = Environment(
        name=name,
        base_url=base_url,
        api_url=t.url("api_url"),
        http_url=t.url("http_url", schemes=("http",)),
        openapi=t.string("openapi"),
        protected=t.boolean("protected", name.lower() in PROTECTED_BY_DEFAULT),
        ca_bundle=ca_path,
        timeout_s=t.number("timeout_s", DEFAULT_TIMEOUT_S, minimum=0, maximum=MAX_TIMEOUT_S),
        pages=_pages(t),
        secrets=secrets,
        embedded=embedded,
        protected_pages=t.path_list("protected_pages", ()),
        login_path=_path(t, "login_path", "/login"),
        health=_health(t.table("health")),
        release=_release(t.table("release")),
        guarded_endpoints=_guarded(t.tables("guarded_endpoints")),
        expect=_expect(t.table("expect")),
        accept=_accept(t.tables("accept")),
        tiers=tiers,
        rate_limits=_rate_limits(t.tables("rate_limits"), tiers, secrets),
    )
    t.finish()
    return env


def _parse(source: Path, table: str, data: Mapping[str, Any]) -> ConfigFile:
    where = f"[{table}]" if table else "top level"
    t = Table(source, where, data)
    default_env = t.string("default_env")
    raw_envs = t._get("envs") or {}
    t.finish()
    if not isinstance(raw_envs, dict):
        raise t.error("envs", "must be a table of environments", "Use [envs.NAME] tables.")
    envs = {name: _environment(source, table, name, body) for name, body in raw_envs.items()}
    if default_env is not None and default_env not in envs:
        raise t.error(
            "default_env",
            f"names {default_env!r}, which is not defined",
            f"Defined environments: {', '.join(envs) or 'none'}.",
        )
    return ConfigFile(source, table, default_env, MappingProxyType(envs))


def _read_toml(path: Path, origin: str) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise pytest.UsageError(
            f"prodready: the configuration file {path} ({origin}) does not exist. "
            "Fix the path, or remove the setting to use prodready.toml at the rootdir."
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise pytest.UsageError(
            f"prodready: cannot read the configuration file {path} ({origin}): {exc}."
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise pytest.UsageError(
            f"prodready: {path} is not valid TOML: {exc}. Fix the syntax there "
            "(strings need quotes, tables are [envs.NAME])."
        ) from None


def find_config(rootdir: Path, explicit: str | None, origin: str) -> tuple[Path, str] | None:
    """Locate the configuration: (path, table) or None when the project has none."""
    if explicit:
        return Path(explicit).expanduser().resolve(), origin
    candidate = rootdir / "prodready.toml"
    if candidate.is_file():
        return candidate, "prodready.toml at the rootdir"
    pyproject = rootdir / "pyproject.toml"
    if pyproject.is_file() and "prodready" in pyproject.read_text(encoding="utf-8"):
        return pyproject, "[tool.prodready] in pyproject.toml"
    return None


def load_config(path: Path, origin: str) -> ConfigFile | None:
    """Parse ``path``; a pyproject.toml without ``[tool.prodready]`` yields None."""
    data = _read_toml(path, origin)
    if path.name == "pyproject.toml":
        tool = data.get("tool", {})
        if "prodready" not in tool:
            return None
        if not isinstance(tool["prodready"], dict):
            raise pytest.UsageError(f"prodready: {path}: [tool.prodready] must be a table.")
        return _parse(path, "tool.prodready", tool["prodready"])
    return _parse(path, "", data)
