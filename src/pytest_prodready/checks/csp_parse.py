"""Content-Security-Policy grammar (CSP Level 3): header values into frozen dataclasses.

Parsing follows the specification's "parse a serialized CSP" algorithm so the model holds what
a browser holds: policies split on ",", directives on ";", directive names lowercased, the first
of a repeated directive wins. Nothing is rejected: whatever a browser would skip is kept
(``Policy.duplicates``, ``Policy.malformed``, a :class:`Source` of kind ``INVALID`` with its
:class:`Problem`) so the evaluator in :mod:`pytest_prodready.checks.csp` can report it.
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import NamedTuple

__all__ = [
    "DEPRECATED_DIRECTIVES",
    "FALLBACKS",
    "FETCH_DIRECTIVES",
    "KEYWORDS",
    "KNOWN_DIRECTIVES",
    "SOURCE_LIST_DIRECTIVES",
    "Directive",
    "Policy",
    "Problem",
    "Source",
    "SourceKind",
    "parse",
    "parse_list",
]

FETCH_DIRECTIVES = frozenset(
    {
        "child-src",
        "connect-src",
        "default-src",
        "fenced-frame-src",
        "font-src",
        "frame-src",
        "img-src",
        "manifest-src",
        "media-src",
        "object-src",
        "prefetch-src",
        "script-src",
        "script-src-attr",
        "script-src-elem",
        "style-src",
        "style-src-attr",
        "style-src-elem",
        "worker-src",
    }
)
SOURCE_LIST_DIRECTIVES = FETCH_DIRECTIVES | {
    "base-uri",
    "form-action",
    "frame-ancestors",
    "navigate-to",
}
# Removed from the specification or never shipped; browsers ignore them.
DEPRECATED_DIRECTIVES = frozenset(
    {
        "block-all-mixed-content",
        "disown-opener",
        "navigate-to",
        "plugin-types",
        "prefetch-src",
        "referrer",
        "reflected-xss",
        "require-sri-for",
    }
)
KNOWN_DIRECTIVES = (
    SOURCE_LIST_DIRECTIVES
    | DEPRECATED_DIRECTIVES
    | {
        "report-to",
        "report-uri",
        "require-trusted-types-for",
        "sandbox",
        "trusted-types",
        "upgrade-insecure-requests",
        "webrtc",
    }
)
# Quoted keyword-sources, without their quotes.
KEYWORDS = frozenset(
    {
        "inline-speculation-rules",
        "none",
        "report-sample",
        "report-sha256",
        "report-sha384",
        "report-sha512",
        "self",
        "strict-dynamic",
        "trusted-types-eval",
        "unsafe-allow-redirects",
        "unsafe-eval",
        "unsafe-hashes",
        "unsafe-inline",
        "wasm-unsafe-eval",
    }
)
# Keywords that allow no load and no execution by themselves.
_INERT_KEYWORDS = frozenset(
    {"none", "report-sample", "report-sha256", "report-sha384", "report-sha512"}
)

# Which directive governs a request type, most specific first (CSP3 "effective directive").
FALLBACKS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "script-src-elem": ("script-src-elem", "script-src", "default-src"),
        "script-src-attr": ("script-src-attr", "script-src", "default-src"),
        "script-src": ("script-src", "default-src"),
        "style-src-elem": ("style-src-elem", "style-src", "default-src"),
        "style-src-attr": ("style-src-attr", "style-src", "default-src"),
        "style-src": ("style-src", "default-src"),
        "worker-src": ("worker-src", "child-src", "script-src", "default-src"),
        "frame-src": ("frame-src", "child-src", "default-src"),
        "fenced-frame-src": ("fenced-frame-src", "frame-src", "child-src", "default-src"),
        "child-src": ("child-src", "default-src"),
        "connect-src": ("connect-src", "default-src"),
        "font-src": ("font-src", "default-src"),
        "img-src": ("img-src", "default-src"),
        "manifest-src": ("manifest-src", "default-src"),
        "media-src": ("media-src", "default-src"),
        "object-src": ("object-src", "default-src"),
        "default-src": ("default-src",),
    }
)

_NAME = re.compile(r"[a-z0-9-]+")
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]+={0,2}")
_HASH = re.compile(r"(sha256|sha384|sha512)-(.*)", re.IGNORECASE)
_UNQUOTED_PREFIXES = ("nonce-", "sha256-", "sha384-", "sha512-")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_HOST_SOURCE = re.compile(
    r"(?:(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://)?"
    r"(?P<host>\*|\[[0-9A-Fa-f:.]+\]|(?:\*\.)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.?)"
    r"(?::(?P<port>[0-9]+|\*))?"
    # Browsers ignore a query or fragment on a source expression, so it is accepted.
    r"(?P<path>/[^?#]*)?(?:[?#].*)?"
)
_IPV4 = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}")


class SourceKind(enum.Enum):
    """What a source expression is, per the CSP3 grammar."""

    KEYWORD = "keyword"
    NONCE = "nonce"
    HASH = "hash"
    SCHEME = "scheme"
    HOST = "host"
    INVALID = "invalid"


class Problem(enum.Enum):
    """Why a source expression is ``INVALID`` (browsers ignore every one of these)."""

    UNQUOTED_KEYWORD = "keyword without single quotes"
    UNKNOWN_KEYWORD = "unknown keyword"
    UNBALANCED_QUOTE = "unbalanced single quote"
    EMPTY_NONCE = "nonce without a value"
    NONCE_CHARSET = "nonce outside the base64 alphabet"
    BAD_HASH = "malformed hash"
    DIRECTIVE_NAME = "directive name inside a value"
    SYNTAX = "not a source expression"


class Source(NamedTuple):
    """One source expression of a source list, normalised where CSP is case-insensitive.

    Immutable like the dataclasses around it, but a named tuple: a padded 100 KB header holds
    tens of thousands of these, and a tuple is several times cheaper to build.
    """

    raw: str
    kind: SourceKind
    # keyword (lowercase, unquoted), hash algorithm, or "nonce" for a malformed nonce
    name: str = ""
    # nonce value or hash digest, case preserved
    value: str = ""
    scheme: str = ""
    host: str = ""
    port: str = ""
    path: str = ""
    problem: Problem | None = None

    @property
    def is_ip(self) -> bool:
        """Whether the host is an IP literal (browsers match those only literally)."""
        first = self.host[:1]
        return first == "[" or (first.isdigit() and _IPV4.fullmatch(self.host) is not None)


@dataclass(frozen=True, slots=True)
class Directive:
    """One directive as the browser keeps it, with its text as written for evidence.

    For a source list, ``sources`` holds each distinct expression once, and the facts the
    evaluator asks about are collected in the same pass.
    """

    name: str
    values: tuple[str, ...]
    raw: str
    sources: tuple[Source, ...] = ()
    keywords: frozenset[str] = frozenset()
    hosts: tuple[Source, ...] = ()
    schemes: tuple[Source, ...] = ()
    invalid: tuple[Source, ...] = ()
    # every 'nonce-<value>', well-formed or not
    nonces: tuple[Source, ...] = ()
    has_nonce: bool = False
    has_hash: bool = False

    @property
    def is_source_list(self) -> bool:
        """Whether the value is a source list (fetch directives, base-uri, form-action, ...)."""
        return self.name in SOURCE_LIST_DIRECTIVES

    @property
    def allows_nothing(self) -> bool:
        """Whether the source list matches nothing ('none', empty, or only ignored entries)."""
        return not (
            self.keywords - _INERT_KEYWORDS
            or self.hosts
            or self.schemes
            or self.has_nonce
            or self.has_hash
        )


@dataclass(frozen=True)
class Policy:
    """One serialized policy: its directives (first occurrence wins) and what browsers skip."""

    raw: str
    directives: tuple[Directive, ...]
    duplicates: tuple[Directive, ...] = ()
    malformed: tuple[str, ...] = ()
    _index: dict[str, Directive] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {d.name: d for d in self.directives})

    def get(self, name: str) -> Directive | None:
        """The directive called ``name`` (lowercase), if the policy has it."""
        return self._index.get(name)

    def effective(self, directive: str) -> Directive | None:
        """The directive that governs ``directive``'s requests, following CSP3 fallbacks."""
        for name in FALLBACKS.get(directive, (directive,)):
            found = self._index.get(name)
            if found is not None:
                return found
        return None

    @property
    def is_void(self) -> bool:
        """Whether no directive is one a browser knows: the policy enforces nothing."""
        return not any(d.name in KNOWN_DIRECTIVES for d in self.directives)


