"""The network side of ``prodready init``: read-only GETs to one origin, within a budget.

Every request is a GET (a guard on the client refuses any other method before it leaves),
carries no cookie or credential, follows redirects only on the target's own origin (one
hop at a time, never to another host), and counts against :class:`Limits`: at most
``max_requests`` requests and ``total_s`` seconds for the whole probe, each request within
``per_request_s``. What the budget cuts short is reported, never silently dropped.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx

from pytest_prodready.checks.pages import evaluate_protected
from pytest_prodready.config import Environment
from pytest_prodready.core.safety import bare_host, redact_location
from pytest_prodready.http import describe_error, make_client
from pytest_prodready.init.facts import (
    HEALTH_PATHS,
    MAX_HOPS,
    MAX_LINKS,
    PROTECTED_GUESSES,
    VERSION_PATHS,
    Answer,
    Facts,
    detailed_path,
    find_health,
    find_login,
    find_openapi,
    find_protected,
    find_release,
    home_links,
    login_candidates,
    next_hop,
    openapi_candidates,
)

__all__ = ["LIMITS", "Limits", "ProbeError", "probe"]

# Text kept of a body: a home page, a health body, the start of an OpenAPI document.
MAX_TEXT = 1_000_000
# New login candidates asked at most (pages already asked cost nothing).
MAX_LOGIN_TRIES = 4
# Below this, a request could not finish anyway: the time budget counts as spent.
MIN_LEFT_S = 0.2


@dataclass(frozen=True)
class Limits:
    """What one probe may cost the target and the user."""

    max_requests: int = 40
    total_s: float = 15.0
    per_request_s: float = 5.0
    # Port 80 behind a firewall often drops packets instead of refusing: ask briefly.
    http_probe_s: float = 2.0
    max_body_mb: float = 1.0


LIMITS = Limits()


class ProbeError(Exception):
    """The target cannot be probed at all; the message is one line for the user."""


class BudgetSpent(Exception):
    """The request or time budget is spent; the message says which."""


def _reads_only(request: httpx.Request) -> None:
    # Belt and braces: init only ever calls GET, and nothing else may leave this client.
    if request.method not in ("GET", "HEAD"):
        raise httpx.UnsupportedProtocol(
            f"prodready init sends GET and HEAD only, not {request.method}"
        )


class Session:
    """GETs below one base URL: counted, bounded, cached by path, redirects followed on
    the same origin only."""

    def __init__(self, base_url: str, ca_bundle: Path | None, limits: Limits) -> None:
        self.base_url = base_url
        self.limits = limits
        self.answers: dict[str, Answer] = {}
        self.requests = 0
        self.started = time.monotonic()
        self._env = Environment(
            name="init",
            base_url=None,
            ca_bundle=ca_bundle,
            timeout_s=limits.per_request_s,
            max_body_mb=limits.max_body_mb,
        )
        self.client = self._new_client(limits.per_request_s)

    def _new_client(self, budget_s: float) -> httpx.Client:
        # No retries: a retry is a request the budget has to count, and an unreachable
        # target should be said at once.
        client = make_client(self._env, retries=0, timeout_s=budget_s)
        client.event_hooks = {**client.event_hooks, "request": [_reads_only]}
        return client

    def close(self) -> None:
        self.client.close()

    def rebase(self, base_url: str) -> None:
        """Continue below another base URL (the HTTPS one an HTTP URL redirected to)."""
        self.base_url = base_url
        self.answers = {}

    @property
    def elapsed_s(self) -> float:
        return time.monotonic() - self.started

    def send(self, url: str, *, cap_s: float | None = None) -> httpx.Response:
        """One GET of ``url``; raises :class:`BudgetSpent` before it when the budget is."""
        if self.requests >= self.limits.max_requests:
            raise BudgetSpent(f"the {self.limits.max_requests}-request budget is spent")
        left = self.limits.total_s - self.elapsed_s
        if left < MIN_LEFT_S:
            raise BudgetSpent(f"the {self.limits.total_s:g} s time budget is spent")
        budget = min(cap_s or self.limits.per_request_s, left, self.limits.per_request_s)
        self.requests += 1
        if budget >= self.limits.per_request_s:
            return self.client.get(url)
        # A shorter whole-request budget than the shared client's: a client of its own, so
        # the last request cannot outlive the probe's time budget.
        with self._new_client(budget) as client:
            return client.get(url)

    def ask(
        self, url: str, path: str, *, cap_s: float | None = None, strict: bool = False
    ) -> Answer:
        """GET ``url`` into an :class:`Answer`; a failed request is an answer with status 0,
        or, with ``strict``, the exception itself."""
        start = time.perf_counter()
        try:
            response = self.send(url, cap_s=cap_s)
        except (httpx.RequestError, httpx.InvalidURL) as exc:
            if strict:
                raise
            return Answer(path, url, 0, error=describe_error(exc))
        location = response.headers.get("location")
        if location is not None:
            # "http://[::1" cannot be joined: kept as sent, followed nowhere.
            with contextlib.suppress(ValueError):
                location = urljoin(url, location.strip())
        return Answer(
            path=path,
            url=url,
            status=response.status_code,
            content_type=response.headers.get("content-type", ""),
            location=location,
            body=_text(response),
            elapsed_ms=(time.perf_counter() - start) * 1000,
        )

    def get(self, path: str, *, strict: bool = False) -> Answer:
        """The answer for a path below the base URL, asked once."""
        if path not in self.answers:
            self.answers[path] = self.ask(self.base_url + path, path, strict=strict)
        return self.answers[path]

    def follow(self, path: str, *, strict: bool = False) -> Answer:
        """GET ``path`` and the same-origin redirects after it (as :func:`settle` reads them)."""
        answer = self.get(path, strict=strict)
        seen = {path}
        while len(seen) <= MAX_HOPS:
            nxt = next_hop(self.base_url, answer)
            if nxt is None or nxt in seen:
                break
            seen.add(nxt)
            answer = self.get(nxt, strict=strict)
        return answer


def _text(response: httpx.Response) -> str:
    try:
        text = response.text
    except (LookupError, ValueError):  # a charset Python does not know
        text = response.content.decode("utf-8", "replace")
    return text[:MAX_TEXT]


# -- refusals ----------------------------------------------------------------------------


def _unreachable(url: str, exc: Exception, ca_bundle: Path | None, budget_s: float) -> ProbeError:
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.ConnectError) and "certificate" in detail.lower():
        if ca_bundle is None:
            fix = (
                "If the target uses a private CA, pass its certificate (PEM) with --ca-bundle "
                "PATH; otherwise fix the server's certificate chain."
            )
        else:
            fix = f"Check that {ca_bundle} is the CA that signed the server's certificate."
        return ProbeError(f"prodready init: TLS verification of {url} failed: {detail}. {fix}")
    fix = "Check the URL, and that this machine can reach the host (DNS, VPN, firewall)."
    if "WRONG_VERSION_NUMBER" in detail or "record layer failure" in detail:
        fix = "The port does not speak TLS: if it serves plain HTTP, give the http:// URL."
    if isinstance(exc, httpx.TimeoutException):
        detail = f"no answer within {budget_s:g} s"
    elif not isinstance(exc, httpx.ConnectError):
        detail = describe_error(exc)
    return ProbeError(f"prodready init: cannot reach {url}: {detail}. {fix}")


def _off_host(url: str, answer: Answer) -> ProbeError | None:
    """A home page that redirects to another host, unless that is a login page (SSO)."""
    if not answer.is_redirect or answer.location is None:
        return None
    try:
        here = bare_host(urlsplit(url).hostname or "")
        there = urlsplit(answer.location)
        there_host = bare_host(there.hostname or "")
    except ValueError:
        there_host, there = "", urlsplit("")
    if there_host == here:
        return None
    response = httpx.Response(
        answer.status, headers={"location": answer.location}, request=httpx.Request("GET", url)
    )
    if not evaluate_protected(response, login_path="/login"):
        return None  # a single sign-on page elsewhere: the home page is protected
    shown = redact_location(answer.location)
    origin = f"{there.scheme}://{there.netloc.rpartition('@')[2]}" if there_host else shown
    return ProbeError(
        f"prodready init: {url} redirects to {shown}, another host; init never follows a "
        f"redirect off the host it was given. If that is the app, run prodready init {origin}."
    )


# -- the phases --------------------------------------------------------------------------

Progress = Callable[[str], None]


def _home(session: Session, given: str, ca_bundle: Path | None) -> tuple[str | None, str]:
    """Fetch the home page (upgrading an HTTP URL that redirects to HTTPS on its own host);
    (http_url, what the plain-HTTP URL said)."""
    parts = urlsplit(given)
    budget = session.limits.per_request_s
    try:
        first = session.get("/", strict=True)
    except (httpx.RequestError, httpx.InvalidURL) as exc:
        raise _unreachable(session.base_url + "/", exc, ca_bundle, budget) from None
    http_url: str | None = None
    note = ""
    if parts.scheme == "http" and first.is_redirect and first.location:
        there = urlsplit(first.location)
        if there.scheme == "https" and bare_host(there.hostname or "") == bare_host(
            parts.hostname or ""
        ):
            http_url = f"http://{parts.netloc}"
            note = f"answered {first.status} → {redact_location(first.location)}"
            session.rebase(f"https://{there.netloc.rpartition('@')[2]}{parts.path.rstrip('/')}")
            try:
                first = session.get("/", strict=True)
            except (httpx.RequestError, httpx.InvalidURL) as exc:
                raise _unreachable(session.base_url + "/", exc, ca_bundle, budget) from None
    refusal = _off_host(session.base_url + "/", first)
    if refusal is not None:
        raise refusal
    # A target slow enough to spend the budget on its home page's redirects: the phases
    # after this one say so.
    with contextlib.suppress(BudgetSpent):
        session.follow("/")
    if parts.scheme == "http" and http_url is None:
        note = "the target answers on plain HTTP without redirecting to HTTPS"
    return http_url, note


def _plain_http(session: Session) -> tuple[str | None, str]:
    """What the HTTPS target's plain-HTTP URL answers, when its port is the default."""
    parts = urlsplit(session.base_url)
    host = parts.hostname or ""
    shown = f"[{host}]" if ":" in host else host
    origin = f"http://{shown}"
    if parts.port not in (None, 443):
        return None, (
            f"the plain-HTTP port of {session.base_url} is not known: run prodready init with "
            "the http:// URL to set http_url"
        )
    answer = session.ask(f"{origin}/", "/", cap_s=session.limits.http_probe_s)
    if answer.status == 0:
        return None, f"nothing answered on {origin}/ ({answer.error})"
    where = f" → {redact_location(answer.location)}" if answer.location else ""
    return origin, f"answered {answer.status}{where}"


