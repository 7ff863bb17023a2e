"""Configuration: TOML in, frozen dataclasses out. All validation and its messages live here.

Sources, first found wins: ``--prodready-config PATH``, ``PRODREADY_CONFIG``,
``prodready.toml`` at the rootdir, ``[tool.prodready]`` in the rootdir's ``pyproject.toml``.
Every mistake is a :class:`pytest.UsageError` naming the file, the table, the key, what is
wrong and the valid choices: a typo must never be silently ignored.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

import pytest

from pytest_prodready.config._table import Table
from pytest_prodready.config.access import (
    AccessRule,
    Identity,
    SupabaseSpec,
    parse_access,
    parse_identities,
    parse_supabase,
)
from pytest_prodready.config.bundle import Budgets, BundleLimits, parse_budgets, parse_bundle
from pytest_prodready.config.contract import ContractSpec, parse_contract
from pytest_prodready.config.email import EmailSpec, parse_email
from pytest_prodready.config.flows import (
    A11y,
    Interaction,
    LoginFlow,
    Vitals,
    parse_a11y,
    parse_interaction,
    parse_login,
    parse_vitals,
)
from pytest_prodready.config.lighthouse import LighthouseSpec, parse_lighthouse
from pytest_prodready.config.load import LoadSpec, parse_load
from pytest_prodready.config.sections import (
    DEFAULT_HEALTH,
    Expectations,
    GuardedEndpoint,
    HealthEndpoint,
    PageSpec,
    RateLimitProbe,
    RateLimitSpec,
    ReleaseSpec,
    Tier,
    parse_accept,
    parse_expect,
    parse_guarded,
    parse_health,
    parse_pages,
    parse_path,
    parse_rate_limits,
    parse_ratelimit_probe,
    parse_release,
    parse_tiers,
)
from pytest_prodready.config.seo import SeoSpec, parse_seo
from pytest_prodready.core.verdict import Acceptance

__all__ = [
    "EMBEDDED_TARGETS",
    "PROTECTED_NAME_PATTERNS",
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
    "protected_name_pattern",
]

EMBEDDED_TARGETS = ("demo", "demo-broken")
# Names protected unless `protected = false` says otherwise. A prefix counts only when a
# separator or a digit follows it ("prod-eu", "prd_2", "live1"): "product-demo" and
# "prodready" are not production. "main" is the one exact name.
PROTECTED_NAME_PATTERNS = ("prod*", "prd*", "production*", "live*", "main")
_PROTECTED_NAME = re.compile(r"(production|prod|prd|live)(?:[-_.0-9].*)?|main", re.I | re.S)
DEFAULT_TIMEOUT_S = 10.0
MAX_TIMEOUT_S = 300.0


@dataclass(frozen=True)
class Environment:
    """One named deployment: where it lives, how to reach it, what it may be put through."""

    name: str
    base_url: str | None
    api_url: str | None = None
    http_url: str | None = None
    openapi: str | None = None
    protected: bool = False
    # The `protected` key as written (None when absent): it decides over the name, and the
    # report header says which of the two did.
    protected_setting: bool | None = None
    ca_bundle: Path | None = None
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_body_mb: float = 5.0
    # Served over plain HTTP on purpose (a local env): no tls.no-https, no Secure demanded.
    plain_http: bool = False
    pages: tuple[PageSpec, ...] = (PageSpec("/"),)
    secrets: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    embedded: str | None = None
    protected_pages: tuple[str, ...] = ()
    login_path: str = "/login"
    health: tuple[HealthEndpoint, ...] = DEFAULT_HEALTH
    release: ReleaseSpec = field(default_factory=ReleaseSpec)
    guarded_endpoints: tuple[GuardedEndpoint, ...] = ()
    expect: Expectations = field(default_factory=Expectations)
    accept: tuple[Acceptance, ...] = ()
    tiers: Mapping[str, Tier] = field(default_factory=lambda: MappingProxyType({}))
    rate_limits: tuple[RateLimitSpec, ...] = ()
    ratelimit_probe: RateLimitProbe = field(default_factory=RateLimitProbe)
    contract: ContractSpec = field(default_factory=ContractSpec)
    load: LoadSpec | None = None
    login: LoginFlow | None = None
    vitals: Vitals = field(default_factory=Vitals)
    lighthouse: LighthouseSpec = field(default_factory=LighthouseSpec)
    a11y: A11y = field(default_factory=A11y)
    interaction: Interaction | None = None
    email: EmailSpec | None = None
    identities: Mapping[str, Identity] = field(default_factory=lambda: MappingProxyType({}))
    access: tuple[AccessRule, ...] = ()
    supabase: SupabaseSpec | None = None
    bundle: BundleLimits = field(default_factory=BundleLimits)
    budgets: Budgets = field(default_factory=Budgets)
    seo: SeoSpec = field(default_factory=SeoSpec)

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
    browser_executable: Path | None = None

    def where(self, *keys: str) -> str:
        """``[envs.prod]`` style location of a table, for messages."""
        parts = [p for p in (self.table, *keys) if p]
        return f"[{'.'.join(parts)}]" if parts else "top level"


def protected_name_pattern(name: str) -> str | None:
    """The default-protected pattern ``name`` matches (``"prod*"``, ``"main"``), or None."""
    match = _PROTECTED_NAME.fullmatch(name)
    if match is None:
        return None
    return f"{match.group(1).lower()}*" if match.group(1) else "main"


def _flows(t: Table, secrets: Mapping[str, str]) -> LoginFlow | None:
    login = parse_login(t.table("login"), secrets)
    t.finish()
    return login


def _environment(
    source: Path, cfg_table: str, name: str, data: Any, known_ids: Collection[str]
) -> Environment:
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
    setting = t.boolean("protected", False) if "protected" in data else None
    protected = setting if setting is not None else protected_name_pattern(name) is not None
    tiers = parse_tiers(t.table("tiers"), secrets)
    login = _flows(t.table("flows"), secrets)
    identities = parse_identities(t.table("identities"), secrets, login)
    env = Environment(
        name=name,
        base_url=base_url,
        api_url=t.url("api_url"),
        http_url=t.url("http_url", schemes=("http",)),
        openapi=t.string("openapi"),
        protected=protected,
        protected_setting=setting,
        ca_bundle=ca_path,
        timeout_s=t.number("timeout_s", DEFAULT_TIMEOUT_S, minimum=0, maximum=MAX_TIMEOUT_S),
        max_body_mb=t.number("max_body_mb", 5.0, minimum=0, maximum=1024),
        plain_http=t.boolean("plain_http", False),
        pages=parse_pages(t),
        secrets=secrets,
        embedded=embedded,
        protected_pages=t.path_list("protected_pages", ()),
        login_path=parse_path(t, "login_path", "/login"),
        health=parse_health(t.table("health")),
        release=parse_release(t.table("release")),
        guarded_endpoints=parse_guarded(t.tables("guarded_endpoints")),
        expect=parse_expect(t.table("expect")),
        accept=parse_accept(t.tables("accept"), known_ids),
        tiers=tiers,
        rate_limits=parse_rate_limits(t.tables("rate_limits"), tiers, secrets),
        ratelimit_probe=parse_ratelimit_probe(t.table("ratelimit_probe")),
        contract=parse_contract(t.table("contract"), secrets),
        load=parse_load(t.table("load"), base=source.parent, protected=protected),
        login=login,
        vitals=parse_vitals(t.table("vitals")),
        lighthouse=parse_lighthouse(t.table("lighthouse")),
        a11y=parse_a11y(t.table("a11y")),
        interaction=parse_interaction(t.table("interaction")),
        email=parse_email(t.table("email")),
        identities=identities,
        access=parse_access(t.tables("access"), identities),
        supabase=parse_supabase(t.table("supabase"), secrets),
        bundle=parse_bundle(t.table("bundle")),
        budgets=parse_budgets(t.table("budgets")),
        seo=parse_seo(t.table("seo"), protected=protected),
    )
    t.finish()
    return env


def _parse(
    source: Path, table: str, data: Mapping[str, Any], known_ids: Collection[str]
) -> ConfigFile:
    where = f"[{table}]" if table else "top level"
    t = Table(source, where, data)
    default_env = t.string("default_env")
    raw_envs = t._get("envs") or {}
    browser = t.table("browser")
    executable = browser.string("executable")
    browser.finish()
    t.finish()
    if not isinstance(raw_envs, dict):
        raise t.error("envs", "must be a table of environments", "Use [envs.NAME] tables.")
    envs = {
        name: _environment(source, table, name, body, known_ids) for name, body in raw_envs.items()
    }
    if default_env is not None and default_env not in envs:
        raise t.error(
            "default_env",
            f"names {default_env!r}, which is not defined",
            f"Defined environments: {', '.join(envs) or 'none'}.",
        )
    return ConfigFile(
        source,
        table,
        default_env,
        MappingProxyType(envs),
        browser_executable=(source.parent / executable).resolve() if executable else None,
    )


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


def load_config(path: Path, origin: str, *, known_ids: Collection[str]) -> ConfigFile | None:
    """Parse ``path``; a pyproject.toml without ``[tool.prodready]`` yields None.

    ``known_ids`` are the finding ids an ``accept`` entry may name (the catalogue's).
    """
    data = _read_toml(path, origin)
    if path.name == "pyproject.toml":
        tool = data.get("tool", {})
        if "prodready" not in tool:
            return None
        if not isinstance(tool["prodready"], dict):
            raise pytest.UsageError(f"prodready: {path}: [tool.prodready] must be a table.")
        return _parse(path, "tool.prodready", tool["prodready"], known_ids)
    return _parse(path, "", data, known_ids)
