"""From what the probe saw to what the starter says: pure, tested on plain data.

Every choice is one the shipped smoke suites accept as written: a health endpoint is listed
with the shape it answered in (and the states that read as healthy there), a protected page
is one that redirected a stranger to the login page, a page is one that answered 200 with
HTML. What init could not find becomes a note saying what the smoke run does without it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from urllib.parse import urlsplit

from pytest_prodready.checks import health
from pytest_prodready.config.environment import protected_name_pattern
from pytest_prodready.init.facts import (
    HEALTH_PATHS,
    LOGIN_PATHS,
    MAX_LINKS,
    OPENAPI_PATHS,
    PROTECTED_GUESSES,
    VERSION_PATHS,
    Facts,
    HealthBody,
    Links,
    LoginForm,
    find_health,
    find_login,
    find_openapi,
    find_pages,
    find_protected,
    find_release,
    home_links,
    settle,
)

__all__ = ["ENV_NAME", "HealthEntry", "Login", "Release", "Starter", "decide", "default_env_name"]

# An environment name is a TOML bare key and reads well in --target-env.
ENV_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,62}")
# The latency budget written for the first health endpoint: generous against one sample.
MIN_LATENCY_BUDGET_MS = 500
LATENCY_HEADROOM = 5
_LOOPBACK = re.compile(r"localhost|127(?:\.\d{1,3}){3}|::1", re.I)
# Paths that usually show one user's data: answering a stranger with 200 is worth a look.
_PRIVATE_LOOKING = re.compile(r"/(?:dashboard|account|admin|settings|profile|billing)\b", re.I)


@dataclass(frozen=True)
class HealthEntry:
    """One ``[[envs.X.health.endpoints]]`` entry, and what it answered at init."""

    path: str
    json_status: str | None = None
    components_ok: tuple[str, ...] = ()
    components_key: str | None = None
    max_latency_ms: int | None = None
    seen: str = ""


@dataclass(frozen=True)
class Release:
    """Where the release is read, and what it said at init."""

    path: str
    field: str
    seen: str


@dataclass(frozen=True)
class Login:
    """The login page; its form's selectors when its HTML has one."""

    path: str
    form: LoginForm | None
    success_url: str | None = None  # a guess: the first protected page


@dataclass(frozen=True)
class Starter:
    """Everything the starter file says about one environment."""

    env: str
    given_url: str
    base_url: str
    http_url: str | None = None
    http_note: str = ""
    ca_bundle: str | None = None
    protected_by: str | None = None  # the name pattern that protects it ("prod*")
    plain_http: bool = False
    pages: tuple[str, ...] = ("/",)
    assets: tuple[str, ...] = ()
    login: Login | None = None
    protected_pages: tuple[str, ...] = ()
    health: tuple[HealthEntry, ...] = ()
    release: Release | None = None
    openapi: tuple[str, str] | None = None  # (path or URL, what it is)
    secrets: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    notes: tuple[str, ...] = ()
    requests: int = 0
    elapsed_s: float = 0.0


def is_loopback(url: str) -> bool:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    return bool(_LOOPBACK.fullmatch(host))


def default_env_name(url: str) -> str:
    """``local`` for a loopback target; else ``prod``, protected by its name: the safe guess
    for an unknown deployment (``--env`` names it otherwise)."""
    return "local" if is_loopback(url) else "prod"


def _states_ok(body: HealthBody) -> tuple[str, ...]:
    """``components_ok`` for a body whose healthy states are not all in the suites' default
    vocabulary (``connected``): the defaults plus those; () when the defaults do."""
    known = {h.lower() for h in health.HEALTHY} | health.NEUTRAL
    seen = [s for s in (body.status, *(state for _, state in body.components)) if s]
    # A state that reads as a failure (down, degraded, major_outage) is never allowed: the
    # same reading the health check applies to a top-level string.
    unknown = [
        s for s in seen if s.lower() not in known and not health.unhealthy({"x": s}, "-", None)
    ]
    if not unknown:
        return ()
    return tuple(dict.fromkeys([*health.HEALTHY, *unknown]))


def _health_entries(bodies: list[HealthBody]) -> tuple[tuple[HealthEntry, ...], list[str]]:
    entries: list[HealthEntry] = []
    notes: list[str] = []
    for i, body in enumerate(bodies):
        if body.kind == "text":
            entries.append(HealthEntry(body.path, seen=f"plain text: {body.excerpt}"))
            notes.append(
                f"{body.path} answers plain text; the suites expect JSON there (health.not-json): "
                'serve {"status": "ok"} as application/json'
            )
            continue
        ok = _states_ok(body)
        down = health.unhealthy(body.body, body.components_key or "components", ok or None)
        healthy = {h.lower() for h in ok or health.HEALTHY} | health.NEUTRAL
        if body.status is not None and body.status.lower() not in healthy:
            down.insert(0, ("status", body.status))
        for name, state in down:
            notes.append(
                f"{body.path} reported {name}: {state!r} at init: the smoke run fails on it "
                "(health.component-unhealthy) until it recovers"
            )
        simple = not body.components and body.status is not None and not down
        budget = None
        if i == 0:
            measured = math.ceil(body.elapsed_ms * LATENCY_HEADROOM / 100) * 100
            budget = max(MIN_LATENCY_BUDGET_MS, measured)
        key = body.components_key
        entries.append(
            HealthEntry(
                path=body.path,
                json_status=body.status if simple else None,
                components_ok=ok,
                components_key=key if key and key not in health.COMPONENT_KEYS else None,
                max_latency_ms=budget,
                seen=f"{body.shape}: {body.excerpt}",
            )
        )
    return tuple(entries), notes


