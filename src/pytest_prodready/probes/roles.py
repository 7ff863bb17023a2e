"""Act as a declared role: its API token, its session cookie, or a login through the app's
form, resolved once per role per run.

A :class:`Session` holds the headers a role sends and prints as the role's name only, so a
failing test's locals, a log line or a report never carry the credential (the secret is also
registered with the session's redactor, which scrubs it from every output).

A form login is plain HTTP, no browser: GET the login page of ``[envs.X.flows.login]``, fill
the form holding the password field (its hidden fields, a CSRF token among them, kept), POST
it to its own origin with the cookies the page set, and keep the cookies the answer sets. It
succeeds when the answer redirects to ``success_url`` (when one is declared) and sets the
session cookie (``session_cookie``, when declared; else any cookie). This is the one POST per
role per run the access suite sends, the login the browser flows send too; a failure says
what was answered, never what was typed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from html.parser import HTMLParser
from http.cookies import CookieError, SimpleCookie
from types import MappingProxyType
from urllib.parse import urljoin, urlsplit

import httpx

from pytest_prodready.config.access import Identity
from pytest_prodready.config.flows import LoginFlow
from pytest_prodready.core.safety import leaves_for, redact_location
from pytest_prodready.core.secrets import MASK, Secret

__all__ = ["Form", "LoginFailed", "Session", "form_login", "forms_of", "session_for"]


class Session:
    """What one role sends with each request; its repr names the role, never the value."""

    __slots__ = ("_headers", "role", "secrets")

    def __init__(
        self, role: str, headers: Mapping[str, str], secrets: tuple[str, ...] = ()
    ) -> None:
        self.role = role
        self._headers = MappingProxyType(dict(headers))
        # Values obtained at run time (a form login's cookies): the run must mask them too.
        self.secrets = secrets

    def get(self, client: httpx.Client, path: str) -> httpx.Response:
        """One GET of ``path`` as this role (no redirect followed: the client's own rule)."""
        return client.get(path, headers=dict(self._headers))

    def __repr__(self) -> str:
        return f"Session({self.role!r}, credentials={MASK!r})"

    __str__ = __repr__

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("Sessions carry credentials and cannot be pickled")


def session_for(identity: Identity, secret: Secret) -> Session:
    """The headers ``identity`` sends: ``<header>: <scheme> <token>`` or its session cookie."""
    value = secret.reveal()
    if identity.cookie is not None:
        return Session(identity.role, {"Cookie": f"{identity.cookie}={value}"})
    token = f"{identity.scheme} {value}" if identity.scheme else value
    return Session(identity.role, {identity.header: token})


class LoginFailed(Exception):
    """A form login that did not give a session: what was answered, never what was typed."""


class Form:
    """One ``<form>``: where it posts, its named fields with their values, and which field
    each ``#id`` names."""

    def __init__(self, action: str | None, method: str) -> None:
        self.action = action
        self.method = method
        self.fields: dict[str, str] = {}
        self.ids: dict[str, str] = {}


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._open: Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._open = Form(attr.get("action"), attr.get("method", "get").lower())
            self.forms.append(self._open)
        elif tag in ("input", "textarea", "select") and self._open is not None:
            name = attr.get("name")
            kind = attr.get("type", "text").lower()
            if not name or kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attr:
                return
            self._open.fields[name] = attr.get("value", "on" if kind == "checkbox" else "")
            if attr.get("id"):
                self._open.ids[attr["id"]] = name

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None


def forms_of(html: str) -> list[Form]:
    """The forms of a page, in order."""
    parser = _Forms()
    parser.feed(html)
    parser.close()
    return parser.forms


# "#password", "input#password", "[name=password]", 'input[name="password"]'.
_SELECTOR = re.compile(r"^[a-z]*(?:#([\w-]+)|\[name=([\"']?)([^\"'\]]+)\2\])$", re.I)


def _field(form: Form, key: str, selector: str) -> str | None:
    """The name of the field ``selector`` picks in ``form`` (None when none does)."""
    match = _SELECTOR.match(selector.strip())
    if match is None:
        raise LoginFailed(
            f"{key} {selector!r}: a form login over HTTP reads only #id or [name=...] "
            "selectors; use one of those for the role's login"
        )
    if match.group(1):
        return form.ids.get(match.group(1))
    name = match.group(3)
    return name if name in form.fields else None


def _cookies(response: httpx.Response, jar: dict[str, str]) -> None:
    """Fold the response's Set-Cookie headers into ``jar`` (an expired one removes)."""
    for header in response.headers.get_list("set-cookie"):
        parsed: SimpleCookie = SimpleCookie()
        try:
            parsed.load(header)
        except CookieError:
            continue
        for name, morsel in parsed.items():
            if morsel["max-age"] in ("0", "-1") or not morsel.value:
                jar.pop(name, None)
            else:
                jar[name] = morsel.value


def _header(jar: Mapping[str, str]) -> dict[str, str]:
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())} if jar else {}


def form_login(
    client: httpx.Client, flow: LoginFlow, role: str, username: str, password: Secret
) -> Session:
    """Log ``role`` in through the login form over HTTP; its session is the cookies set."""
    page = client.get(flow.path)
    if page.status_code != 200:
        raise LoginFailed(f"GET {flow.path} answered {page.status_code}, not the login form")
    jar: dict[str, str] = {}
    _cookies(page, jar)
    chosen = None
    for form in forms_of(page.text):
        password_field = _field(form, "password_selector", flow.password_selector)
        if password_field is not None:
            chosen = form
            break
    if chosen is None or password_field is None:
        raise LoginFailed(
            f"no form on {flow.path} has a field matching password_selector "
            f"{flow.password_selector!r}"
        )
    username_field = _field(chosen, "username_selector", flow.username_selector)
    if username_field is None:
        raise LoginFailed(
            f"the login form on {flow.path} has no field matching username_selector "
            f"{flow.username_selector!r}"
        )
    action = urljoin(str(page.url), chosen.action or flow.path)
    if urlsplit(action)[:2] != urlsplit(str(page.url))[:2]:
        raise LoginFailed(
            f"the login form posts to {leaves_for(action) or 'a non-HTTP URL'}, another "
            "origin: the credentials were not sent"
        )
    fields = {**chosen.fields, username_field: username, password_field: password.reveal()}
    answer = client.post(action, data=fields, headers=_header(jar))
    _cookies(answer, jar)
    status = answer.status_code
    where = answer.headers.get("location", "")
    landed = urlsplit(urljoin(action, where)).path if answer.has_redirect_location else None
    said = f"{status} → {redact_location(where)}" if landed is not None else str(status)
    if status >= 400 or (flow.success_url is not None and landed is None):
        raise LoginFailed(f"POST {urlsplit(action).path} answered {said}: the login failed")
    if flow.success_url is not None:
        expected = urlsplit(urljoin(action, flow.success_url)).path
        if landed != expected:
            raise LoginFailed(
                f"POST {urlsplit(action).path} answered {said}, not a redirect to "
                f"success_url {flow.success_url}: the login failed"
            )
    wanted = flow.session_cookie
    if (wanted is not None and wanted not in jar) or not jar:
        named = f"the {wanted} cookie" if wanted else "a cookie"
        raise LoginFailed(f"POST {urlsplit(action).path} answered {said} without setting {named}")
    return Session(role, _header(jar), secrets=tuple(jar.values()))