def _health(session: Session) -> str:
    for path in HEALTH_PATHS:
        session.follow(path)
        found = find_health(session.answers, session.base_url)
        if found and found[0].kind == "json":
            session.follow(detailed_path(found[0].path))
            break
    found = find_health(session.answers, session.base_url)
    return ", ".join(f"{h.path} ({h.shape})" for h in found) or "none found"


def _version(session: Session) -> str:
    for path in VERSION_PATHS:
        session.follow(path)
        if find_release(session.answers, session.base_url):
            break
    bodies = find_health(session.answers, session.base_url)
    found = find_release(session.answers, session.base_url, bodies)
    return f"{found[0]} reports {found[1]} {found[2]!r}" if found else "none found"


def _openapi(session: Session) -> str:
    links = home_links(session.answers, session.base_url)
    for path in openapi_candidates(links):
        session.follow(path)
        if find_openapi(session.answers, session.base_url, links):
            break
    found = find_openapi(session.answers, session.base_url, links)
    return f"{found[0]} ({found[1]})" if found else "none found"


def _pages(session: Session) -> str:
    links = home_links(session.answers, session.base_url)
    for path in links.pages[:MAX_LINKS]:
        session.follow(path)
    return f"{len(links.pages)} same-origin links, {len(links.assets)} scripts and stylesheets"


