"""API contracts, the check: what schemathesis saw, as plain data, turned into findings.

Pure: the engine run (:mod:`pytest_prodready.contracts.suite`) records each failed check as a
:class:`CheckFailure` (request, response excerpt, reproduction); :func:`evaluate` turns an
operation's record into findings, one per failed check, with a ``curl`` that reproduces it.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from pytest_prodready.checks import leaks
from pytest_prodready.core.evidence import clip
from pytest_prodready.core.findings import Finding, Rule, Severity, rule

__all__ = [
    "CHECK_RULES",
    "OTHER_CHECK",
    "REQUEST_ERROR",
    "SCHEMA_UNAVAILABLE",
    "SCHEMA_UNSAFE",
    "CheckFailure",
    "OperationOutcome",
    "curl_command",
    "evaluate",
    "excerpt",
    "leaked",
]

SCHEMA_UNAVAILABLE = rule(
    "contract.schema-unavailable",
    Severity.HIGH,
    "The OpenAPI document cannot be loaded",
    "Serve the OpenAPI 3.x (or Swagger 2.0) document at the env's openapi location, or fix "
    "openapi in [envs.X]; clients and gateways generated from it break too.",
)
SCHEMA_UNSAFE = rule(
    "contract.schema-unsafe",
    Severity.HIGH,
    "The OpenAPI document points outside itself, or its references loop",
    "Keep every $ref inside the document (#/components/...), put examples in value: instead "
    "of externalValue, and break reference cycles; list a schema host you trust in "
    "[envs.X.contract] allow_ref_origins. A document that makes its reader open files or "
    "fetch internal URLs is an attack on every client that reads it.",
)
REQUEST_ERROR = rule(
    "contract.request-error",
    Severity.HIGH,
    "The operation could not be tested: requests failed or none could be generated",
    "Check that the API is reachable with the configured headers and timeout, and that the "
    "operation's schema is satisfiable (the evidence names the error).",
)
CHECK_RULES: Mapping[str, Rule] = {
    "not_a_server_error": rule(
        "contract.server-error",
        Severity.HIGH,
        "The operation answers 5xx (server error)",
        "Handle the input the reproduction sends: validate it and answer 4xx, never crash; "
        "and serve a generic error body, not a debug page.",
    ),
    "response_schema_conformance": rule(
        "contract.schema-violation",
        Severity.HIGH,
        "A response body does not match its documented schema",
        "Make the response match the OpenAPI schema (or fix the schema): generated clients "
        "reject or misread the field the evidence names.",
    ),
    "status_code_conformance": rule(
        "contract.undocumented-status",
        Severity.MEDIUM,
        "The operation answers a status code its document does not list",
        "Document the status under the operation's responses, or stop returning it.",
    ),
    "content_type_conformance": rule(
        "contract.content-type",
        Severity.MEDIUM,
        "A response has a Content-Type its document does not list",
        "Return the documented media type (e.g. application/json), or document the one sent.",
    ),
    "response_headers_conformance": rule(
        "contract.header-violation",
        Severity.MEDIUM,
        "A documented response header is missing or does not match its schema",
        "Send the header the document marks as required, with a value of its schema.",
    ),
    "negative_data_rejection": rule(
        "contract.accepts-invalid",
        Severity.MEDIUM,
        "The operation accepts a request its schema forbids",
        "Validate requests against the schema and answer 400/422 to invalid ones.",
    ),
    "positive_data_acceptance": rule(
        "contract.rejects-valid",
        Severity.MEDIUM,
        "The operation rejects a request its schema allows",
        "Accept every request the schema allows, or tighten the schema to what is accepted.",
    ),
    "missing_required_header": rule(
        "contract.missing-header-accepted",
        Severity.LOW,
        "The operation accepts a request without a header its document requires",
        "Reject requests lacking the required header (400/401/403/422).",
    ),
    "unsupported_method": rule(
        "contract.unsupported-method",
        Severity.LOW,
        "An undocumented HTTP method is not answered with 405 Method Not Allowed",
        "Answer 405 with an Allow header to methods the path does not document.",
    ),
    "use_after_free": rule(
        "contract.use-after-free",
        Severity.HIGH,
        "A deleted resource is still served",
        "After DELETE succeeds, answer 404/410 for the resource (check caches and soft deletes).",
    ),
    "ensure_resource_availability": rule(
        "contract.resource-unavailable",
        Severity.MEDIUM,
        "A resource just created cannot be read back",
        "Make a created resource readable at once (check replication lag and the Location).",
    ),
    "ignored_auth": rule(
        "contract.ignored-auth",
        Severity.HIGH,
        "The operation answers without the authentication its document requires",
        "Enforce the security scheme the document declares: answer 401 without credentials.",
    ),
    "max_response_time": rule(
        "contract.slow-response",
        Severity.MEDIUM,
        "A response took longer than the configured limit",
        "Profile the operation for the input in the reproduction (queries, payload size).",
    ),
}
# Checks schemathesis may add that the configuration cannot name yet.
OTHER_CHECK = rule(
    "contract.check-failed",
    Severity.MEDIUM,
    "A schemathesis check failed",
    "Read the check's title in the evidence; the schemathesis documentation explains it.",
)
_EXCERPT_CHARS = 160
_SUMMARY_CHARS = 240


@dataclass(frozen=True)
class CheckFailure:
    """One failed check on one request: plain data, credentials already masked."""

    check: str
    title: str
    message: str
    method: str
    url: str
    status: int | None
    content_type: str
    body: str
    curl: str
    request_id: str = ""
    # The body was read up to max_body_mb (this many MB) and the rest dropped.
    truncated_at_mb: float | None = None
    # Debug pages and stack traces in the error body (evidence masked): a crash that also
    # prints the framework's traceback tells an attacker the code's paths and versions.
    leaks: tuple[Finding, ...] = ()


@dataclass
class OperationOutcome:
    """What testing one operation produced: how many requests, which checks failed."""

    label: str
    requests: int = 0
    failures: list[CheckFailure] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seed: int | None = None
    truncated: int = 0  # responses whose body was cut at max_body_mb
    cut: bool = False  # not tested: the contract run's time cap (max_time_s) came first
    partial: bool = False  # tested in some phases only: the time cap stopped the rest

    def reported(self) -> list[CheckFailure]:
        """The failures worth a finding: a 5xx is reported as a server error, and that its
        status is also undocumented (status_code_conformance) adds nothing."""
        server_errors = {f.request_id for f in self.failures if f.check == "not_a_server_error"}
        return [
            f
            for f in self.failures
            if not (f.check == "status_code_conformance" and f.request_id in server_errors)
        ]

    @property
    def figure(self) -> str:
        """One line for the report: requests sent, failed checks, the seed to replay it."""
        failed = sorted({f.check for f in self.reported()})
        result = f"failed: {', '.join(failed)}" if failed else "all checks passed"
        if self.errors:
            result += f"; {len(self.errors)} error{'s' if len(self.errors) != 1 else ''}"
        if self.partial:
            result += "; stopped early by max_time_s (later phases not run)"
        if self.truncated:
            result += (
                f"; {self.truncated} bod{'ies' if self.truncated != 1 else 'y'} cut at max_body_mb"
            )
        seed = f" (seed {self.seed})" if self.seed is not None else ""
        return f"{self.label}: {self.requests} requests, {result}{seed}"


def excerpt(body: bytes | str) -> str:
    """The start of a response body on one line, for evidence."""
    # Enough for the excerpt even after whitespace is squeezed; a body may be megabytes.
    start = body[: _EXCERPT_CHARS * 16]
    text = start.decode("utf-8", errors="replace") if isinstance(start, bytes) else start
    return clip(text, _EXCERPT_CHARS) or "(empty body)"


def curl_command(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    *,
    secret_headers: Mapping[str, str],
    masked: Collection[str] = (),
    ca_bundle: Path | None = None,
) -> str:
    """A ``curl`` command that sends this request again.

    ``secret_headers`` maps a header name to its value written for double quotes, secrets
    as variable references (``Bearer ${VAR}``, see
    :func:`~pytest_prodready.contracts.policy.shell_value`); headers named in ``masked``
    (lower case) show ``[masked]`` instead of their value.
    """
    secret = {name.lower(): value for name, value in secret_headers.items()}
    parts = ["curl", "-X", method]
    for name, value in headers.items():
        lowered = name.lower()
        if lowered in secret:
            parts += ["-H", f'"{name}: {secret[lowered]}"']
        elif lowered in masked:
            parts += ["-H", shlex.quote(f"{name}: [masked]")]
        else:
            parts += ["-H", shlex.quote(f"{name}: {value}")]
    if body:
        parts += ["--data-binary", shlex.quote(body.decode("utf-8", errors="replace"))]
    if ca_bundle is not None:
        parts += ["--cacert", shlex.quote(str(ca_bundle))]
    parts.append(shlex.quote(url))
    return " ".join(parts)


def _detail(title: str, message: str) -> str:
    # schemathesis messages are paragraphs: the error, context, then indented schema and
    # value dumps. The first paragraph and where in the schema it failed say enough.
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", message) if p.strip()]
    text = f"{title}: {paragraphs[0]}" if paragraphs else title
    where = next((p for p in paragraphs[1:] if p.startswith("Schema at ")), None)
    if where is not None:
        text += f" (schema at {where.removeprefix('Schema at ').rstrip(':')})"
    return clip(text, _SUMMARY_CHARS)


def leaked(body: bytes, status: int | None, url: str) -> list[Finding]:
    """The debug-page and stack-trace findings of an error answer's body, for
    :attr:`CheckFailure.leaks` (the caller masks their evidence)."""
    if status is None or status < 400:
        return []
    return leaks.evaluate_error_body(body.decode("utf-8", errors="replace"), url=url or None)


def _target(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _evidence(failure: CheckFailure, more: int) -> str:
    target = _target(failure.url)
    if failure.status is None:
        answer = "got no response"
    else:
        kind = f" {failure.content_type}" if failure.content_type else ""
        answer = f"answered {failure.status}{kind} {failure.body!r}"
        if failure.truncated_at_mb is not None:
            # Checks saw only the start: "not valid JSON" may just mean "very long".
            answer += f" (body larger than {failure.truncated_at_mb:g} MB, cut at max_body_mb)"
    extra = f" (+{more} more failing request{'s' if more != 1 else ''})" if more else ""
    return (
        f"{failure.method} {target} {answer}; {failure.check}: "
        f"{_detail(failure.title, failure.message)}{extra}; reproduce: {failure.curl}"
    )


def evaluate(outcome: OperationOutcome) -> list[Finding]:
    """One finding per failed check of the operation (its first failing request as
    evidence), one per debug page or stack trace its error bodies showed, plus one per error
    that kept the operation from being tested."""
    by_check: dict[str, list[CheckFailure]] = {}
    for failure in outcome.reported():
        by_check.setdefault(failure.check, []).append(failure)
    findings = []
    for check, group in by_check.items():
        first = group[0]
        found = CHECK_RULES.get(check, OTHER_CHECK)
        findings.append(found(_evidence(first, len(group) - 1), url=first.url))
    seen: set[str] = set()
    for failure in outcome.reported():
        for leak in failure.leaks:
            if leak.id not in seen:
                seen.add(leak.id)
                where = f"{failure.method} {_target(failure.url)} answered {failure.status}"
                evidence = f"{where}: {leak.evidence}; reproduce: {failure.curl}"
                findings.append(replace(leak, evidence=evidence))
    findings += [
        REQUEST_ERROR(f"{outcome.label}: {clip(error, _SUMMARY_CHARS)}")
        for error in dict.fromkeys(outcome.errors)
    ]
    return findings