@functools.lru_cache(maxsize=8192)
def _source(token: str) -> Source:
    lower = token.lower()
    if token.startswith("'"):
        if len(token) < 2 or not token.endswith("'"):
            return Source(token, SourceKind.INVALID, problem=Problem.UNBALANCED_QUOTE)
        inner = token[1:-1]
        inner_lower = lower[1:-1]
        if inner_lower in KEYWORDS:
            return Source(token, SourceKind.KEYWORD, name=inner_lower)
        if inner_lower in ("nonce", "nonce-"):
            return Source(token, SourceKind.INVALID, name="nonce", problem=Problem.EMPTY_NONCE)
        if inner_lower.startswith("nonce-"):
            value = inner[6:]
            if _BASE64.fullmatch(value):
                return Source(token, SourceKind.NONCE, name="nonce", value=value)
            return Source(
                token, SourceKind.INVALID, name="nonce", value=value, problem=Problem.NONCE_CHARSET
            )
        hashed = _HASH.fullmatch(inner)
        if hashed and _BASE64.fullmatch(hashed.group(2)):
            return Source(
                token, SourceKind.HASH, name=hashed.group(1).lower(), value=hashed.group(2)
            )
        problem = Problem.BAD_HASH if hashed else Problem.UNKNOWN_KEYWORD
        return Source(token, SourceKind.INVALID, problem=problem)
    if token.endswith("'"):
        return Source(token, SourceKind.INVALID, problem=Problem.UNBALANCED_QUOTE)
    if lower in KEYWORDS or lower.startswith(_UNQUOTED_PREFIXES):
        return Source(token, SourceKind.INVALID, problem=Problem.UNQUOTED_KEYWORD)
    if lower in KNOWN_DIRECTIVES:
        return Source(token, SourceKind.INVALID, problem=Problem.DIRECTIVE_NAME)
    if lower[-1] == ":" and _SCHEME.fullmatch(lower):
        return Source(token, SourceKind.SCHEME, scheme=lower[:-1])
    host = _HOST_SOURCE.fullmatch(lower)
    if host is None:
        return Source(token, SourceKind.INVALID, problem=Problem.SYNTAX)
    scheme, name, port, path = host.groups("")
    if path:
        # Only the path is case-sensitive: take it from the token as written.
        path = token[host.start("path") : host.end("path")]
    # tuple.__new__ skips the defaults handling of the generated constructor: hosts are the
    # bulk of a long policy.
    return tuple.__new__(Source, (token, SourceKind.HOST, "", "", scheme, name, port, path, None))


