"""CORS: does the target hand its responses to origins it should not trust?

The facts are answers to requests carrying hostile ``Origin`` headers (a foreign site, the
``null`` origin of sandboxed frames and ``file:``, and look-alikes that defeat prefix or suffix
matching), gathered by :func:`pytest_prodready.probes.cors.probe`. Only response headers are
read. A reflected origin plus ``Access-Control-Allow-Credentials: true`` lets any site read the
user's authenticated responses; ``*`` never carries credentials (browsers refuse the pair).
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from pytest_prodready.core.findings import Finding, Rule, Severity, rule

__all__ = [
    "ANY_ORIGIN_REFLECTION",
    "CREDENTIALED_REFLECTION",
    "HOSTILE_ORIGINS",
    "NULL_ORIGIN",
    "WILDCARD",
    "CorsProbe",
    "evaluate",
    "hostile_origins",
]

CREDENTIALED_REFLECTION = rule(
    "cors.credentialed-reflection",
    Severity.HIGH,
    "Foreign origin allowed with credentials",
    "Compare Origin against an exact allow-list (scheme, host and port) before echoing it in "
    "Access-Control-Allow-Origin; never derive it from the request alone",
)
ANY_ORIGIN_REFLECTION = rule(
    "cors.any-origin-reflection",
    Severity.MEDIUM,
    "Foreign origin reflected in Access-Control-Allow-Origin",
    "Echo only origins from an exact allow-list; if the resource is truly public, send "
    "Access-Control-Allow-Origin: * instead of reflecting",
)
NULL_ORIGIN = rule(
    "cors.null-origin",
    Severity.HIGH,
    "Origin null allowed",
    "Never allow-list the null origin: any site can send it from a sandboxed iframe",
)
WILDCARD = rule(
    "cors.wildcard",
    Severity.INFO,
    "Access-Control-Allow-Origin: * (any site may read this resource)",
    "Fine for public, unauthenticated resources (info). Where the response is not public (it "
    "sets a cookie, is Cache-Control: private, varies by Cookie or Authorization, or allows "
    "credentials) it is low: replace * with an allow-list of your front-ends",
)

# What makes a response user-specific in the server's own words: it mints or varies by a
# credential, or forbids shared caches. A wildcard there is no longer "public data".
_PRIVATE_VARY = frozenset({"cookie", "authorization"})

HOSTILE_ORIGINS: tuple[str, ...] = ("https://evil.example", "null")
"""Origins hostile to every target; :func:`hostile_origins` adds target-specific look-alikes."""


@dataclass(frozen=True)
class CorsProbe:
    """One request sent with ``Origin: origin``: a simple GET, or an OPTIONS preflight."""

    origin: str
    response: httpx.Response
    preflight: bool


def hostile_origins(target_host: str) -> tuple[str, ...]:
    """Origins a correct allow-list refuses for ``target_host`` (a port, if given, is dropped).

    Beyond :data:`HOSTILE_ORIGINS`: ``https://evil<host>`` passes a check that the origin
    *ends with* the host, ``https://<host>.evil.example`` one that it *starts with* it.
    """
    host = httpx.URL(f"https://{target_host}").host or target_host
    return (*HOSTILE_ORIGINS, f"https://evil{host}", f"https://{host}.evil.example")


def evaluate(probes: list[CorsProbe], *, allowed_origins: tuple[str, ...] = ()) -> list[Finding]:
    """One finding per id (worst evidence first), from the CORS headers of ``probes``.

    An origin listed in ``allowed_origins`` (the environment's trusted front-ends) is never a
    finding, even when it is ``null`` or one of the look-alikes.
    """
    allowed = {_normal(origin) for origin in allowed_origins}
    # id -> (rule, severity, evidence lines, url), in the order first seen.
    grouped: dict[str, tuple[Rule, Severity, list[str], str | None]] = {}
    for probe in probes:
        if _normal(probe.origin) in allowed:
            continue
        verdict = _judge(probe)
        if verdict is None:
            continue
        found, severity, evidence = verdict
        known = grouped.get(found.id)
        if known is None:
            grouped[found.id] = (found, severity, [evidence], _url(probe.response))
        else:
            lines = known[2] if evidence in known[2] else [*known[2], evidence]
            grouped[found.id] = (found, max(known[1], severity), lines, known[3])
    return [
        found("; ".join(lines), url=url, severity=severity)
        for found, severity, lines, url in grouped.values()
    ]


def _judge(probe: CorsProbe) -> tuple[Rule, Severity, str] | None:
    headers = probe.response.headers
    acao = headers.get("access-control-allow-origin", "").strip()
    credentials = headers.get("access-control-allow-credentials", "").strip().lower() == "true"
    kind = "preflight" if probe.preflight else "GET"
    if acao == "*":
        return _judge_wildcard(probe, kind, credentials)
    if not acao or _normal(acao) != _normal(probe.origin):
        return None
    told = "ACAO echoed" + (" with Access-Control-Allow-Credentials: true" if credentials else "")
    evidence = f"{kind} with Origin {probe.origin}: {told}"
    if _normal(probe.origin) == "null":
        # Without credentials, null reads what any origin could read via a reflecting server.
        return NULL_ORIGIN, Severity.HIGH if credentials else Severity.MEDIUM, evidence
    if credentials:
        return CREDENTIALED_REFLECTION, CREDENTIALED_REFLECTION.severity, evidence
    return ANY_ORIGIN_REFLECTION, ANY_ORIGIN_REFLECTION.severity, evidence


def _judge_wildcard(probe: CorsProbe, kind: str, credentials: bool) -> tuple[Rule, Severity, str]:
    """``*`` is the Observatory's "public access": info, unless the response says it is not
    public. Browsers never expose a credentialed response under ``*``, so the risk is data
    gated by something ambient (network position, an IP allow-list) or the next "fix": a
    framework that reflects the origin to make credentials work."""
    evidence = f"{kind} with Origin {probe.origin}: ACAO *"
    private = _private_signals(probe.response.headers)
    if credentials:
        private.insert(0, "Access-Control-Allow-Credentials: true")
    if not private:
        return WILDCARD, WILDCARD.severity, evidence
    return (
        WILDCARD,
        Severity.LOW,
        f"{evidence} on a response that is not public ({', '.join(private)})",
    )


def _private_signals(headers: httpx.Headers) -> list[str]:
    signals = []
    if "set-cookie" in headers:
        signals.append("it sets a cookie")
    cache = {d.strip().split("=")[0].lower() for d in headers.get("cache-control", "").split(",")}
    if "private" in cache:
        signals.append("Cache-Control: private")
    vary = {v.strip().lower() for v in headers.get("vary", "").split(",")}
    if vary & _PRIVATE_VARY:
        signals.append("Vary: " + ", ".join(sorted(vary & _PRIVATE_VARY)))
    return signals


def _normal(origin: str) -> str:
    # Scheme and host compare case-insensitively; browsers send them lower-case anyway.
    return origin.strip().rstrip("/").lower()


def _url(response: httpx.Response) -> str | None:
    try:
        return str(response.request.url)
    except RuntimeError:
        # A Response built by hand (unit tests, other tools) has no request attached.
        return None
