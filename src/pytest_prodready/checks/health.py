"""Health and release identity: is the app up, are its dependencies up, is it the new release?"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Iterator, Mapping
from typing import Any

import httpx

from pytest_prodready.checks._text import body_excerpt
from pytest_prodready.checks.grammar import parse_cache_control
from pytest_prodready.config import HealthEndpoint, ReleaseSpec
from pytest_prodready.core.findings import Finding, Severity, rule

__all__ = ["evaluate", "evaluate_release", "release_of"]

HEALTHY = ("ok", "operational", "healthy", "up", "pass", "passing", "available", "green")
# The health-check draft's "warn" is up with a concern; Actuator's UNKNOWN says nothing.
NEUTRAL = frozenset({"warn", "warning", "unknown"})
# A top-level string is a dependency's state only when it reads like one: apps put versions,
# timestamps and messages beside their dependencies, and "1.4.2" is no outage.
UNHEALTHY = frozenset(
    {
        "down",
        "fail",
        "failed",
        "failing",
        "failure",
        "error",
        "unhealthy",
        "degraded",
        "outage",
        "unavailable",
        "unreachable",
        "offline",
        "red",
        "critical",
        "out_of_service",
        "timeout",
        "disconnected",
    }
)
# Maps of dependency -> state, by the names Spring Actuator, the health-check draft
# (application/health+json), MicroProfile Health and hand-written endpoints use.
COMPONENT_KEYS = ("components", "checks", "services", "dependencies")

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
    "Send Cache-Control: no-store (or no-cache) on health endpoints: a cached health check lies.",
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


def _state(entry: Any) -> str:
    """A component's state: a string, a boolean, ``{status|state: ...}``, or the draft's
    list of such objects (the worst counts)."""
    if isinstance(entry, Mapping):
        return _state(entry.get("status", entry.get("state")))
    if isinstance(entry, list):
        states = [_state(item) for item in entry]
        bad = [state for state in states if state.lower() not in HEALTHY]
        return (bad or states or ["?"])[0]
    if isinstance(entry, bool):
        return "up" if entry else "down"
    return str(entry)


def components(body: Mapping[str, Any], key: str) -> Iterator[tuple[str, str]]:
    """(name, state) pairs under ``key`` in the common shapes: {name: state},
    {name: {status: state}}, {name: [{status: state}]} and [{name, status}]."""
    value = body.get(key)
    if isinstance(value, Mapping):
        for name, entry in value.items():
            yield str(name), _state(entry)
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, Mapping):
                name = item.get("name", item.get("componentName", item.get("component", "?")))
                yield str(name), _state(item)


def unhealthy(
    body: Mapping[str, Any], components_key: str, healthy: tuple[str, ...] | None
) -> list[tuple[str, str]]:
    """(name, state) of every dependency the body reports as not healthy: the overall
    ``status``, the component maps, and top-level strings that read as a failed state."""
    ok = {h.lower() for h in healthy or HEALTHY} | NEUTRAL
    found: list[tuple[str, str]] = []
    keys = dict.fromkeys((components_key, *COMPONENT_KEYS))
    for key in keys:
        found += [(n, s) for n, s in components(body, key) if s.lower() not in ok]
    for name, value in body.items():
        if name in keys or name == "status" or not isinstance(value, str):
            continue
        if _reads_unhealthy(value, ok):
            found.append((name, value))
    return found


def _reads_unhealthy(value: str, ok: set[str]) -> bool:
    # Status pages spell states as compound words (Statuspage: major_outage, partial_outage,
    # degraded_performance); a sentence with spaces is a message and "down-2024" a build name,
    # not a state.
    state = value.strip().lower()
    if state in ok:
        return False
    if state in UNHEALTHY:
        return True
    return bool(re.fullmatch(r"[a-z]+([_-][a-z]+)+", state)) and any(
        part in UNHEALTHY for part in re.split(r"[_-]", state)
    )


def reusable_without_revalidation(cache_control: str | None) -> bool:
    """Whether a cache may answer with this response again without asking the server: no
    ``no-store``, no bare ``no-cache`` (it forces revalidation) and a freshness lifetime
    above zero (or stale content allowed)."""
    if cache_control is None:
        return True  # heuristic freshness: caches may keep a 200 without any directive
    directives = parse_cache_control(cache_control)
    if "no-store" in directives or ("no-cache" in directives and directives["no-cache"] is None):
        return False
    if "stale-while-revalidate" in directives or "stale-if-error" in directives:
        return True
    lifetimes = [directives.get("s-maxage"), directives.get("max-age")]
    known = [v for v in lifetimes if v is not None]
    if not known:
        return True
    return any(not v.isdigit() or int(v) > 0 for v in known[:1])


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
            and overall.lower() not in {h.lower() for h in healthy} | NEUTRAL
        ):
            findings.append(DEGRADED(f"overall status: {overall!r}", url=url))
        for name, state in unhealthy(body, spec.components_key, spec.components_ok):
            findings.append(DEGRADED(f"{name}: {state!r} (healthy: {', '.join(healthy)})", url=url))
    cache_control = response.headers.get("cache-control")
    if reusable_without_revalidation(cache_control):
        findings.append(CACHEABLE(f"Cache-Control: {cache_control or 'absent'}", url=url))
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
