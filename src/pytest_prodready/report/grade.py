"""The run's letter grade, A+ to F: the MDN HTTP Observatory's scoring for the categories it
grades, extended to the rest of our findings (the table is in docs/reports.md).

Pure: a JSON summary in, a :class:`Grade` out. The Observatory's categories that depend on
response headers alone (CSP, HSTS, X-Content-Type-Options, X-Frame-Options, Referrer-Policy,
COOP, CORP, COEP) are classified from the home page's headers the way its analyzers do
(mdn/mdn-http-observatory ``src/analyzer/tests/*.js``) and scored with its modifiers
(``src/grader/charts.js``). Its cookie, CORS and redirection categories are scored from our
findings of the same meaning, with its modifiers. Any other failing finding costs points by
severity. As in the Observatory, bonuses count only when the score without them is 90 or more.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "GRADE_CHART",
    "MINIMUM_SCORE_FOR_EXTRA_CREDIT",
    "SEVERITY_PENALTY",
    "Grade",
    "classify_headers",
    "grade_for_score",
    "grade_summary",
]

# mdn-http-observatory src/grader/charts.js: the lowest score of each grade.
GRADE_CHART: tuple[tuple[int, str], ...] = (
    (100, "A+"),
    (90, "A"),
    (85, "A-"),
    (80, "B+"),
    (70, "B"),
    (65, "B-"),
    (60, "C+"),
    (50, "C"),
    (45, "C-"),
    (40, "D+"),
    (30, "D"),
    (25, "D-"),
    (0, "F"),
)
MINIMUM_SCORE_FOR_EXTRA_CREDIT = 90

# The Observatory's modifiers for the results our header classification can reach.
MODIFIERS: Mapping[str, int] = {
    "csp-implemented-with-no-unsafe-default-src-none": 10,
    "csp-implemented-with-no-unsafe": 5,
    "csp-implemented-with-unsafe-inline-in-style-src-only": 0,
    "csp-implemented-with-insecure-scheme-in-passive-content-only": -10,
    "csp-implemented-with-unsafe-eval": -10,
    "csp-implemented-with-unsafe-inline": -20,
    "csp-implemented-with-insecure-scheme": -20,
    "csp-header-invalid": -25,
    "csp-not-implemented": -25,
    "csp-not-implemented-but-reporting-enabled": -25,
    "csp-implemented-but-duplicate-directives": 0,
    "hsts-implemented-max-age-at-least-six-months": 0,
    "hsts-implemented-max-age-less-than-six-months": -10,
    "hsts-not-implemented": -20,
    "hsts-header-invalid": -20,
    "hsts-not-implemented-no-https": -20,
    "x-content-type-options-nosniff": 0,
    "x-content-type-options-not-implemented": -5,
    "x-content-type-options-header-invalid": -5,
    "x-frame-options-implemented-via-csp": 5,
    "x-frame-options-sameorigin-or-deny": 5,
    "x-frame-options-allow-from-origin": 0,
    "x-frame-options-not-implemented": -20,
    "x-frame-options-header-invalid": -20,
    "referrer-policy-private": 5,
    "referrer-policy-not-implemented": 0,
    "referrer-policy-unsafe": -5,
    "referrer-policy-header-invalid": -5,
    "coop-implemented-with-same-origin": 10,
    "coop-implemented-with-same-origin-allow-popups": 10,
    "coop-implemented-with-noopener-allow-popups": 10,
    "coop-implemented-with-unsafe-none": 0,
    "coop-not-implemented": 0,
    "coop-header-invalid": -5,
    "corp-implemented-with-same-origin": 10,
    "corp-implemented-with-same-site": 10,
    "corp-implemented-with-cross-origin": 0,
    "corp-not-implemented": 0,
    "corp-header-invalid": -5,
    "coep-implemented-with-require-corp": 10,
    "coep-implemented-with-credentialless": 10,
    "coep-implemented-with-unsafe-none": 0,
    "coep-not-implemented": 0,
    "coep-header-invalid": -5,
}
# Our finding-id prefixes that these header categories grade: not charged again by severity.
HEADER_GRADED = ("csp.", "hsts.", "xcto.", "xfo.", "referrer.", "coop.", "corp.", "coep.")
# The Observatory's cookie, CORS and redirection results, reached through our findings of the
# same meaning: the worst one of each category counts.
FINDING_MODIFIERS: Mapping[str, tuple[str, int]] = {
    "cookie.session-no-secure": ("cookies", -40),
    "cookie.session-no-httponly": ("cookies", -30),
    "cookie.no-secure": ("cookies", -20),
    "cookie.samesite-invalid": ("cookies", -20),
    "cookie.csrf-no-samesite": ("cookies", -20),
    "cors.credentialed-reflection": ("cors", -50),
    "redirect.missing": ("redirection", -20),
    "redirect.not-to-https": ("redirection", -20),
    "redirect.first-hop-off-host": ("redirection", -5),
}
# Our extension: each other failing finding id, once however many pages show it.
SEVERITY_PENALTY: Mapping[str, int] = {"high": -20, "medium": -10, "low": -5, "info": 0}

SIX_MONTHS = 15_768_000
_BROAD = frozenset(
    {"ftp:", "http:", "https:", "*", "http://*", "http://*.*", "https://*", "https://*.*"}
)
_BROAD_OR_INLINE = _BROAD | {"'unsafe-inline'", "data:"}
_PASSIVE = ("img-src", "media-src")
_HASHES = ("'sha256-", "'sha384-", "'sha512-", "'nonce-")


@dataclass(frozen=True)
class Grade:
    """A letter, the score behind it, and each line of the score for the docs table."""

    letter: str
    score: int
    lines: tuple[tuple[str, str, int], ...] = field(default=())

    def explain(self) -> list[str]:
        return [f"{modifier:+d}  {what}: {why}" for what, why, modifier in self.lines]


def grade_for_score(score: int) -> str:
    """The Observatory's chart: scores round down to a multiple of 5; over 100 is A+."""
    score = max(score, 0)
    key = min(score - score % 5, 100)
    return next(letter for floor, letter in GRADE_CHART if key >= floor)