def _login(session: Session) -> str:
    links = home_links(session.answers, session.base_url)
    tries = 0
    for path in login_candidates(session.answers, session.base_url, links):
        found = find_login(session.answers, session.base_url, links)
        if found is not None and found[1] is not None:
            break
        if path not in session.answers:
            if tries >= MAX_LOGIN_TRIES:
                break
            tries += 1
        session.follow(path)
    found = find_login(session.answers, session.base_url, links)
    if found is None:
        return "none found"
    return f"{found[0]} ({'a form with a password field' if found[1] else 'its form not read'})"


def _protected(session: Session) -> str:
    links = home_links(session.answers, session.base_url)
    login = find_login(session.answers, session.base_url, links)
    login_path = login[0] if login else "/login"
    if not find_protected(session.answers, session.base_url, links, login_path):
        for path in PROTECTED_GUESSES:
            session.follow(path)
            if find_protected(session.answers, session.base_url, links, login_path):
                break
    found = find_protected(session.answers, session.base_url, links, login_path)
    return ", ".join(found) or "none found"


PHASES: tuple[tuple[str, Callable[[Session], str]], ...] = (
    ("health", _health),
    ("version", _version),
    ("openapi", _openapi),
    ("pages", _pages),
    ("login", _login),
    ("protected", _protected),
)


def probe(
    url: str,
    *,
    ca_bundle: Path | None = None,
    limits: Limits = LIMITS,
    progress: Progress = lambda line: None,
) -> Facts:
    """Probe the target at ``url`` (an http(s) URL without credentials) read-only; one
    ``progress`` line per phase.

    Raises :class:`ProbeError` when its home page cannot be reached at all (no answer, TLS
    verification failed) or redirects to another host.
    """
    parts = urlsplit(url)
    session = Session(f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}", ca_bundle, limits)
    skipped: list[str] = []
    spent: str | None = None  # once the budget is spent, every later phase is skipped
    try:
        http_url, http_note = _home(session, url, ca_bundle)
        home = session.answers["/"]
        progress(
            f"home: {session.base_url}/ answered {home.status} "
            f"{home.media or '(no content type)'} ({session.requests} requests)"
        )
        if parts.scheme == "https":
            try:
                http_url, http_note = _plain_http(session)
            except BudgetSpent as exc:
                spent = str(exc)
                skipped.append("http")
                http_note = f"not probed: {spent}"
            progress(f"http: {http_note}")
        for name, phase in PHASES:
            if spent is not None:
                skipped.append(name)
                continue
            before = session.requests
            try:
                line = phase(session)
            except BudgetSpent as exc:
                spent = str(exc)
                skipped.append(name)
                line = f"stopped: {spent}"
            progress(f"{name}: {line} ({session.requests - before} requests)")
    finally:
        session.close()
    return Facts(
        given_url=url,
        base_url=session.base_url,
        http_url=http_url,
        http_note=http_note,
        answers=dict(session.answers),
        requests=session.requests,
        elapsed_s=session.elapsed_s,
        skipped=tuple(skipped),
    )
