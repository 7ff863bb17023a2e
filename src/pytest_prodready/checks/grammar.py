"""Pure parsers for the header grammars the checks judge, and the few response facts they share.

Each parser follows what browsers do with the value (RFC 6797 for HSTS, RFC 6265bis for
Set-Cookie, RFC 9111 for Cache-Control, RFC 8941 for structured items), because a header a
browser ignores protects nobody however close to right it looks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from pytest_prodready.core.evidence import clip

__all__ = [
    "Cookie",
    "Hsts",
    "SfItem",
    "clip",
    "header_evidence",
    "joined",
    "media_type",
    "parse_cache_control",
    "parse_cookie_date",
    "parse_hsts",
    "parse_set_cookie",
    "parse_sf_item",
    "request_of",
    "response_date",
    "split_list",
]

# RFC 9110 token characters.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
_DIGITS = re.compile(r"[0-9]+")


def header_evidence(name: str, value: str, limit: int = 200) -> str:
    """``Name: value`` as evidence, the value clipped so a hostile header cannot flood a report."""
    return f"{name}: {clip(value, limit)}"


def joined(response: httpx.Response, name: str) -> str | None:
    """Every field line of ``name`` combined as a recipient must (RFC 9110 §5.3), or None."""
    values = response.headers.get_list(name)
    return ", ".join(values) if values else None


def split_list(value: str) -> list[str]:
    """A comma-separated list's members, stripped, empty members dropped (RFC 9110 §5.6.1)."""
    return [member.strip() for member in value.split(",") if member.strip()]


def media_type(response: httpx.Response) -> str:
    """The response's media type without parameters, lowercased; "" when absent."""
    value: str = response.headers.get("content-type", "")
    return value.split(";", 1)[0].strip().lower()


def request_of(response: httpx.Response) -> httpx.Request | None:
    """The request that produced ``response``; None for a response built without one."""
    try:
        return response.request
    except RuntimeError:
        return None


def response_date(response: httpx.Response) -> datetime:
    """The response's Date header, else now: cookie expiry is judged against the server clock."""
    value = response.headers.get("date")
    if value:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            parsed = None
        if parsed is not None:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return datetime.now(UTC)


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


# --- Strict-Transport-Security (RFC 6797 §6.1) -------------------------------------------


@dataclass(frozen=True)
class Hsts:
    """A parsed Strict-Transport-Security value; ``error`` says why a browser would ignore it."""

    max_age: int | None = None
    include_subdomains: bool = False
    preload: bool = False
    error: str | None = None

    @property
    def valid(self) -> bool:
        return self.error is None


def parse_hsts(value: str) -> Hsts:
    """Parse one Strict-Transport-Security field value.

    Directive names are case-insensitive, values may be quoted (``max-age="31536000"`` is
    valid), whitespace around ``=`` is allowed, empty directives are allowed. A value a UA must
    ignore yields ``error``: no max-age, a max-age that is not delta-seconds, a directive given
    twice (RFC 6797 §6.1 "MUST appear only once"), a value on includeSubDomains or preload, or
    anything that is not token / quoted-string (a comma from two merged headers, curly quotes).
    """
    seen: dict[str, str | None] = {}
    for raw in value.split(";"):
        directive = raw.strip()
        if not directive:
            continue
        name, sep, argument = directive.partition("=")
        name = name.strip()
        if not _TOKEN.fullmatch(name):
            return Hsts(error=f"malformed directive {clip(directive, 60)!r}")
        key = name.lower()
        if key in seen:
            return Hsts(error=f"directive {name!r} appears more than once")
        if sep:
            argument = argument.strip()
            if not (_TOKEN.fullmatch(argument) or _QUOTED.fullmatch(argument)):
                return Hsts(error=f"malformed value in {clip(directive, 60)!r}")
            seen[key] = _unquote(argument)
        else:
            seen[key] = None
    if "max-age" not in seen:
        return Hsts(error="no max-age directive")
    max_age = seen["max-age"]
    if max_age is None or not _DIGITS.fullmatch(max_age):
        return Hsts(error=f"max-age is not a number of seconds: {max_age!r}")
    for flag in ("includesubdomains", "preload"):
        if seen.get(flag) is not None:
            return Hsts(error=f"{flag} takes no value")
    return Hsts(
        max_age=int(max_age),
        include_subdomains="includesubdomains" in seen,
        preload="preload" in seen,
    )


