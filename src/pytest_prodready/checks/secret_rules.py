"""Key patterns for public assets: detect-secrets' vendor plugins plus a thin layer of ours.

detect-secrets (Yelp, Apache-2.0, on PyPI) is the ruleset: its regex plugins are loaded at run
time, on the first scan, so importing this module stays cheap (they import ``requests``, and
with it some 160 modules: a tenth of a second of a smoke run). :func:`prime` keeps the patterns
they carry in a cache (pytest's, in the suite) under the installed detect-secrets version, so
later runs read them from there and never import detect-secrets. Its
last release is 1.5.0 (2024): our layer adds what it lacks, namely the seed apps' vendors
(Resend, Sentry, Supabase, Upstash, Twilio auth tokens, Stripe test keys) and newer formats.
Only plugins that name a vendor's key shape are used: its entropy, keyword and JWT detectors
and the ones that match identifiers or common words (Artifactory ``AP…``, Twilio ``AC…``
account SIDs, URL credentials, IBM/Cloudant/SoftLayer names) fire on minified JavaScript or on
public values, and its npm plugin (``//.+/:_authToken``) is quadratic on one minified line.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from pytest_prodready.core.store import Store

__all__ = [
    "CACHE_KEY",
    "OURS",
    "RULESET_PLUGINS",
    "Match",
    "Rule",
    "Store",
    "prime",
    "rules",
    "scan",
]

# detect-secrets plugins used, as module:class and a needle (see ``OURS``; "": always run).
# Each names one vendor's key shape.
RULESET_PLUGINS: tuple[tuple[str, str], ...] = (
    ("aws:AWSKeyDetector", ""),
    ("azure_storage_key:AzureStorageKeyDetector", "accountkey="),
    ("discord:DiscordBotTokenDetector", ""),
    ("github_token:GitHubTokenDetector", ""),
    ("gitlab_token:GitLabTokenDetector", ""),
    ("mailchimp:MailchimpDetector", r"-us\d"),
    ("openai:OpenAIDetector", "t3blbkfj"),
    ("private_key:PrivateKeyDetector", ""),
    ("pypi_token:PypiTokenDetector", "pypi-"),
    ("sendgrid:SendGridDetector", r"sg\."),
    ("slack:SlackDetector", ""),
    ("square_oauth:SquareOAuthDetector", "sq0csp-"),
    ("stripe:StripeDetector", "k_live_"),
    ("telegram_token:TelegramBotTokenDetector", ""),
)

_B64 = "[A-Za-z0-9_=-]"
# Ours, as (vendor and kind, needle, pattern). A pattern runs only on text where its needle (a
# lower-case regex, searched in the lowered text) is found: one fast pass instead of a slow
# one on the megabytes of a bundle that never mentions the vendor;
# a pattern with a group reports the group: the key, not the context around it.
OURS: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    (
        "Stripe secret key",
        "k_(?:live|test)_",
        re.compile(r"\b(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{10,}"),
    ),
    ("Stripe webhook secret", "whsec_", re.compile(r"\bwhsec_[0-9A-Za-z]{10,}")),
    ("OpenAI API key", "sk-", re.compile(r"\bsk-(?:proj-)?[0-9A-Za-z_-]{32,}")),
    ("Resend API key", "re_", re.compile(r"\bre_[0-9A-Za-z]{8}_[0-9A-Za-z]{24}\b")),
    ("Sentry auth token", "sntrys_", re.compile(r"\bsntrys_eyJ[A-Za-z0-9+/=_]{40,}")),
    ("Sentry user token", "sntryu_", re.compile(r"\bsntryu_[0-9a-f]{64}\b")),
    ("Supabase secret key", "sb_secret_", re.compile(r"\bsb_secret_[0-9A-Za-z_-]{20,}")),
    # Upstash REST tokens have no prefix: found beside an upstash.io URL, an UPSTASH_* name,
    # or inside a Redis URL's password; QStash tokens are base64 of {"UserID":…}.
    (
        "Upstash token",
        "upstash",
        re.compile(
            rf"\.upstash\.io[\"'][^;{{}}]{{0,60}}?\btoken[\"']?\s*:\s*[\"']({_B64}{{30,}})[\"']"
        ),
    ),
    (
        "Upstash token",
        "upstash",
        re.compile(
            rf"\btoken[\"']?\s*:\s*[\"']({_B64}{{30,}})[\"'][^;{{}}]{{0,20}}?"
            r"\burl[\"']?\s*:\s*[\"']https://[\w-]+\.upstash\.io"
        ),
    ),
    (
        "Upstash token",
        "upstash",
        re.compile(
            r"(?:UPSTASH|[Uu]pstash)\w*(?:TOKEN|[Tt]oken)[\"']?\s*[:=]\s*[\"']"
            rf"({_B64}{{30,}})[\"']"
        ),
    ),
    (
        "Upstash Redis password",
        "upstash",
        re.compile(r"\brediss?://[^:@/\s\"']*:([\w-]{20,})@[\w.-]+\.upstash\.io"),
    ),
    ("Upstash QStash token", "eyjvc2vysuqioi", re.compile(rf"\beyJVc2VySUQiOi{_B64}{{20,}}")),
    # A Twilio auth token is 32 hex digits: a secret only where Twilio's name says so (also in
    # NEXT_PUBLIC_TWILIO_…), or beside its account SID (``twilio(sid, token)``, minified too).
    (
        "Twilio auth token",
        "twilio",
        re.compile(
            r"(?:TWILIO|[Tt]wilio)\w*(?:AUTH|[Aa]uth|TOKEN|[Tt]oken)\w*[\"']?\s*[:=]\s*"
            r"[\"']([0-9a-f]{32})[\"']"
        ),
    ),
    (
        "Twilio auth token",
        "ac[0-9a-f]{32}",
        re.compile(
            r"[\"']AC[0-9a-f]{32}[\"'](?:\s*,\s*|[^;{}]{0,40}?\b[Aa]uth_?[Tt]oken[\"']?\s*:\s*)"
            r"[\"']([0-9a-f]{32})[\"']"
        ),
    ),
)


@dataclass(frozen=True)
class Match:
    """One key found: who issued it, the key (or its context), and where it starts."""

    kind: str
    value: str
    start: int


Rule = tuple[str, re.Pattern[str] | None, re.Pattern[str], bool]

# A key is a whole token: one that continues a run of these (a base64 blob, a search index, a
# longer identifier such as ``ask_live``) is a look-alike, not a key.
_TOKEN_CHARS = frozenset(string.ascii_letters + string.digits + "+/_")


def _rule(kind: str, needle: str, pattern: re.Pattern[str], grouped: bool) -> Rule:
    """(kind, needle, pattern, report the group?).

    CPython's regex engine finds a pattern's leading literal with a fast search, but not one
    behind ``\\b`` (it then tries every position, 4x slower): ``scan`` checks the start instead.
    """
    if pattern.pattern.startswith(r"\b"):
        pattern = re.compile(pattern.pattern[2:], pattern.flags)
    return kind, re.compile(needle) if needle else None, pattern, grouped


# The ruleset's patterns as plain data: (kind, needle, pattern source, regex flags).
Pattern = tuple[str, str, str, int]
CACHE_KEY = "prodready/secret-rules"
_primed: list[Pattern] = []


def _ruleset_patterns() -> list[Pattern]:
    """The patterns of the ruleset's plugins, imported from detect-secrets."""
    found: list[Pattern] = []
    for spec, needle in RULESET_PLUGINS:
        module, name = spec.split(":")
        try:
            plugin = getattr(importlib.import_module(f"detect_secrets.plugins.{module}"), name)
        except ImportError as error:  # a broken install: say which dependency, not a trace
            raise RuntimeError(
                "pytest-prodready's secret rules need detect-secrets>=1.5: reinstall the plugin"
            ) from error
        found += [(str(plugin.secret_type), needle, p.pattern, p.flags) for p in plugin.denylist]
    return found


