"""How far Supabase's public (anon) key reaches: tables, storage buckets, auth settings.

Every visitor's bundle carries the project URL and the anon key, so Row Level Security is all
that stands between that key and the rows. The facts are what PostgREST, Storage and GoTrue
answer that key: a row count from ``Content-Range`` (never a row), how many objects a bucket
listing returned (never their names), and the public auth settings.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from pytest_prodready.config.access import SupabaseSpec
from pytest_prodready.core.findings import Finding, Severity, rule

__all__ = [
    "DECLARED_PRIVATE",
    "UNDECLARED",
    "evaluate_auth_settings",
    "evaluate_bucket",
    "evaluate_table",
    "public_keys",
    "rest_root_tables",
    "row_count",
    "tables_to_check",
]

TABLE_READABLE = rule(
    "supabase.table-readable",
    Severity.HIGH,
    "Supabase's public (anon) key reads rows of a private table",
    "Enable Row Level Security on the table (alter table ... enable row level security) and "
    "add policies that grant only what each role needs (e.g. auth.uid() = user_id), or "
    "revoke the anon role's select; declare tables meant to be public in public_tables.",
)
BUCKET_LISTABLE = rule(
    "supabase.bucket-listable",
    Severity.HIGH,
    "Supabase's public (anon) key lists the objects of a private storage bucket",
    "Make the bucket private and scope the select policies on storage.objects to the owner "
    "(e.g. bucket_id = '<bucket>' and owner_id = auth.uid()::text); drop policies that let "
    "the anon role select every object.",
)
EMAIL_AUTOCONFIRM = rule(
    "supabase.email-autoconfirm",
    Severity.MEDIUM,
    "Supabase Auth confirms new email sign-ups without a confirmation email",
    "Enable 'Confirm email' (Authentication > Providers > Email), so an address must be "
    "owned before it gets an account; set email_autoconfirm = true if this is intended.",
)
PROVIDER_MISMATCH = rule(
    "supabase.provider-mismatch",
    Severity.MEDIUM,
    "Supabase Auth's enabled sign-in providers differ from the declared ones",
    "Disable the providers the app does not offer (Authentication > Providers), or declare "
    "them in providers.",
)
SIGNUP_MISMATCH = rule(
    "supabase.signup-mismatch",
    Severity.MEDIUM,
    "Supabase Auth's sign-up setting differs from the declared one",
    "Set 'Allow new users to sign up' (Authentication > Sign In / Providers) to what the app "
    "needs, or fix disable_signup in the configuration.",
)

DECLARED_PRIVATE = "declared private"
UNDECLARED = "undeclared, listed by the REST root"
_JWT = re.compile(r"\beyJ[0-9A-Za-z_-]{8,}\.(eyJ[0-9A-Za-z_-]{8,})\.[0-9A-Za-z_-]{8,}")
_PUBLISHABLE = re.compile(r"\bsb_publishable_[0-9A-Za-z_-]{16,}")
_RANGE = re.compile(r"^\s*(?:\*|\d+-\d+)\s*/\s*(\d+)\s*$")


def row_count(content_range: str | None) -> int | None:
    """The total of a PostgREST ``Content-Range`` (``0-24/3573`` or ``*/0``); None without one."""
    match = _RANGE.match(content_range or "")
    return int(match.group(1)) if match else None


def _claims_role(payload: str) -> object:
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    return claims.get("role") if isinstance(claims, dict) else None


def public_keys(texts: Iterable[str]) -> tuple[str, ...]:
    """The Supabase public keys in ``texts``, first seen first: ``sb_publishable_`` keys and
    JWTs whose ``role`` is ``anon`` (never a service-role key: that one is bundle.secret-key)."""
    found: list[str] = []
    for text in texts:
        keys = [m.group(0) for m in _PUBLISHABLE.finditer(text)]
        keys += [m.group(0) for m in _JWT.finditer(text) if _claims_role(m.group(1)) == "anon"]
        found += keys
    return tuple(dict.fromkeys(found))


def rest_root_tables(document: Any) -> tuple[str, ...]:
    """The tables and views PostgREST's root (its OpenAPI description) lists for the key."""
    paths = document.get("paths") if isinstance(document, dict) else None
    if not isinstance(paths, dict):
        return ()
    names = (p[1:] for p in paths if isinstance(p, str) and p.startswith("/"))
    return tuple(sorted(n for n in names if n and "/" not in n and not n.startswith("rpc")))


def tables_to_check(spec: SupabaseSpec, listed: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """(table, why it must be closed): the private tables, then each listed table the
    configuration does not declare public or private."""
    declared = set(spec.private_tables) | set(spec.public_tables)
    undeclared = [t for t in listed if t not in declared]
    return tuple(
        [(t, DECLARED_PRIVATE) for t in spec.private_tables] + [(t, UNDECLARED) for t in undeclared]
    )


def evaluate_table(table: str, why: str, response: httpx.Response) -> list[Finding]:
    """``HEAD /rest/v1/<table>?select=*`` with ``Prefer: count=exact``: no row, or refused."""
    if not 200 <= response.status_code < 300:
        return []  # 401/403 (no grant), 404 (not exposed): the key reads nothing
    count = row_count(response.headers.get("content-range"))
    if not count:
        return []
    return [
        TABLE_READABLE(
            f"the anon key sees {count} row{'s' * (count != 1)} of {table} ({why}; "
            f"HEAD answered {response.status_code}, Content-Range */{count})",
            url=str(response.request.url),
        )
    ]


def evaluate_bucket(bucket: str, response: httpx.Response) -> list[Finding]:
    """Storage's object listing of a private bucket, with the anon key, must list nothing."""
    if response.status_code != 200:
        return []  # refused, or no such bucket: nothing listed
    try:
        listed = response.json()
    except ValueError:
        return []
    if not isinstance(listed, list) or not listed:
        return []
    return [
        BUCKET_LISTABLE(
            f"the anon key lists {len(listed)} entr{'ies' if len(listed) != 1 else 'y'} at the "
            f"top of private bucket {bucket} (names not shown)",
            url=str(response.request.url),
        )
    ]


def _enabled(settings: Mapping[str, Any]) -> set[str]:
    external = settings.get("external")
    if not isinstance(external, dict):
        return set()
    return {name for name, on in external.items() if on is True}


def evaluate_auth_settings(
    spec: SupabaseSpec, settings: Mapping[str, Any], *, url: str
) -> list[Finding]:
    """``GET /auth/v1/settings`` against what the configuration declares."""
    findings = []
    if settings.get("mailer_autoconfirm") is True and not spec.email_autoconfirm:
        findings.append(
            EMAIL_AUTOCONFIRM("mailer_autoconfirm is true: sign-ups are confirmed unseen", url=url)
        )
    if spec.providers is not None:
        enabled = _enabled(settings)
        extra = sorted(enabled - set(spec.providers))
        missing = sorted(set(spec.providers) - enabled)
        if extra or missing:
            parts = []
            if extra:
                parts.append(f"enabled but not declared: {', '.join(extra)}")
            if missing:
                parts.append(f"declared but not enabled: {', '.join(missing)}")
            findings.append(PROVIDER_MISMATCH("; ".join(parts), url=url))
    actual = settings.get("disable_signup")
    declared = spec.disable_signup
    if declared is not None and isinstance(actual, bool) and actual != declared:
        findings.append(
            SIGNUP_MISMATCH(
                f"disable_signup is {str(actual).lower()}, declared {str(declared).lower()}",
                url=url,
            )
        )
    return findings
