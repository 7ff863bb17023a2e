"""API contracts, the pure part of the setup: where the schema is, which operations run, the
read-only policy, and the schemathesis configuration built from ``[envs.X.contract]``.

No I/O here (one ``is_file`` aside), so every rule is unit-tested on plain values. The same
configuration dictionary drives our engine run and, written as ``schemathesis.toml``, the
``schemathesis run`` CLI in the benchmark: both test exactly the same thing.
"""

from __future__ import annotations

import random
import string
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from pytest_prodready.config.contract import ContractSpec

__all__ = [
    "OPERATION_PHASES",
    "SAFE_METHODS",
    "STATEFUL_PHASES",
    "Operation",
    "SchemaSource",
    "enabled_checks",
    "engine_settings",
    "origin_of",
    "refusal",
    "schema_source",
    "selected",
    "sends_unsafe",
    "shell_value",
]

# RFC 9110 safe methods minus TRACE (it echoes the request, credentials included).
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
METHOD_OVERRIDE_HEADERS = frozenset(
    {"x-http-method-override", "x-http-method", "x-method-override"}
)
METHOD_OVERRIDE_PARAMS = frozenset({"_method", "x-http-method-override"})
OPERATION_PHASES = ("examples", "coverage", "fuzzing")
STATEFUL_PHASES = ("stateful",)
_ALL_PHASES = (*OPERATION_PHASES, *STATEFUL_PHASES)
# schemathesis keeps failing examples in a Hypothesis database under the working directory;
# a production check leaves no state behind (the seed makes a run reproducible instead).
_IN_MEMORY = ":memory:"


@dataclass(frozen=True)
class Operation:
    """One API operation of the schema: what a contract test is about."""

    method: str
    path: str
    operation_id: str | None = None

    @property
    def label(self) -> str:
        """``GET /api/items``: schemathesis's name for it, and the test id."""
        return f"{self.method} {self.path}"

    @property
    def safe(self) -> bool:
        return self.method in SAFE_METHODS

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True)
class SchemaSource:
    """Where the OpenAPI document comes from: a URL, or a file on disk."""

    url: str | None = None
    path: Path | None = None

    def __str__(self) -> str:
        return self.url if self.url is not None else str(self.path)


def refusal(
    method: str, url: str, header_names: Collection[str], *, body: bool, read_only: bool
) -> str | None:
    """Why a request schemathesis is about to send must not leave, or None.

    On a protected environment only GET, HEAD and OPTIONS leave, without a body and without
    asking the server to treat them as another method: frameworks honour
    ``X-HTTP-Method-Override: DELETE`` and ``?_method=DELETE`` (Rails, Laravel, Express's
    method-override), which would turn a read into a write.
    """
    if not read_only:
        return None
    if method not in SAFE_METHODS:
        return "only GET, HEAD and OPTIONS may be sent"
    overrides = sorted(METHOD_OVERRIDE_HEADERS & {name.lower() for name in header_names})
    if overrides:
        return f"it carries {overrides[0]}, which asks the server for another method"
    try:
        params = {name.lower() for name, _ in parse_qsl(urlsplit(url).query, True)}
    except ValueError:
        params = set()
    if params & METHOD_OVERRIDE_PARAMS:
        return f"its query has {sorted(params & METHOD_OVERRIDE_PARAMS)[0]}, another method"
    if body:
        return f"{method} with a body is refused: the server may read it as a write"
    return None


