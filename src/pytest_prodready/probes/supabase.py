"""The requests behind :mod:`pytest_prodready.checks.supabase`: what the anon key can reach.

Each sends the public key as Supabase's client libraries do (``apikey``, and as the bearer
token when it is a JWT: the newer ``sb_publishable_`` keys travel in ``apikey`` alone). All
are reads. Storage lists a bucket with ``POST /storage/v1/object/list/<bucket>`` (its search
travels in the body); :func:`pytest_prodready.core.safety.read_only` allows exactly that POST
and :func:`send` refuses anything else, so these checks are safe on protected environments.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from pytest_prodready.checks.supabase import public_keys, rest_root_tables
from pytest_prodready.config import Environment
from pytest_prodready.core.safety import read_only
from pytest_prodready.core.secrets import Secret
from pytest_prodready.http import ResponseCache
from pytest_prodready.probes.access import public_texts

__all__ = [
    "BUCKET_PAGE",
    "auth_settings",
    "bucket_listing",
    "find_public_key",
    "listed_tables",
    "rest_root",
    "send",
    "table_count",
]

# How a key found in the site is named wherever a Secret is shown (it prints masked anyway).
FOUND_KEY = "supabase public key (found in the site's pages and scripts)"
# Objects asked for per bucket listing: enough to count a few, few enough to stay cheap.
BUCKET_PAGE = 100


def find_public_key(fetch: ResponseCache, env: Environment) -> Secret | None:
    """The first Supabase public key the env's pages and same-origin scripts carry (the
    client bundle inlines ``NEXT_PUBLIC_SUPABASE_ANON_KEY``); None when they carry none."""
    keys = public_keys(public_texts(fetch, env))
    return Secret(FOUND_KEY, "", keys[0]) if keys else None


def _headers(key: Secret) -> dict[str, str]:
    value = key.reveal()
    headers = {"apikey": value, "Accept": "application/json"}
    if value.count(".") == 2:  # a JWT (the legacy anon key)
        headers["Authorization"] = f"Bearer {value}"
    return headers


def send(
    client: httpx.Client,
    method: str,
    project_url: str,
    path: str,
    key: Secret,
    *,
    headers: dict[str, str] | None = None,
    body: Any = None,
) -> httpx.Response:
    """One request to the Supabase project, refused unless it only reads."""
    if not read_only(method, path.split("?", 1)[0]):
        raise RuntimeError(f"refusing {method} {path}: not a read-only Supabase call")
    return client.request(
        method,
        project_url.rstrip("/") + path,
        headers={**_headers(key), **(headers or {})},
        json=body,
    )


def rest_root(client: httpx.Client, project_url: str, key: Secret) -> httpx.Response:
    """``GET /rest/v1/``: PostgREST's description of what the key can see."""
    return send(client, "GET", project_url, "/rest/v1/", key)


def listed_tables(client: httpx.Client, project_url: str, key: Secret) -> tuple[str, ...]:
    """The tables the REST root lists for the key; none when it is hidden or unreadable
    (projects may restrict it): the declared tables are checked all the same."""
    response = rest_root(client, project_url, key)
    if response.status_code != 200:
        return ()
    try:
        return rest_root_tables(response.json())
    except ValueError:
        return ()


def table_count(client: httpx.Client, project_url: str, table: str, key: Secret) -> httpx.Response:
    """``HEAD /rest/v1/<table>?select=*`` with ``Prefer: count=exact``: a count, no rows."""
    path = f"/rest/v1/{quote(table, safe='')}?select=*"
    return send(client, "HEAD", project_url, path, key, headers={"Prefer": "count=exact"})


def bucket_listing(
    client: httpx.Client, project_url: str, bucket: str, key: Secret
) -> httpx.Response:
    """Storage's listing of the bucket's top level (at most :data:`BUCKET_PAGE` entries)."""
    path = f"/storage/v1/object/list/{quote(bucket, safe='')}"
    body = {"prefix": "", "limit": BUCKET_PAGE, "offset": 0}
    return send(client, "POST", project_url, path, key, body=body)


def auth_settings(client: httpx.Client, project_url: str, key: Secret) -> httpx.Response:
    """``GET /auth/v1/settings``: the public auth configuration the browser client reads."""
    return send(client, "GET", project_url, "/auth/v1/settings", key)
