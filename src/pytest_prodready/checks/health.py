"""Health and release identity: is the app up, are its dependencies up, is it the new release?"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterator, Mapping
from typing import Any

import httpx

from pytest_prodready.checks._text import body_excerpt
from pytest_prodready.config import HealthEndpoint, ReleaseSpec
from pytest_prodready.core.findings import Finding, Severity, rule

__all__ = ["evaluate", "evaluate_release", "release_of"]

HEALTHY = ("ok", "operational", "healthy", "up", "pass", "passing", "available", "green")

STATUS = rule(
    "health.status",
    Severity.HIGH,
    "Health endpoint answers with an unexpected status",
    "Fix the failing dependency or the health route; a load balancer takes 5xx as down.",
)
NOT_JSON = rule(
    "health.not-json",
    Severity.HIGH,
    "Health endpoint does not answer JSON",
    'Return application/json, e.g. {"status": "ok"}, so monitors can read it.',
)
BODY_MISMATCH = rule(
    "health.body-mismatch",
    Severity.HIGH,
    "Health body differs from what the environment declares",
    "Check the reported value; fix the dependency or the declared [health] json rule.",
)
DEGRADED = rule(
    "health.component-unhealthy",
    Severity.HIGH,
    "A health component reports a non-healthy state",
    "Restore the named dependency (database, cache, queue, payment provider) before release.",
)
SLOW = rule(
    "health.slow",
    Severity.MEDIUM,
    "Health endpoint is slower than its latency budget",
    "Keep health checks cheap (no heavy queries); investigate the slow dependency.",
)
CACHEABLE = rule(
    "health.cacheable",
    Severity.MEDIUM,
    "Health response may be cached",
    "Send Cache-Control: no-store on health endpoints: a cached health check lies.",
)
RELEASE_MISMATCH = rule(
    "release.mismatch",
    Severity.HIGH,
    "The deployed release is not the expected one",
    "The deploy did not roll out (or rolled back): check the pipeline and the serving hosts.",
)
RELEASE_UNREADABLE = rule(
    "release.unreadable",
    Severity.HIGH,
    "The version endpoint does not say which release is deployed",
    "Serve the release (version or commit SHA) as JSON on the version endpoint.",
)


def _json(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError, RecursionError):
        # RecursionError: JSON nested deeper than the interpreter's stack, not a health body.
        return None


def components(body: Mapping[str, Any], key: str) -> Iterator[tuple[str, str]]:
    """(name, state) pairs from the common shapes: {name: state}, {name: {status: state}},
    and [{name, status}]."""
    value = body.get(key)
    if isinstance(value, Mapping):
        for name, entry in value.items():
            state = entry.get("status", entry.get("state")) if isinstance(entry, Mapping) else entry
            yield str(name), str(state)
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, Mapping):
                name = item.get("name", item.get("component", "?"))
                yield str(name), str(item.get("status", item.get("state")))


def evaluate(
    spec: HealthEndpoint, responses: list[httpx.Response], latencies_s: list[float]
) -> list[Finding]:
    """Findings for one health endpoint from its samples (the first is judged for content)."""
    if not responses:
        return []
    response = responses[0]
    url = str(response.request.url)
    if response.status_code != spec.expect_status:
        return [
            STATUS(
                f"{response.status_code} instead of {spec.expect_status}: {body_excerpt(response)}",
                url=url,
            )
        ]
    findings: list[Finding] = []
    body = _json(response)
    content_type = response.headers.get("content-type", "")
    if not isinstance(body, dict):
        findings.append(
            NOT_JSON(f"Content-Type {content_type or 'absent'}: {body_excerpt(response)}", url=url)
        )
    else:
        if "json" not in content_type:
            findings.append(
                NOT_JSON(f"JSON body served as Content-Type {content_type or 'absent'}", url=url)
            )
        for key, expected in spec.json.items():
            if body.get(key) != expected:
                findings.append(
                    BODY_MISMATCH(f"{key}: expected {expected!r}, got {body.get(key)!r}", url=url)
                )
        healthy = spec.components_ok or HEALTHY
        overall = body.get("status")
        if (
            "status" not in spec.json
            and isinstance(overall, str)
            and overall.lower() not in healthy
        ):
            findings.append(DEGRADED(f"overall status: {overall!r}", url=url))
        for name, state in components(body, spec.components_key):
            if state.lower() not in {h.lower() for h in healthy}:
                findings.append(
                    DEGRADED(f"{name}: {state!r} (healthy: {', '.join(healthy)})", url=url)
                )
    if "no-store" not in response.headers.get("cache-control", "").lower():
        findings.append(
            CACHEABLE(f"Cache-Control: {response.headers.get('cache-control', 'absent')}", url=url)
        )
    if spec.max_latency_ms is not None and latencies_s:
        median_ms = statistics.median(latencies_s) * 1000
        if median_ms > spec.max_latency_ms:
            samples = ", ".join(f"{s * 1000:.0f}" for s in latencies_s)
            findings.append(
                SLOW(
                    f"median {median_ms:.0f} ms > {spec.max_latency_ms:g} ms "
                    f"(samples: {samples} ms)",
                    url=url,
                )
            )
    return findings


def release_of(spec: ReleaseSpec, response: httpx.Response) -> str | None:
    """The release the version endpoint reports, or None if it does not say."""
    body = _json(response)
    if response.status_code != 200 or not isinstance(body, dict):
        return None
    value = body.get(spec.field)
    return None if value is None else str(value)


def evaluate_release(
    spec: ReleaseSpec, response: httpx.Response, *, expected: str | None
) -> list[Finding]:
    """``release.*`` findings: the endpoint must name a release, the expected one if given."""
    url = str(response.request.url)
    seen = release_of(spec, response)
    if seen is None:
        return [
            RELEASE_UNREADABLE(
                f"{response.status_code}, no {spec.field!r} field: {body_excerpt(response)}",
                url=url,
            )
        ]
    if expected is not None and seen != expected:
        return [RELEASE_MISMATCH(f"expected {expected!r}, deployed {seen!r}", url=url)]
    return []