class _InvalidPolicy(ValueError):
    pass


def _parse_policy(text: str) -> dict[str, set[str]]:
    policy: dict[str, set[str]] = {}
    if len(text.strip()) < len("img-src") - 1:
        raise _InvalidPolicy(text)
    for entry in text.split(";"):
        parts = entry.strip().split()
        if not parts:
            continue
        directive = parts[0].lower()
        if directive in policy and directive not in ("report-uri", "report-to"):
            raise _InvalidPolicy(directive)
        sources = {p.lower() for p in parts[1:]}
        if not sources and directive.endswith("-src"):
            sources = {"'none'"}
        policy[directive] = sources
    return policy


def _parse_csp(header: str) -> dict[str, set[str]]:
    """Several policies (comma-joined) all apply: a source counts if every policy allows it."""
    merged: dict[str, set[str]] = {}
    for index, text in enumerate(header.split(",")):
        policy = _parse_policy(text)
        for directive, sources in policy.items():
            if index and directive in merged:
                merged[directive] &= sources
                merged[directive] = merged[directive] or {"'none'"}
            else:
                merged.setdefault(directive, sources)
    return merged


def _csp(headers: Mapping[str, str], https: bool) -> tuple[str, dict[str, set[str]]]:
    header = headers.get("content-security-policy")
    if not header:
        if headers.get("content-security-policy-report-only"):
            return "csp-not-implemented-but-reporting-enabled", {}
        return "csp-not-implemented", {}
    try:
        csp = _parse_csp(header)
    except _InvalidPolicy:
        return "csp-header-invalid", {}
    everything = {"*"}
    default = csp.get("default-src")
    objects = set(csp.get("object-src") or default or everything)
    scripts = set(csp.get("script-src") or default or everything)
    styles = set(csp.get("style-src") or default or everything)
    for sources in (scripts, styles):
        if any(s.startswith(_HASHES) for s in sources):
            sources.discard("'unsafe-inline'")
    result: str | None = None
    if any(s.startswith(_HASHES) for s in scripts) and "'strict-dynamic'" in scripts:
        scripts = {
            s
            for s in scripts
            if not (any(s.startswith(b) for b in _BROAD) or s in ("'self'", "'unsafe-inline'"))
        }
    elif "'strict-dynamic'" in scripts:
        result = "csp-header-invalid"
    active = [
        s
        for directive, sources in csp.items()
        if directive not in _PASSIVE and directive != "script-src"
        for s in sources
    ] + sorted(scripts)
    passive = [s for d in _PASSIVE for s in (csp.get(d) or default or set())]
    insecure = ("http:", "ftp:")
    checks = (
        (scripts & _BROAD_OR_INLINE or objects & _BROAD, "csp-implemented-with-unsafe-inline"),
        (
            https and any(s.startswith(insecure) for s in active),
            "csp-implemented-with-insecure-scheme",
        ),
        ("'unsafe-eval'" in scripts | styles, "csp-implemented-with-unsafe-eval"),
        (
            https and any(s.startswith(insecure) for s in passive),
            "csp-implemented-with-insecure-scheme-in-passive-content-only",
        ),
        (styles & _BROAD_OR_INLINE, "csp-implemented-with-unsafe-inline-in-style-src-only"),
        (default == {"'none'"}, "csp-implemented-with-no-unsafe-default-src-none"),
        (True, "csp-implemented-with-no-unsafe"),
    )
    if result is None:
        result = next(name for hit, name in checks if hit)
    return result, csp


