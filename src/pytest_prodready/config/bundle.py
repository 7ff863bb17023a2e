"""``[envs.X.bundle]``, ``[envs.X.budgets]`` and the build expectations of ``[envs.X.expect]``.

Same rules as :mod:`pytest_prodready.config.sections`: a frozen dataclass per table, a parser per
dataclass, every mistake a one-paragraph ``pytest.UsageError``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pytest_prodready.config._table import Table

__all__ = [
    "Budgets",
    "BuildExpect",
    "BundleLimits",
    "parse_budgets",
    "parse_build_expect",
    "parse_bundle",
]

# A Supabase project ref: 20 lower-case letters (older projects) or letters and digits.
_SUPABASE_REF = re.compile(r"[a-z0-9]{15,40}")


@dataclass(frozen=True)
class BundleLimits:
    """``[envs.X.bundle]``: how much of the public JavaScript a run reads, at most.

    A visitor can load every chunk the pages and the framework's manifests name; these caps
    keep a site with thousands of chunks from turning a smoke run into a download.
    ``vulnerability_data``: a newer retire.js repository file than the shipped snapshot
    (None: the shipped one).
    """

    max_assets: int = 200
    max_bytes_mb: float = 20.0
    vulnerability_data: Path | None = None

    @property
    def max_bytes(self) -> int:
        return int(self.max_bytes_mb * 1_000_000)


@dataclass(frozen=True)
class Budgets:
    """``[envs.X.budgets]``: page weight budgets, transferred bytes from HTTP alone."""

    first_load_js_kb: float = 250.0
    page_weight_kb: float = 1000.0


@dataclass(frozen=True)
class BuildExpect:
    """What the production build must be configured with (``[envs.X.expect]``).

    ``None``/empty: not declared, and not judged (the test-mode key excepted: a protected
    environment counts as live unless ``stripe_mode = "test"`` says otherwise).
    """

    stripe_mode: str | None = None
    supabase_ref: str | None = None
    sentry_environment: str | None = None
    api_origins: tuple[str, ...] = ()


def parse_bundle(t: Table) -> BundleLimits:
    data = t.string("vulnerability_data")
    data_path: Path | None = None
    if data is not None:
        data_path = (t.source.parent / data).expanduser().resolve()
        if not data_path.is_file():
            raise t.error(
                "vulnerability_data",
                f"points at {data_path}, which is not a file",
                "Write one with `python -m pytest_prodready.probes.vulndata --refresh --out "
                "FILE` (needs npm) and give its path, relative to this file; or remove the key "
                "to use the shipped snapshot.",
            )
    limits = BundleLimits(
        max_assets=t.integer("max_assets", 200, minimum=1, maximum=5000),
        max_bytes_mb=t.number("max_bytes_mb", 20.0, minimum=0.1, maximum=1024),
        vulnerability_data=data_path,
    )
    t.finish()
    return limits


def parse_budgets(t: Table) -> Budgets:
    budgets = Budgets(
        first_load_js_kb=t.number("first_load_js_kb", 250.0, minimum=0, maximum=1_000_000),
        page_weight_kb=t.number("page_weight_kb", 1000.0, minimum=0, maximum=1_000_000),
    )
    t.finish()
    return budgets


def parse_build_expect(t: Table, api_origins: tuple[str, ...]) -> BuildExpect:
    """The build keys of ``[envs.X.expect]`` (the caller parses ``api_origins`` as origins and
    finishes the table)."""
    mode = t.string("stripe_mode")
    if mode is not None and mode.lower() not in ("live", "test"):
        raise t.error("stripe_mode", f"is {mode!r}", 'Valid values: "live", "test".')
    ref = t.string("supabase_ref")
    if ref is not None and not _SUPABASE_REF.fullmatch(ref):
        raise t.error(
            "supabase_ref",
            f"is {ref!r}, which is not a Supabase project ref",
            "Use the ref of https://<ref>.supabase.co (Project Settings > General), "
            'e.g. "abcdefghijklmnopqrst".',
        )
    return BuildExpect(
        stripe_mode=mode.lower() if mode else None,
        supabase_ref=ref,
        sentry_environment=t.string("sentry_environment"),
        api_origins=api_origins,
    )