# --- Set-Cookie (RFC 6265bis §5.6) ---------------------------------------------------------

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DATE_DELIMITERS = re.compile(r"[\x09\x20-\x2f\x3b-\x40\x5b-\x60\x7b-\x7e]+")
_DATE_TIME = re.compile(r"(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\D.*)?")
_DATE_DAY = re.compile(r"(\d{1,2})(?:\D.*)?")
_DATE_YEAR = re.compile(r"(\d{2,4})(?:\D.*)?")


def parse_cookie_date(value: str) -> datetime | None:
    """The cookie-date algorithm of RFC 6265 §5.1.1 (what browsers accept in Expires).

    Lenient on purpose: ``Thu, 01-Jan-1970 00:00:00 GMT`` and ``Thu Jan 01 1970 00:00:00``
    both parse; a date browsers would reject yields None.
    """
    time: tuple[int, int, int] | None = None
    day: int | None = None
    month: int | None = None
    year: int | None = None
    for token in _DATE_DELIMITERS.split(value):
        if not token:
            continue
        if time is None and (m := _DATE_TIME.fullmatch(token)):
            time = (int(m[1]), int(m[2]), int(m[3]))
        elif day is None and (m := _DATE_DAY.fullmatch(token)):
            day = int(m[1])
        elif month is None and token[:3].lower() in _MONTHS and len(token) >= 3:
            month = _MONTHS.index(token[:3].lower()) + 1
        elif year is None and (m := _DATE_YEAR.fullmatch(token)):
            year = int(m[1])
    if time is None or day is None or month is None or year is None:
        return None
    if 70 <= year <= 99:
        year += 1900
    elif 0 <= year <= 69:
        year += 2000
    hour, minute, second = time
    if not 1 <= day <= 31 or year < 1601 or hour > 23 or minute > 59 or second > 59:
        return None
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        return None


@dataclass(frozen=True)
class Cookie:
    """One Set-Cookie line as a browser reads it; attribute names are case-insensitive and the
    last occurrence of an attribute wins (RFC 6265bis §5.7)."""

    name: str
    value: str
    secure: bool = False
    http_only: bool = False
    same_site: str | None = None
    """The SameSite value as sent ("" for a bare ``SameSite``), None when absent."""
    max_age: int | None = None
    expires: datetime | None = None
    domain: str | None = None
    path: str | None = None
    attributes: dict[str, str] = field(default_factory=dict, hash=False)
    """Every attribute, lowercased name -> last value ("" for a flag)."""
    raw: str = ""

    @property
    def prefix(self) -> str | None:
        """``__Host-`` or ``__Secure-`` when the name carries one (matched case-insensitively,
        as RFC 6265bis does, so ``__host-`` gets the same browser checks)."""
        lowered = self.name.lower()
        for prefix in ("__Host-", "__Secure-"):
            if lowered.startswith(prefix.lower()):
                return prefix
        return None

    def is_deletion(self, now: datetime) -> bool:
        """True when the cookie expires on arrival: Max-Age <= 0, or (Max-Age absent, since it
        takes precedence) an Expires not after ``now``."""
        if self.max_age is not None:
            return self.max_age <= 0
        return self.expires is not None and self.expires <= now


def parse_set_cookie(value: str) -> Cookie:
    """Parse one Set-Cookie field value.

    A name-value pair without ``=`` is a cookie with an empty name (RFC 6265bis), Max-Age values
    that are not ``-?digits`` and unparsable Expires dates are ignored, as browsers ignore them.
    """
    pair, _, rest = value.partition(";")
    if "=" in pair:
        name, _, cookie_value = pair.partition("=")
    else:
        name, cookie_value = "", pair
    attributes: dict[str, str] = {}
    max_age: int | None = None
    expires: datetime | None = None
    for item in rest.split(";"):
        key, _, argument = item.partition("=")
        key, argument = key.strip().lower(), argument.strip()
        if not key:
            continue
        attributes[key] = argument
        if key == "max-age" and re.fullmatch(r"-?[0-9]+", argument):
            max_age = int(argument)
        elif key == "expires" and (date := parse_cookie_date(argument)) is not None:
            expires = date
    return Cookie(
        name=name.strip(),
        value=cookie_value.strip(),
        secure="secure" in attributes,
        http_only="httponly" in attributes,
        same_site=attributes.get("samesite"),
        max_age=max_age,
        expires=expires,
        domain=attributes.get("domain"),
        path=attributes.get("path"),
        attributes=attributes,
        raw=value,
    )