def _token(value: str) -> str:
    # A structured-field token: parameters after ";" do not change the policy.
    return value.split(";", 1)[0].strip().lower()


def classify_headers(headers: Mapping[str, str], *, https: bool) -> dict[str, str]:
    """The Observatory's result per header category for one response's headers (names in
    lower case; a header sent several times is one comma-joined value)."""
    csp_result, csp = _csp(headers, https)
    out = {"content-security-policy": csp_result}

    sts = headers.get("strict-transport-security")
    if not https:
        out["strict-transport-security"] = "hsts-not-implemented-no-https"
    elif not sts:
        out["strict-transport-security"] = "hsts-not-implemented"
    else:
        max_age = None
        for parameter in (p.strip().lower() for p in sts.split(";")):
            if parameter.startswith("max-age="):
                digits = parameter[8:].strip('"')
                max_age = int(digits) if digits.isdigit() else None
        if "," in sts or max_age is None:
            out["strict-transport-security"] = "hsts-header-invalid"
        elif max_age < SIX_MONTHS:
            out["strict-transport-security"] = "hsts-implemented-max-age-less-than-six-months"
        else:
            out["strict-transport-security"] = "hsts-implemented-max-age-at-least-six-months"

    xcto = headers.get("x-content-type-options")
    out["x-content-type-options"] = (
        "x-content-type-options-not-implemented"
        if xcto is None
        else "x-content-type-options-nosniff"
        if xcto.strip().lower() == "nosniff"
        else "x-content-type-options-header-invalid"
    )

    xfo = (headers.get("x-frame-options") or "").strip().lower()
    if "frame-ancestors" in csp:
        out["x-frame-options"] = "x-frame-options-implemented-via-csp"
    elif not xfo:
        out["x-frame-options"] = "x-frame-options-not-implemented"
    elif xfo in ("deny", "sameorigin"):
        out["x-frame-options"] = "x-frame-options-sameorigin-or-deny"
    elif xfo.startswith("allow-from"):
        out["x-frame-options"] = "x-frame-options-allow-from-origin"
    else:
        out["x-frame-options"] = "x-frame-options-header-invalid"

    good = ("no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin")
    bad = ("origin", "origin-when-cross-origin", "unsafe-url", "no-referrer-when-downgrade")
    referrer = headers.get("referrer-policy")
    if not referrer:
        out["referrer-policy"] = "referrer-policy-not-implemented"
    else:
        known = [p for p in (v.strip().lower() for v in referrer.split(",")) if p in good + bad]
        last = known[-1] if known else ""
        out["referrer-policy"] = (
            "referrer-policy-private"
            if last in good
            else "referrer-policy-unsafe"
            if last in bad
            else "referrer-policy-header-invalid"
        )

    def policy(name: str, prefix: str, values: Mapping[str, str]) -> None:
        value = headers.get(name)
        if value is None:
            out[name] = f"{prefix}-not-implemented"
            return
        token = _token(value)
        out[name] = f"{prefix}-{values[token]}" if token in values else f"{prefix}-header-invalid"

    policy(
        "cross-origin-opener-policy",
        "coop",
        {
            "same-origin": "implemented-with-same-origin",
            "same-origin-allow-popups": "implemented-with-same-origin-allow-popups",
            "noopener-allow-popups": "implemented-with-noopener-allow-popups",
            "unsafe-none": "implemented-with-unsafe-none",
        },
    )
    policy(
        "cross-origin-resource-policy",
        "corp",
        {
            "same-origin": "implemented-with-same-origin",
            "same-site": "implemented-with-same-site",
            "cross-origin": "implemented-with-cross-origin",
        },
    )
    policy(
        "cross-origin-embedder-policy",
        "coep",
        {
            "require-corp": "implemented-with-require-corp",
            "credentialless": "implemented-with-credentialless",
            "unsafe-none": "implemented-with-unsafe-none",
        },
    )
    return out


