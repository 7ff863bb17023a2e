"""``[envs.X.contract]``: which schemathesis checks, how many examples, which operations.

Same rules as :mod:`pytest_prodready.config.sections`: a frozen dataclass per table, a parser per
dataclass, every mistake a one-paragraph ``pytest.UsageError``.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from pytest_prodready.config._table import Table

__all__ = ["CONTRACT_CHECKS", "ContractSpec", "parse_contract"]

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
# A document decides how many operations it has: the run's length is the config's decision.
DEFAULT_MAX_OPERATIONS = 500
DEFAULT_MAX_TIME_S = 600.0
ORIGIN = re.compile(r"^https?://[^/?#@\s]+$")


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
    # Origins whose documents a $ref may name (fetched by us, inlined); none by default.
    allow_ref_origins: tuple[str, ...] = ()
    max_operations: int = DEFAULT_MAX_OPERATIONS
    max_time_s: float = DEFAULT_MAX_TIME_S


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
    origins = t.string_list("allow_ref_origins", ())
    for value in origins:
        if not ORIGIN.match(value):
            raise t.error(
                "allow_ref_origins",
                f"has {value!r}, which is not an origin",
                'Write scheme and host (and port), no path: "https://schemas.example.com".',
            )
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
        allow_ref_origins=origins,
        max_operations=t.integer(
            "max_operations", DEFAULT_MAX_OPERATIONS, minimum=1, maximum=100_000
        ),
        max_time_s=t.number("max_time_s", DEFAULT_MAX_TIME_S, minimum=0, maximum=86_400),
    )
    t.finish()
    return spec
