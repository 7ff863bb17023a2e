"""Configuration of the heavier suites: API contracts, load, browser flows and web vitals.

Same rules as :mod:`pytest_prodready.config.sections`: a frozen dataclass per table, a parser per
dataclass, every mistake a one-paragraph ``pytest.UsageError``.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from pytest_prodready.config._table import Table

__all__ = [
    "CONTRACT_CHECKS",
    "DEFAULT_ERROR_RATE",
    "ContractSpec",
    "LoadSpec",
    "LoginFlow",
    "Slo",
    "Vitals",
    "parse_contract",
    "parse_load",
    "parse_login",
    "parse_vitals",
]

# schemathesis 4 check names (a test keeps this list in step with schemathesis itself).
CONTRACT_CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "missing_required_header",
    "unsupported_method",
    "use_after_free",
    "ensure_resource_availability",
    "ignored_auth",
    "max_response_time",
)
DEFAULT_CONTRACT_CHECKS = CONTRACT_CHECKS[:5]
RATE = re.compile(r"^\d+/(s|m|h)$")
MAX_USERS = 10_000
MAX_DURATION_S = 3_600.0


@dataclass(frozen=True)
class ContractSpec:
    """``[envs.X.contract]``: how schemathesis exercises the OpenAPI document."""

    checks: tuple[str, ...] = DEFAULT_CONTRACT_CHECKS
    exclude_checks: tuple[str, ...] = ()
    max_examples: int = 20
    seed: int | None = None
    request_timeout_s: float | None = None
    rate_limit: str | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    stateful: bool = False
    headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


DEFAULT_ERROR_RATE = 0.01


@dataclass(frozen=True)
class Slo:
    """Service-level objectives, judged at the end of a load run (k6-threshold style)."""

    p95_ms: float | None = None
    p99_ms: float | None = None
    error_rate: float | None = None
    min_rps: float | None = None


@dataclass(frozen=True)
class LoadSpec:
    """``[envs.X.load]``: a locust run and the SLOs it must meet."""

    locustfile: Path
    users: int = 10
    spawn_rate: float = 10.0
    duration_s: float = 10.0
    processes: int = 1
    workers: int = 0
    slo: Slo = field(default_factory=Slo)
    requests: Mapping[str, Slo] = field(default_factory=lambda: MappingProxyType({}))
    max_users: int | None = None
    max_duration_s: float | None = None


@dataclass(frozen=True)
class LoginFlow:
    """``[envs.X.flows.login]``: a config-driven login, so the common case needs no code."""

    password_secret: str
    path: str = "/login"
    username: str | None = None
    username_secret: str | None = None
    username_selector: str = "#username"
    password_selector: str = "#password"
    submit_selector: str = "button[type=submit]"
    success_url: str | None = None
    success_selector: str | None = None
    logout_selector: str | None = None
    session_cookie: str | None = None


@dataclass(frozen=True)
class Vitals:
    """``[envs.X.vitals]``: web-vital budgets (defaults from the users' checklists)."""

    lcp_ms: float = 2500.0
    cls: float = 0.1
    fcp_ms: float = 1800.0
    ttfb_ms: float = 800.0
    # None: by the run's selection (browser_vitals.runs_for): 1 for smoke, 3 otherwise.
    runs: int | None = None


def _secret_name(t: Table, key: str, secrets: Mapping[str, str], *, required: bool) -> str | None:
    name = t.string(key, required=required)
    if name is not None and name not in secrets:
        declared = ", ".join(sorted(secrets)) or "none"
        raise t.error(
            key,
            f"names secret {name!r}, which this environment does not declare ({declared})",
            f'Declare it: secrets = {{ {name} = "ENV_VAR" }}.',
        )
    return name


def parse_contract(t: Table, secrets: Mapping[str, str]) -> ContractSpec:
    def checks(key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        values = t.string_list(key, default)
        for name in values:
            if name not in CONTRACT_CHECKS:
                raise t.error(
                    key,
                    f"has {name!r}, which is not a check",
                    f"Valid: {', '.join(CONTRACT_CHECKS)}.",
                )
        return values

    rate = t.string("rate_limit")
    if rate is not None and not RATE.match(rate):
        raise t.error(
            "rate_limit", f"is {rate!r}", 'Write requests per unit, e.g. "10/s", "600/m".'
        )
    headers = t.name_map("headers")
    for header, template in headers.items():
        for _, name, _, _ in string.Formatter().parse(template):
            if name is not None and name not in secrets:
                raise t.error(
                    "headers",
                    f"value of {header} refers to {{{name}}}, which is not a declared secret",
                    'Use a logical secret name: "Bearer {api_token}".',
                )
    timeout = t.optional_number("request_timeout_s", maximum=300)
    spec = ContractSpec(
        checks=checks("checks", DEFAULT_CONTRACT_CHECKS),
        exclude_checks=checks("exclude_checks", ()),
        max_examples=t.integer("max_examples", 20, minimum=1, maximum=10_000),
        seed=t.integer("seed", 0, minimum=0, maximum=2**63 - 1) if "seed" in t.data else None,
        request_timeout_s=timeout or None,
        rate_limit=rate,
        include=t.string_list("include", ()),
        exclude=t.string_list("exclude", ()),
        stateful=t.boolean("stateful", False),
        headers=headers,
    )
    t.finish()
    return spec


def _slo(t: Table, *, default_error_rate: float | None = None) -> Slo:
    error_rate = t.ratio("error_rate")
    return Slo(
        p95_ms=t.optional_number("p95_ms", maximum=600_000),
        p99_ms=t.optional_number("p99_ms", maximum=600_000),
        error_rate=default_error_rate if error_rate is None else error_rate,
        min_rps=t.optional_number("min_rps", maximum=1_000_000),
    )


# Where the package keeps its locustfiles when installed from a wheel (pyproject force-include).
SHIPPED_LOCUSTFILES = Path(__file__).resolve().parents[1] / "locustfiles"


def _locustfile(value: str, base: Path) -> Path:
    """``value`` relative to the config file; a ``locustfiles/NAME`` the project lacks is the
    one shipped with the package, so an installed package works without copying them."""
    local = (base / value).resolve()
    shipped = SHIPPED_LOCUSTFILES / Path(value).name
    if not local.is_file() and Path(value).parent == Path("locustfiles") and shipped.is_file():
        return shipped
    return local


def parse_load(t: Table, *, base: Path, protected: bool) -> LoadSpec | None:
    if not t.data:
        t.finish()
        return None
    locustfile = _locustfile(t.string("locustfile") or "locustfiles/smoke.py", base)
    if not locustfile.is_file():
        shipped = ", ".join(
            sorted(f"locustfiles/{p.name}" for p in SHIPPED_LOCUSTFILES.glob("*.py"))
        )
        raise t.error(
            "locustfile",
            f"points at {locustfile}, which does not exist",
            f"Fix the path (relative to the config file), or name one that ships with the "
            f"package: {shipped or 'locustfiles/smoke.py, locustfiles/api_read.py'}.",
        )
    max_users = (
        t.integer("max_users", 0, minimum=1, maximum=MAX_USERS) if "max_users" in t.data else None
    )
    max_duration = t.optional_number("max_duration_s", maximum=MAX_DURATION_S)
    users = t.integer("users", 10, minimum=1, maximum=MAX_USERS)
    duration = t.number("duration_s", 10.0, minimum=0, maximum=MAX_DURATION_S)
    if protected and (max_users is None or max_duration is None):
        raise t.error(
            "max_users",
            "and max_duration_s must both be set on a protected environment",
            "Declare the most load this environment may ever take, e.g. max_users = 20, "
            "max_duration_s = 60.",
        )
    if max_users is not None and users > max_users:
        raise t.error("users", f"is {users}, above max_users = {max_users}", "Lower users.")
    if max_duration is not None and duration > max_duration:
        raise t.error(
            "duration_s", f"is {duration:g}, above max_duration_s = {max_duration:g}", "Shorten it."
        )
    requests_table = t.table("requests")
    per_request = {}
    for name in list(requests_table.data):
        entry = requests_table.table(name)
        per_request[name] = _slo(entry)
        entry.finish()
    requests_table.finish()
    spec = LoadSpec(
        locustfile=locustfile,
        users=users,
        spawn_rate=t.number("spawn_rate", 10.0, minimum=0, maximum=10_000),
        duration_s=duration,
        processes=t.integer("processes", 1, minimum=1, maximum=64),
        workers=t.integer("workers", 0, minimum=0, maximum=64),
        # A run where every request failed must not pass because no one set an error budget.
        slo=_slo(t, default_error_rate=DEFAULT_ERROR_RATE),
        requests=MappingProxyType(per_request),
        max_users=max_users,
        max_duration_s=max_duration,
    )
    t.finish()
    return spec


def parse_login(t: Table, secrets: Mapping[str, str]) -> LoginFlow | None:
    if not t.data:
        t.finish()
        return None
    password_secret = _secret_name(t, "password_secret", secrets, required=True) or ""
    username_secret = _secret_name(t, "username_secret", secrets, required=False)
    username = t.string("username")
    if (username is None) == (username_secret is None):
        raise t.error(
            "username",
            "and username_secret: exactly one must be set",
            'Use username = "probe@example.com", or username_secret = "admin_user".',
        )
    flow = LoginFlow(
        password_secret=password_secret,
        path=t.string("path") or "/login",
        username=username,
        username_secret=username_secret,
        username_selector=t.string("username_selector") or "#username",
        password_selector=t.string("password_selector") or "#password",
        submit_selector=t.string("submit_selector") or "button[type=submit]",
        success_url=t.string("success_url"),
        success_selector=t.string("success_selector"),
        logout_selector=t.string("logout_selector"),
        session_cookie=t.string("session_cookie"),
    )
    if flow.success_url is None and flow.success_selector is None:
        raise t.error(
            "success_url",
            "or success_selector must say how a successful login is recognised",
            'Use success_url = "/dashboard" or success_selector = "#welcome".',
        )
    t.finish()
    return flow


def parse_vitals(t: Table) -> Vitals:
    vitals = Vitals(
        lcp_ms=t.number("lcp_ms", 2500.0, minimum=0, maximum=600_000),
        cls=t.number("cls", 0.1, minimum=0, maximum=10),
        fcp_ms=t.number("fcp_ms", 1800.0, minimum=0, maximum=600_000),
        ttfb_ms=t.number("ttfb_ms", 800.0, minimum=0, maximum=600_000),
        runs=t.integer("runs", 1, minimum=1, maximum=20) if "runs" in t.data else None,
    )
    t.finish()
    return vitals