def _score(lines: list[tuple[str, str, int]]) -> int:
    with_credit = 100 + sum(m for _, _, m in lines)
    uncurved = 100 + sum(m for _, _, m in lines if m < 0)
    # The Observatory reports no score below zero.
    return max(0, with_credit if uncurved >= MINIMUM_SCORE_FOR_EXTRA_CREDIT else uncurved)


def grade_headers(headers: Mapping[str, str], *, https: bool) -> Grade:
    """The grade of one response's headers alone, over the Observatory's header categories."""
    results = classify_headers(headers, https=https)
    lines = [(name, result, MODIFIERS[result]) for name, result in results.items()]
    score = _score(lines)
    return Grade(grade_for_score(score), score, tuple(lines))


def grade_summary(summary: Mapping[str, Any]) -> Grade:
    """The grade of a run: its home page's headers (when recorded) and its failing findings."""
    base_url = str((summary.get("env") or {}).get("base_url") or "")
    headers = (summary.get("headers") or {}).get("/")
    lines: list[tuple[str, str, int]] = []
    if headers is not None:
        results = classify_headers(headers, https=base_url.startswith("https:"))
        lines += [(name, result, MODIFIERS[result]) for name, result in results.items()]
    failing = {
        f["id"]: f["severity"]
        for f in summary.get("findings", [])
        if f.get("status", "failing") == "failing"
    }
    worst: dict[str, tuple[str, int]] = {}
    for finding_id in sorted(failing):
        if finding_id in FINDING_MODIFIERS:
            category, modifier = FINDING_MODIFIERS[finding_id]
            if modifier < worst.get(category, ("", 0))[1]:
                worst[category] = (finding_id, modifier)
        elif headers is not None and finding_id.startswith(HEADER_GRADED):
            continue
        else:
            severity = failing[finding_id]
            penalty = SEVERITY_PENALTY.get(severity, 0)
            if penalty:
                lines.append((finding_id, f"{severity} finding", penalty))
    lines += [(f"{category} ({fid})", "observatory", m) for category, (fid, m) in worst.items()]
    score = _score(lines)
    return Grade(grade_for_score(score), score, tuple(lines))
