"""Rate-limit headers as limiters send them: ``Retry-After`` (seconds or an HTTP date), the
IETF structured ``RateLimit``/``RateLimit-Policy`` fields (draft 08+: ``"default";q=5;w=60``),
their draft-07 forms, ``RateLimit-Limit/-Remaining/-Reset`` and ``X-RateLimit-*``.

Pure parsing, for :mod:`pytest_prodready.checks.ratelimit`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC
from email.utils import parsedate_to_datetime

from pytest_prodready.checks.grammar import SfItem, parse_sf_item
from pytest_prodready.config import RateLimitSpec

__all__ = [
    "LIMIT_HEADERS",
    "Quota",
    "advertised_limit",
    "advertised_quotas",
    "date_of",
    "retry_after_s",
]

LIMIT_HEADERS = (
    "retry-after",
    "ratelimit",
    "ratelimit-policy",
    "ratelimit-limit",
    "ratelimit-remaining",
    "ratelimit-reset",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
)


@dataclass(frozen=True)
class Quota:
    """One quota a response advertises, from whichever rate-limit header syntax carried it.

    ``limit``/``window_s`` describe the policy, ``remaining``/``reset_s`` its state after this
    response; each is None when the header does not say. ``source`` names the header.
    """

    source: str
    policy: str | None = None
    limit: int | None = None
    window_s: float | None = None
    remaining: int | None = None
    reset_s: float | None = None

    def matches(self, spec: RateLimitSpec) -> bool:
        return self.limit == spec.limit and self.window_s in (None, spec.window_s)

    def describe(self) -> str:
        window = f"/{self.window_s:g}s" if self.window_s is not None else ""
        name = f" {self.policy!r}" if self.policy else ""
        return f"{self.limit}{window} ({self.source}{name})"


def _epoch(value: str | None) -> float | None:
    try:
        when = parsedate_to_datetime(value or "")
    except (TypeError, ValueError):
        return None
    # An HTTP-date is always GMT; a zone-less one must not be read as local time.
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def date_of(headers: Mapping[str, str]) -> float | None:
    return _epoch(headers.get("date"))


def retry_after_s(value: str | None, *, now_epoch: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` value (delta-seconds or HTTP-date); None if invalid.

    An HTTP-date counts from ``now_epoch`` (the response's ``Date``), else from this clock.
    """
    value = (value or "").strip()
    if _DIGITS.fullmatch(value):
        return float(value)
    when = _epoch(value)
    if when is None:
        return None
    return max(0.0, when - (time.time() if now_epoch is None else now_epoch))


# --- Advertised quotas: IETF RateLimit-Policy/RateLimit, RateLimit-*, X-RateLimit-* -------

_DIGITS = re.compile(r"[0-9]+")
_LEADING_INT = re.compile(r"\s*([0-9]+)")
_WINDOW = re.compile(r";\s*w=([0-9]+)")
_DICT_MEMBER = re.compile(r"(?:^|,)\s*(limit|remaining|reset)=([0-9]+)")
# An epoch (``X-RateLimit-Reset: 1717171717``, GitHub style) rather than seconds to wait.
_EPOCH_FROM = 1_000_000_000


def _sf_list(value: str) -> list[SfItem]:
    """Members of a structured-field List (RFC 8941 §4.2.1); invalid members are left out."""
    members, start, quoted, escaped = [], 0, False, False
    for i, char in enumerate(value):
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            members.append(value[start:i])
            start = i + 1
    members.append(value[start:])
    return [item for m in members if (item := parse_sf_item(m.strip(" \t"))) is not None]