def _valid(value: object) -> bool:
    return isinstance(value, list) and all(
        isinstance(row, list)
        and len(row) == 4
        and all(isinstance(x, str) for x in row[:3])
        and isinstance(row[3], int)
        for row in value
    )


def prime(store: Store | None) -> None:
    """Read the ruleset's patterns from ``store`` when it holds them for the installed
    detect-secrets, else import them and keep them there. Without a store (pytest's cache
    disabled), the first scan imports them."""
    if store is None or _primed:
        return
    try:
        version = importlib.metadata.version("detect-secrets")
    except importlib.metadata.PackageNotFoundError:
        return  # the first scan says what is missing
    entry = store.get(CACHE_KEY, None)
    if isinstance(entry, dict) and entry.get("version") == version and _valid(entry.get("rules")):
        patterns = [(kind, needle, source, flags) for kind, needle, source, flags in entry["rules"]]
    else:
        patterns = _ruleset_patterns()
        store.set(CACHE_KEY, {"version": version, "rules": [list(p) for p in patterns]})
    _primed[:] = patterns


@cache
def rules() -> tuple[Rule, ...]:
    """The ruleset's plugins, then ours."""
    patterns = list(_primed) or _ruleset_patterns()
    # Their groups capture prefixes (``(ghp|gho)``), not keys: report the whole match.
    found = [
        _rule(kind, needle, re.compile(source, flags), False)
        for kind, needle, source, flags in patterns
    ]
    found += [_rule(kind, needle, pattern, True) for kind, needle, pattern in OURS]
    return tuple(found)


def scan(text: str) -> Iterator[Match]:
    """Every key in ``text``; one match per start, the ruleset's name winning over ours."""
    starts: set[int] = set()
    lowered = text.lower()
    for kind, needle, pattern, grouped in rules():
        if needle is not None and not needle.search(lowered):
            continue
        for match in pattern.finditer(text):
            group = match.lastindex if grouped and match.lastindex else 0
            start = match.start(group)
            if start in starts or (start and text[start - 1] in _TOKEN_CHARS):
                continue
            starts.add(start)
            yield Match(kind, match.group(group), start)
