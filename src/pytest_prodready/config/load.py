"""``[envs.X.load]``: the locustfile, users, duration, caps and SLOs.

Same rules as :mod:`pytest_prodready.config.sections`: a frozen dataclass per table, a parser per
dataclass, every mistake a one-paragraph ``pytest.UsageError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from pytest_prodready.config._table import Table
from pytest_prodready.config.shipped import candidates, shipped_dir

__all__ = ["DEFAULT_ERROR_RATE", "SHIPPED_LOCUSTFILES", "LoadSpec", "Slo", "parse_load"]

MAX_USERS = 10_000
MAX_DURATION_S = 3_600.0
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


def _slo(t: Table, *, default_error_rate: float | None = None) -> Slo:
    error_rate = t.ratio("error_rate")
    return Slo(
        p95_ms=t.optional_number("p95_ms", maximum=600_000),
        p99_ms=t.optional_number("p99_ms", maximum=600_000),
        error_rate=default_error_rate if error_rate is None else error_rate,
        min_rps=t.optional_number("min_rps", maximum=1_000_000),
    )


# The locustfiles that ship with the package: inside it when installed from a wheel, beside
# src/ in an editable install (config/shipped.py). A broken install keeps the wheel's path, so
# the error below can name where they should have been.
SHIPPED_LOCUSTFILES = shipped_dir("locustfiles") or candidates("locustfiles")[0]


def _locustfile(value: str, base: Path) -> Path:
    """``value`` relative to the config file; a ``locustfiles/NAME`` the project lacks is the
    one shipped with the package, so an installed package works without copying them."""
    local = (base / value).resolve()
    shipped = SHIPPED_LOCUSTFILES / Path(value).name
    if not local.is_file() and Path(value).parent == Path("locustfiles") and shipped.is_file():
        return shipped
    return local


def _fix() -> str:
    """How to fix a locustfile that does not exist: the shipped ones, if this install has any."""
    shipped = sorted(f"locustfiles/{p.name}" for p in SHIPPED_LOCUSTFILES.glob("*.py"))
    if shipped:
        return (
            "Fix the path (relative to the config file), or name one that ships with the "
            f"package: {', '.join(shipped)} (kept in {SHIPPED_LOCUSTFILES})."
        )
    looked = " and ".join(str(p) for p in candidates("locustfiles"))
    return (
        "Fix the path (relative to the config file). This installation of pytest-prodready "
        f"has none of the locustfiles it ships (looked in {looked}): reinstall it "
        "(pip install --force-reinstall pytest-prodready) to use them."
    )


def parse_load(t: Table, *, base: Path, protected: bool) -> LoadSpec | None:
    if not t.data:
        t.finish()
        return None
    locustfile = _locustfile(t.string("locustfile") or "locustfiles/smoke.py", base)
    if not locustfile.is_file():
        raise t.error("locustfile", f"points at {locustfile}, which does not exist", _fix())
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