def origin_of(url: str) -> str:
    """``https://host:port`` of ``url``."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


def schema_source(openapi: str, api_url: str, config_dir: Path) -> SchemaSource:
    """Resolve the env's ``openapi`` value.

    An ``http(s)://`` URL is taken as is; an existing file (relative to the configuration
    file) is read from disk; anything else is a URL path: ``/x`` from the API's host root,
    ``x`` below ``api_url``.
    """
    if openapi.startswith(("http://", "https://")):
        return SchemaSource(url=openapi)
    if openapi.startswith("file:"):
        return SchemaSource(path=Path(urlsplit(openapi).path))
    candidate = config_dir / openapi
    if candidate.is_file():
        return SchemaSource(path=candidate.resolve())
    if openapi.startswith("/"):
        return SchemaSource(url=origin_of(api_url) + openapi)
    return SchemaSource(url=api_url.rstrip("/") + "/" + openapi)


def _matches(operation: Operation, pattern: str) -> bool:
    # "/path" names a path (all its methods), "GET /path" one operation, anything else an
    # operationId: the three ways people point at an operation.
    if pattern.startswith("/"):
        return operation.path == pattern
    if " " in pattern:
        method, _, path = pattern.partition(" ")
        return operation.method == method.upper() and operation.path == path.strip()
    return operation.operation_id == pattern


def selected(operations: Iterable[Operation], spec: ContractSpec) -> list[Operation]:
    """The operations ``include`` keeps (all when empty) and ``exclude`` does not drop."""
    kept = []
    for operation in operations:
        if spec.include and not any(_matches(operation, p) for p in spec.include):
            continue
        if any(_matches(operation, p) for p in spec.exclude):
            continue
        kept.append(operation)
    return kept


def enabled_checks(spec: ContractSpec) -> tuple[str, ...]:
    """The configured checks minus ``exclude_checks``, in configuration order."""
    return tuple(name for name in spec.checks if name not in spec.exclude_checks)


def _probes_methods(spec: ContractSpec, protected: bool) -> bool:
    # The coverage phase's unexpected-method probes send PUT/POST/DELETE/TRACE... to every
    # path, even for a GET operation. Only the unsupported_method check reads their answers,
    # so they are sent only when it is asked for, and never to a protected environment.
    return not protected and "unsupported_method" in enabled_checks(spec)


def sends_unsafe(operation: Operation, spec: ContractSpec, *, protected: bool) -> bool:
    """Whether testing ``operation`` sends any method outside GET/HEAD/OPTIONS."""
    return not operation.safe or _probes_methods(spec, protected)


def shell_value(template: str, variables: Mapping[str, str]) -> str:
    """A header template written for inside shell double quotes, secrets as ``${VAR}``.

    ``"Bearer {api_token}"`` with ``{"api_token": "API_TOKEN"}`` gives
    ``Bearer ${API_TOKEN}``: the reproduction works where the variable is set, and the
    value itself is never printed.
    """
    out = []
    for literal, field, _, _ in string.Formatter().parse(template):
        out.append("".join("\\" + c if c in '\\"$`' else c for c in literal))
        if field is not None:
            out.append("${" + variables[field] + "}")
    return "".join(out)


def engine_settings(
    spec: ContractSpec,
    *,
    headers: Mapping[str, str],
    secret_headers: Collection[str],
    sanitized_by_default: Collection[str],
    ca_bundle: Path | None,
    timeout_s: float,
    protected: bool,
    phases: Collection[str] = OPERATION_PHASES,
) -> dict[str, Any]:
    """The schemathesis configuration (``schemathesis.toml`` as a dict) for one run.

    ``secret_headers`` names the headers that carry secrets: schemathesis masks values by
    header name, so they are added to its default sensitive names, ``sanitized_by_default``
    (``SanitizationConfig().keys_to_sanitize``: the caller imports schemathesis, not this).
    """
    unknown = set(phases) - set(_ALL_PHASES)
    if unknown:
        raise ValueError(f"unknown schemathesis phases: {', '.join(sorted(unknown))}")
    checks: dict[str, Any] = {"enabled": False}
    for name in enabled_checks(spec):
        if name == "max_response_time":
            # It takes a limit, not a table; the request budget is the one configured.
            checks[name] = spec.request_timeout_s or timeout_s
        else:
            checks[name] = {"enabled": True}
    coverage: dict[str, Any] = {"enabled": "coverage" in phases}
    if not _probes_methods(spec, protected):
        coverage["unexpected-methods"] = []
    settings: dict[str, Any] = {
        "headers": dict(headers),
        "tls-verify": str(ca_bundle) if ca_bundle is not None else True,
        "request-timeout": spec.request_timeout_s or timeout_s,
        "cache": {"enabled": False},
        "generation": {"max-examples": spec.max_examples, "database": _IN_MEMORY},
        "checks": checks,
        "phases": {
            "examples": {"enabled": "examples" in phases},
            "coverage": coverage,
            "fuzzing": {"enabled": "fuzzing" in phases},
            "stateful": {"enabled": "stateful" in phases},
        },
        # Signing up through the schema's register/login operations would create accounts.
        "auth": {"auto-signup": False},
        "output": {
            "sanitization": {
                "keys-to-sanitize": sorted(
                    {*sanitized_by_default, *(h.lower() for h in secret_headers)}
                )
            }
        },
    }
    # Our own seed when none is set: schemathesis would draw a 128-bit one, which TOML (64-bit
    # integers) cannot hold, so the seed printed with a failure could not be replayed.
    settings["seed"] = spec.seed if spec.seed is not None else random.randrange(2**63)
    if spec.rate_limit is not None:
        settings["rate-limit"] = spec.rate_limit
    return settings