def _integer(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _reset(value: int | None, now_epoch: float | None) -> float | None:
    if value is None or value < _EPOCH_FROM:
        return None if value is None else float(value)
    return None if now_epoch is None else max(0.0, value - now_epoch)


def _leading(text: str | None) -> int | None:
    match = _LEADING_INT.match(text or "")
    return int(match.group(1)) if match else None


def _policies(value: str) -> dict[tuple[str, int | None], Quota]:
    """``RateLimit-Policy``, keyed by policy name (-08+) or by limit (-07, unnamed)."""
    quotas: dict[tuple[str, int | None], Quota] = {}
    for item in _sf_list(value):
        window = _integer(item.params.get("w"))
        if isinstance(item.value, str):
            quota = Quota("RateLimit-Policy", item.value, _integer(item.params.get("q")), window)
            quotas.setdefault((item.value, None), quota)
        elif (limit := _integer(item.value)) is not None:
            quotas.setdefault(("", limit), Quota("RateLimit-Policy", limit=limit, window_s=window))
    return quotas


def _current(value: str, now: float | None) -> dict[tuple[str, int | None], Quota]:
    """``RateLimit``: a -07 Dictionary (``limit=5, remaining=0, reset=54``) or a -08+ List."""
    if members := {name: int(n) for name, n in _DICT_MEMBER.findall(value)}:
        limit = members.get("limit")
        reset = _reset(members.get("reset"), now)
        quota = Quota("RateLimit", None, limit, None, members.get("remaining"), reset)
        return {("", limit): quota}
    return {
        (item.value, None): Quota(
            "RateLimit",
            item.value,
            remaining=_integer(item.params.get("r")),
            reset_s=_reset(_integer(item.params.get("t")), now),
        )
        for item in _sf_list(value)
        if isinstance(item.value, str)
    }


def _fields(headers: Mapping[str, str], prefix: str, source: str, now: float | None) -> Quota:
    """``RateLimit-Limit``/``-Remaining``/``-Reset`` or ``X-RateLimit-*``: leading integers."""
    limit = headers.get(prefix + "limit") or ""
    window = _WINDOW.search(limit)
    return Quota(
        source,
        limit=_leading(limit.split(",")[0]),
        window_s=int(window.group(1)) if window else None,
        remaining=_leading(headers.get(prefix + "remaining")),
        reset_s=_reset(_leading(headers.get(prefix + "reset")), now),
    )


def advertised_quotas(
    headers: Mapping[str, str], *, now_epoch: float | None = None
) -> tuple[Quota, ...]:
    """Every quota the headers advertise, in each syntax the IETF drafts and the field use:

    - ``RateLimit-Policy: "default";q=5;w=60`` with ``RateLimit: "default";r=0;t=54``
      (draft-ietf-httpapi-ratelimit-headers-08 and later: structured-field Lists joined by
      policy name; ``q`` quota, ``w`` window, ``r`` remaining, ``t`` reset seconds);
    - ``RateLimit-Policy: 5;w=60`` with ``RateLimit: limit=5, remaining=0, reset=54`` (-07);
    - ``RateLimit-Limit``/``-Remaining``/``-Reset`` (up to -06) and ``X-RateLimit-*``,
      whose ``-Reset`` may be an epoch, counted from ``now_epoch`` or the ``Date`` header.
    """
    headers = {k.lower(): v for k, v in headers.items()}
    now = now_epoch if now_epoch is not None else date_of(headers)
    quotas = _policies(headers.get("ratelimit-policy", ""))
    for key, found in _current(headers.get("ratelimit", ""), now).items():
        known = quotas.get(key)
        quotas[key] = (
            found
            if known is None
            else replace(known, remaining=found.remaining, reset_s=found.reset_s)
        )
    for prefix, source in (("ratelimit-", "RateLimit-Limit"), ("x-ratelimit-", "X-RateLimit-*")):
        if any(prefix + name in headers for name in ("limit", "remaining", "reset")):
            quotas[(source, None)] = _fields(headers, prefix, source, now)
    return tuple(quotas.values())


def advertised_limit(headers: Mapping[str, str]) -> int | None:
    """The first limit the headers advertise (see :func:`advertised_quotas`), if any."""
    return next((q.limit for q in advertised_quotas(headers) if q.limit is not None), None)