def _secrets(env: str) -> dict[str, str]:
    prefix = re.sub(r"[^A-Z0-9]+", "_", env.upper()).strip("_") or "APP"
    return {
        "login_username": f"{prefix}_LOGIN_USERNAME",
        "login_password": f"{prefix}_LOGIN_PASSWORD",
    }


def _login_and_protected(
    facts: Facts, links: Links
) -> tuple[Login | None, tuple[str, ...], list[str]]:
    """The login page, the pages that redirect a stranger to it, and what to say about both."""
    answers, base, skipped = facts.answers, facts.base_url, set(facts.skipped)
    notes: list[str] = []
    found_login = find_login(answers, base, links)
    login_path = found_login[0] if found_login else "/login"
    protected_pages = tuple(find_protected(answers, base, links, login_path))
    login = None
    if found_login is not None:
        success = protected_pages[0] if protected_pages else None
        login = Login(found_login[0], found_login[1], success_url=success)
        if found_login[1] is None:
            notes.append(
                f"the login page {found_login[0]} has no password field in its HTML (drawn by "
                "scripts?): fill in the selectors of [flows.login] by hand"
            )
    elif "login" not in skipped:
        notes.append(
            f"no login page found (links, redirects, {', '.join(LOGIN_PATHS)}): set login_path "
            "if the app has one"
        )
    tried = list(dict.fromkeys([*links.pages[:MAX_LINKS], *PROTECTED_GUESSES]))
    for path in tried:
        answer = settle(answers, base, path)
        if answer and answer.status == 200 and answer.is_html and _PRIVATE_LOOKING.match(path):
            notes.append(
                f"{answer.path} answered 200 to a stranger: if only signed-in users may see it, "
                "list it in protected_pages (the smoke run then reports page.protected-exposed)"
            )
    if not protected_pages and "protected" not in skipped:
        notes.append(
            f"no page redirected a stranger to a login page (tried {', '.join(tried)}): list "
            "the pages only signed-in users may see in protected_pages"
        )
    return login, protected_pages, notes


def decide(facts: Facts, *, env: str, ca_bundle: str | None = None) -> Starter:
    """The starter for environment ``env`` from ``facts``; ``ca_bundle`` as the file will
    name it (relative to the config file)."""
    answers, base = facts.answers, facts.base_url
    notes: list[str] = []
    if facts.skipped:
        notes.append(
            f"the probe's budget ran out before: {', '.join(facts.skipped)}; what they would "
            "have found is missing below: run init again when the target is quicker, or add it"
        )
    links = home_links(answers, base)
    home = settle(answers, base, "/")
    if home is not None and home.status != 200:
        where = f" ({home.path})" if home.path != "/" else ""
        notes.append(f"the home page{where} answered {home.status}, not 200")

    bodies = find_health(answers, base)
    entries, health_notes = _health_entries(bodies)
    skipped = set(facts.skipped)
    if not bodies and "health" not in skipped:
        notes.append(
            f"no health endpoint answered at {', '.join(HEALTH_PATHS)}: the suites ask "
            "/api/health (the default) and report health.status until one answers; list yours "
            f"under [[envs.{env}.health.endpoints]]"
        )
    notes += health_notes

    found_release = find_release(answers, base, bodies)
    release = Release(*found_release) if found_release else None
    if release is None and "version" not in skipped:
        notes.append(
            f"no version endpoint answered at {', '.join(VERSION_PATHS)}: the suites ask "
            '/api/version and report release.unreadable until it answers {"version": "..."} '
            "(or set release.path)"
        )

    found_openapi = find_openapi(answers, base, links)
    openapi = None
    if found_openapi is not None:
        path, what = found_openapi
        # A bare path means "on the API's host": below a base URL with a path, say it all.
        openapi = (path if not urlsplit(base).path else base + path, what)
    elif "openapi" not in skipped:
        notes.append(
            f"no OpenAPI document at {', '.join(OPENAPI_PATHS)} or linked from the home page: "
            "set openapi to test the API's contract (suites marked contract)"
        )

    login, protected_pages, login_notes = _login_and_protected(facts, links)
    notes += login_notes
    login_path = login.path if login is not None else None

    pages = tuple(find_pages(answers, base, links, login_path))
    if not pages:
        fallback = next((e.path for e in entries), "/")
        pages = (fallback,)
        notes.append(f"no HTML page answered 200: pages lists {fallback} for the suites to read")

    plain = urlsplit(base).scheme == "http"
    if plain and not is_loopback(base):
        notes.append(
            "the target answers on plain HTTP only: the smoke run reports tls.no-https (high)"
        )
    return Starter(
        env=env,
        given_url=facts.given_url,
        base_url=base,
        http_url=facts.http_url,
        http_note=facts.http_note,
        ca_bundle=ca_bundle,
        protected_by=protected_name_pattern(env),
        plain_http=plain and is_loopback(base),
        pages=pages,
        assets=links.assets,
        login=login,
        protected_pages=protected_pages,
        health=entries,
        release=release,
        openapi=openapi,
        secrets=MappingProxyType(_secrets(env) if login is not None else {}),
        notes=tuple(notes),
        requests=facts.requests,
        elapsed_s=facts.elapsed_s,
    )