def _directive(name: str, parts: list[str], *, with_sources: bool = True) -> Directive:
    values = tuple(parts[1:])
    raw = " ".join(parts)
    if not with_sources or name not in SOURCE_LIST_DIRECTIVES:
        return Directive(name, values, raw)
    # Repeated expressions change nothing for the browser; classifying each once keeps a
    # padded 100 KB header cheap.
    sources = [_source(token) for token in dict.fromkeys(values)]
    keywords: set[str] = set()
    hosts: list[Source] = []
    schemes: list[Source] = []
    invalid: list[Source] = []
    nonces: list[Source] = []
    has_hash = False
    for source in sources:
        kind = source.kind
        if kind is SourceKind.HOST:
            hosts.append(source)
        elif kind is SourceKind.KEYWORD:
            keywords.add(source.name)
        elif kind is SourceKind.SCHEME:
            schemes.append(source)
        elif kind is SourceKind.HASH:
            has_hash = True
        elif kind is SourceKind.INVALID:
            invalid.append(source)
        if source.name == "nonce" and source.value:
            nonces.append(source)
    return Directive(
        name,
        values,
        raw,
        tuple(sources),
        frozenset(keywords),
        tuple(hosts),
        tuple(schemes),
        tuple(invalid),
        tuple(nonces),
        any(n.kind is SourceKind.NONCE for n in nonces),
        has_hash,
    )


def parse(policy: str) -> Policy:
    """Parse one serialized policy (no commas: see :func:`parse_list` for header values)."""
    directives: dict[str, Directive] = {}
    duplicates: list[Directive] = []
    malformed: list[str] = []
    for token in policy.split(";"):
        parts = token.split()
        if not parts:
            continue
        name = parts[0].lower()
        if not token.isascii() or not _NAME.fullmatch(name):
            # Browsers skip non-ASCII directives; a name outside the grammar matches no
            # directive, so it is just as dead.
            malformed.append(" ".join(parts))
        elif name in directives:
            duplicates.append(_directive(name, parts, with_sources=False))
        else:
            directives[name] = _directive(name, parts)
    return Policy(policy.strip(), tuple(directives.values()), tuple(duplicates), tuple(malformed))


def parse_list(header_values: Iterable[str]) -> tuple[Policy, ...]:
    """Every policy in some header values: each value is a comma-separated policy list.

    Empty policies are dropped, as browsers drop them.
    """
    return tuple(
        parse(serialized)
        for value in header_values
        for serialized in value.split(",")
        if serialized.strip()
    )