# --- Cache-Control (RFC 9111 §5.2) ---------------------------------------------------------

_CC_DIRECTIVE = re.compile(
    r"""\s*(?P<name>[^\s=,"]+)\s*(?:=\s*(?P<value>"(?:[^"\\]|\\.)*"|[^\s,"]*))?\s*(?:,|$)"""
)


def parse_cache_control(value: str) -> dict[str, str | None]:
    """Cache-Control directives: lowercased name -> unquoted value (None for a bare directive).

    Commas inside quoted values (``private="set-cookie, x-id"``) do not split. When a directive
    repeats, the first occurrence is used (RFC 9111 §4.2.1 allows first-wins). Garbage between
    directives is skipped, as caches skip it.
    """
    directives: dict[str, str | None] = {}
    position = 0
    while position < len(value):
        match = _CC_DIRECTIVE.match(value, position)
        if match is None:
            # Skip to the next comma: one malformed member must not hide the rest.
            comma = value.find(",", position)
            if comma == -1:
                break
            position = comma + 1
            continue
        position = match.end()
        name, raw = match["name"].lower(), match["value"]
        if name not in directives:
            directives[name] = None if raw is None else _unquote(raw)
    return directives


# --- Structured field items (RFC 8941 §4.2.3) ----------------------------------------------

BareItem = int | float | str | bytes | bool


@dataclass(frozen=True)
class SfItem:
    """A structured-field item; a token's value is ``str`` like a string's, ``is_token`` tells."""

    value: BareItem
    is_token: bool
    params: dict[str, BareItem] = field(default_factory=dict, hash=False)


_SF_TOKEN = re.compile(r"[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*")
_SF_KEY = re.compile(r"[a-z*][a-z0-9_\-.*]*")
_SF_NUMBER = re.compile(r"-?[0-9]{1,15}(?:\.[0-9]{1,3})?")
_SF_STRING = re.compile(r'"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"')
_SF_BYTES = re.compile(r":([A-Za-z0-9+/=]*):")


def _bare_item(text: str, position: int) -> tuple[BareItem, bool, int] | None:
    if m := _SF_NUMBER.match(text, position):
        number = m[0]
        if "." in number:
            if len(number.split(".")[0].lstrip("-")) > 12:
                return None
            return float(number), False, m.end()
        return int(number), False, m.end()
    if m := _SF_STRING.match(text, position):
        return re.sub(r"\\(.)", r"\1", m[1]), False, m.end()
    if m := _SF_TOKEN.match(text, position):
        return m[0], True, m.end()
    if m := _SF_BYTES.match(text, position):
        return m[1].encode("ascii"), False, m.end()
    if text.startswith(("?0", "?1"), position):
        return text[position + 1] == "1", False, position + 2
    return None


def parse_sf_item(value: str) -> SfItem | None:
    """Parse ``value`` as a structured-field item with parameters, or None if it is not one.

    Used for Cross-Origin-Opener-Policy and Cross-Origin-Embedder-Policy, whose browsers
    ignore anything that fails this grammar (two merged headers, a stray comma, ``Same-Origin``
    is still a token but not a known one: that is for the caller to judge).
    """
    text = value.strip(" ")
    parsed = _bare_item(text, 0)
    if parsed is None:
        return None
    item, is_token, position = parsed
    params: dict[str, BareItem] = {}
    while position < len(text) and text[position] == ";":
        position += 1
        while position < len(text) and text[position] == " ":
            position += 1
        key = _SF_KEY.match(text, position)
        if key is None:
            return None
        position = key.end()
        param: BareItem = True
        if position < len(text) and text[position] == "=":
            bare = _bare_item(text, position + 1)
            if bare is None:
                return None
            param, _, position = bare
        params[key[0]] = param
    if position != len(text):
        return None
    return SfItem(item, is_token, params)
