"""What ``prodready init`` saw, as plain data, and what each answer is.

The probe keeps every GET as an :class:`Answer`. The classifiers here say what an answer is
(a health body, a release, an OpenAPI document, a login form, a redirect to the login page)
and which paths to ask next, so the probe knows when to stop asking and
:mod:`pytest_prodready.init.decide` picks the same answers when it chooses what to write.
No I/O: tested on plain data.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit

import httpx

from pytest_prodready.checks import health
from pytest_prodready.checks.pages import evaluate_protected
from pytest_prodready.core.safety import bare_host

__all__ = [
    "HEALTH_PATHS",
    "LOGIN_PATHS",
    "MAX_HOPS",
    "OPENAPI_PATHS",
    "PROTECTED_GUESSES",
    "VERSION_PATHS",
    "Answer",
    "Facts",
    "HealthBody",
    "Links",
    "LoginForm",
    "detailed_path",
    "find_health",
    "find_login",
    "find_openapi",
    "find_pages",
    "find_protected",
    "find_release",
    "health_of",
    "home_links",
    "is_login_path",
    "json_object",
    "links_of",
    "login_candidates",
    "login_form",
    "next_hop",
    "openapi_candidates",
    "openapi_of",
    "outline",
    "protected_candidates",
    "redirects_to_login",
    "relative_path",
    "settle",
    "version_of",
]

# Where apps answer, most common first; each list is asked in order until one answers.
HEALTH_PATHS = (
    "/api/health",
    "/health",
    "/healthz",
    "/api/healthz",
    "/actuator/health",
    "/status",
    "/api/status",
)
VERSION_PATHS = ("/api/version", "/version", "/version.json", "/__version__")
# The fields a version endpoint names its release by, in the order they are preferred.
VERSION_FIELDS = ("version", "release", "commit", "sha", "git_sha", "gitSha", "build", "revision")
OPENAPI_PATHS = (
    "/openapi.json",
    "/api/openapi.json",
    "/swagger.json",
    "/v3/api-docs",
    "/openapi.yaml",
)
LOGIN_PATHS = ("/login", "/signin", "/accounts/login/")
PROTECTED_GUESSES = ("/dashboard", "/account", "/admin", "/settings")
# Redirects followed from one path: enough for /x -> /x/ -> /en/x/, never a loop.
MAX_HOPS = 3
MAX_LINKS = 5
MAX_PAGES = 5

_LOGIN = re.compile(r"(?:^|[/_.-])(?:log[-_]?in|sign[-_]?in|auth|sso)(?:$|[/_.-])", re.I)
_LOGIN_TEXT = re.compile(r"\b(?:log\s*in|sign\s*in)\b", re.I)
# GET should be safe, but apps put these behind links: never followed, even anonymously.
_UNSAFE = re.compile(
    r"(?:^|[/_.-])(?:log[-_]?out|sign[-_]?out|delete|remove|destroy|unsubscribe|reset)"
    r"(?:$|[/_.-])",
    re.I,
)
_OPENAPI_LINK = re.compile(r"openapi|swagger|api-docs", re.I)
_ASSET = re.compile(
    r"\.(?:css|m?js|map|png|jpe?g|gif|svg|ico|webp|avif|woff2?|ttf|otf|eot|pdf|zip|gz|"
    r"mp[34]|webm|txt|xml|rss|json|ya?ml)$",
    re.I,
)
# A path init may write into the config: RFC 3986 path characters only, so a hostile page
# cannot smuggle quotes or newlines into the file through a link.
_SAFE_PATH = re.compile(r"/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*")
_OPENAPI_TEXT = re.compile(r"""(?:^|[{,\s])["']?(openapi|swagger)["']?\s*:\s*["']?(\d[\w.-]*)""")
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Answer:
    """One GET as init keeps it: where it went, what came back, the body's text (bounded)."""

    path: str  # relative to the base URL, with its query: "/login?next=/dashboard"
    url: str  # the absolute URL asked
    status: int  # 0: no answer, ``error`` says why
    content_type: str = ""
    location: str | None = None  # the Location header, resolved against ``url``
    body: str = ""
    elapsed_ms: float = 0.0
    error: str | None = None

    @property
    def media(self) -> str:
        return self.content_type.split(";")[0].strip().lower()

    @property
    def is_html(self) -> bool:
        return self.media in ("text/html", "application/xhtml+xml")

    @property
    def is_redirect(self) -> bool:
        return self.status in (301, 302, 303, 307, 308) and self.location is not None


@dataclass(frozen=True)
class Facts:
    """Everything one probe saw."""

    given_url: str
    base_url: str  # where the app answered, after an HTTP -> HTTPS upgrade
    http_url: str | None
    http_note: str  # what the plain-HTTP URL answered, or why it is not known
    answers: Mapping[str, Answer]  # by relative path, in the order asked
    requests: int = 0
    elapsed_s: float = 0.0
    skipped: tuple[str, ...] = ()  # phases the request or time budget cut off


@dataclass(frozen=True)
class Links:
    """The same-origin links of a page, sorted by what init does with them."""

    pages: tuple[str, ...] = ()  # <a href> paths that may be pages
    login: tuple[str, ...] = ()  # <a href> paths that look like the login page
    openapi: tuple[str, ...] = ()  # <a href> paths that look like an OpenAPI document
    assets: tuple[str, ...] = ()  # scripts and stylesheets the page loads


@dataclass(frozen=True)
class LoginForm:
    """A form with a password field, and the selectors a browser fills it with."""

    username_selector: str | None
    password_selector: str
    submit_selector: str


@dataclass(frozen=True)
class HealthBody:
    """A health endpoint's answer, and the shape it has (the documentation's vocabulary)."""

    path: str
    kind: Literal["json", "text"]
    status: str | None  # the overall "status", if it is a string
    components_key: str | None  # where the dependencies are listed
    components: tuple[tuple[str, str], ...]  # (name, state)
    shape: str
    excerpt: str
    elapsed_ms: float
    body: Mapping[str, Any] = field(default_factory=dict)


# -- where an answer sends you ----------------------------------------------------------


def relative_path(base_url: str, url: str | None) -> str | None:
    """``url`` as a path below ``base_url`` (with its query, without fragment), or None when
    it is another origin or outside the base URL's path."""
    if url is None:
        return None
    try:
        base, parts = urlsplit(base_url), urlsplit(url)
        scheme = parts.scheme.lower()
        same = (
            scheme == base.scheme.lower()
            and bare_host(parts.hostname or "") == bare_host(base.hostname or "")
            and (parts.port or _DEFAULT_PORTS.get(scheme))
            == (base.port or _DEFAULT_PORTS.get(scheme))
        )
    except ValueError:  # an unparsable host or port
        return None
    if not same or not parts.hostname:
        return None
    prefix = base.path.rstrip("/")
    path = parts.path or "/"
    if prefix:
        if path != prefix and not path.startswith(prefix + "/"):
            return None
        path = path[len(prefix) :] or "/"
    return path + (f"?{parts.query}" if parts.query else "")


def _path_only(path: str) -> str:
    return path.split("?", 1)[0]


def is_login_path(path: str) -> bool:
    """Whether a path reads like a login page (``/login``, ``/accounts/login/``,
    ``/users/sign_in``, ``/auth/...``)."""
    return bool(_LOGIN.search(_path_only(path)))


def next_hop(base_url: str, answer: Answer) -> str | None:
    """The path a redirect is followed to: same origin, below the base URL, and not the
    login page (a protected page's redirect ends there; the login page is asked on its own)."""
    if not answer.is_redirect:
        return None
    path = relative_path(base_url, answer.location)
    if path is None or is_login_path(path) or not _SAFE_PATH.fullmatch(_path_only(path)):
        return None
    return path


def settle(answers: Mapping[str, Answer], base_url: str, path: str) -> Answer | None:
    """The last answer on the redirect chain from ``path``, as far as it was asked."""
    answer = answers.get(path)
    seen = {path}
    while answer is not None and len(seen) <= MAX_HOPS:
        nxt = next_hop(base_url, answer)
        if nxt is None or nxt in seen or nxt not in answers:
            break
        seen.add(nxt)
        answer = answers[nxt]
    return answer


def redirects_to_login(answer: Answer, login_path: str) -> bool:
    """Whether the answer sends an anonymous visitor to the login page, by the very rule
    ``test_protected_page_refuses_anonymous`` applies."""
    if not answer.is_redirect:
        return False
    try:
        response = httpx.Response(
            answer.status,
            headers={"location": answer.location or ""},
            request=httpx.Request("GET", answer.url),
        )
    except (ValueError, UnicodeError, httpx.InvalidURL):
        return False
    return not evaluate_protected(response, login_path=login_path)


# -- what an answer is ------------------------------------------------------------------


def json_object(answer: Answer) -> dict[str, Any] | None:
    """The body as a JSON object, or None (an HTML page never counts)."""
    if answer.status != 200 or "html" in answer.media:
        return None
    try:
        body = json.loads(answer.body)
    except (ValueError, RecursionError):
        return None
    return body if isinstance(body, dict) else None


def _components_key(body: Mapping[str, Any]) -> str | None:
    for key in health.COMPONENT_KEYS:
        if isinstance(body.get(key), Mapping | list):
            return key
    # Spring Boot 1's "details", or any key whose entries all carry a status or state.
    for key, value in body.items():
        if (
            isinstance(value, Mapping)
            and value
            and all(
                isinstance(v, Mapping) and ("status" in v or "state" in v) for v in value.values()
            )
        ):
            return str(key)
    return None


def _excerpt(text: str, limit: int = 100) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def health_of(answer: Answer) -> HealthBody | None:
    """A health endpoint's answer: 200 and a JSON object with a ``status`` or a map of
    components, or a short plain-text body (``ok``); None for anything else."""
    if answer.status != 200:
        return None
    body = json_object(answer)
    if body is None:
        text = answer.body.strip()
        if answer.media == "text/plain" and 0 < len(text) <= 64:
            return HealthBody(
                answer.path, "text", None, None, (), "plain text", _excerpt(text), answer.elapsed_ms
            )
        return None
    key = _components_key(body)
    if "status" not in body and key is None:
        return None
    components = tuple(health.components(body, key)) if key else ()
    value = body.get(key) if key else None
    if key is None:
        shape = "flat values"
    elif isinstance(value, list):
        shape = f"MicroProfile Health (a list under {key!r})"
    elif isinstance(value, Mapping) and any(isinstance(v, list) for v in value.values()):
        shape = f"health-check draft (lists under {key!r})"
    else:
        shape = f"component map under {key!r}"
    status = body.get("status")
    return HealthBody(
        path=answer.path,
        kind="json",
        status=status if isinstance(status, str) else None,
        components_key=key,
        components=components,
        shape=shape,
        excerpt=_excerpt(json.dumps(body, separators=(", ", ": "))),
        elapsed_ms=answer.elapsed_ms,
        body=body,
    )


def detailed_path(path: str) -> str:
    """Where an app puts the detailed twin of a health endpoint: ``/api/health/detailed``."""
    return _path_only(path).rstrip("/") + "/detailed"


def version_of(answer: Answer) -> tuple[str, str] | None:
    """(field, release) a version endpoint reports, from the first field it has."""
    body = json_object(answer)
    return None if body is None else _release_field(body)


def _release_field(body: Mapping[str, Any]) -> tuple[str, str] | None:
    for name in VERSION_FIELDS:
        value = body.get(name)
        scalar = isinstance(value, str | int | float) and not isinstance(value, bool)
        if scalar and str(value).strip():
            return name, str(value)
    return None


def openapi_of(answer: Answer) -> str | None:
    """``"OpenAPI 3.1.0, 9 paths"`` for an OpenAPI or Swagger document (JSON or YAML, read in
    part when it is larger than what init keeps), else None."""
    if answer.status != 200 or "html" in answer.media:
        return None
    body = json_object(answer)
    if body is not None:
        for key, name in (("openapi", "OpenAPI"), ("swagger", "Swagger")):
            version = body.get(key)
            if isinstance(version, str) and version[:1].isdigit():
                paths = body.get("paths")
                count = f", {len(paths)} paths" if isinstance(paths, Mapping) else ""
                return f"{name} {_excerpt(version, 20)}{count}"
        return None
    match = _OPENAPI_TEXT.search(answer.body[:65536])
    if match is None:
        return None
    name = "OpenAPI" if match.group(1) == "openapi" else "Swagger"
    return f"{name} {_excerpt(match.group(2), 20)}"


# -- what a page links to ---------------------------------------------------------------


@dataclass
class _Form:
    fields: list[dict[str, str]] = field(default_factory=list)


@dataclass
class _Outline:
    anchors: list[tuple[str, str]] = field(default_factory=list)  # (href, text)
    assets: list[str] = field(default_factory=list)
    forms: list[_Form] = field(default_factory=list)
    loose: _Form = field(default_factory=_Form)  # fields outside any form (script-driven)


class _Parser(HTMLParser):
    """Anchors, scripts and stylesheets, and form fields; a bounded number of each."""

    MAX = 500

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out = _Outline()
        self._form: _Form | None = None
        self._anchor: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = {k: (v or "") for k, v in attrs}
        if tag == "a" and named.get("href") and len(self.out.anchors) < self.MAX:
            self._anchor = []
            self.out.anchors.append((named["href"], ""))
        elif tag == "script" and named.get("src"):
            self.out.assets.append(named["src"])
        elif tag == "link" and named.get("href"):
            rel = named.get("rel", "").lower().split()
            if "stylesheet" in rel or "modulepreload" in rel:
                self.out.assets.append(named["href"])
        elif tag == "form":
            self._form = _Form()
            self.out.forms.append(self._form)
        elif tag in ("input", "button"):
            form = self._form or self.out.loose
            if len(form.fields) < self.MAX:
                form.fields.append({**named, "tag": tag})

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "a" and self._anchor is not None:
            href, _ = self.out.anchors[-1]
            self.out.anchors[-1] = (href, " ".join("".join(self._anchor).split())[:80])
            self._anchor = None

    def handle_data(self, data: str) -> None:
        if self._anchor is not None:
            self._anchor.append(data)


def outline(html: str) -> _Outline:
    parser = _Parser()
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError):  # markup HTMLParser gives up on: what it read stays
        pass
    return parser.out


def _same_origin(base_url: str, page_url: str, link: str) -> str | None:
    try:
        absolute = urljoin(page_url, link.strip())
    except ValueError:
        return None
    path = relative_path(base_url, absolute.split("#", 1)[0])
    if path is None or not _SAFE_PATH.fullmatch(_path_only(path)):
        return None
    return path


def links_of(base_url: str, answer: Answer) -> Links:
    """The same-origin links of an HTML page: pages, login pages, OpenAPI documents (in
    document order, each once) and the scripts and stylesheets it loads."""
    if not answer.is_html:
        return Links()
    page = outline(answer.body)
    pages: list[str] = []
    login: list[str] = []
    openapi: list[str] = []
    for href, text in page.anchors:
        path = _same_origin(base_url, answer.url, href)
        if path is None or _UNSAFE.search(_path_only(path)):
            continue
        bare = _path_only(path)
        if _OPENAPI_LINK.search(bare) and not bare.endswith((".html", "/")):
            openapi.append(path)
        elif is_login_path(bare) or _LOGIN_TEXT.search(text):
            login.append(bare)
        elif not _ASSET.search(bare) and bare != _path_only(answer.path):
            pages.append(bare)
    assets = [p for link in page.assets if (p := _same_origin(base_url, answer.url, link))]
    return Links(
        pages=tuple(dict.fromkeys(pages)),
        login=tuple(dict.fromkeys(login)),
        openapi=tuple(dict.fromkeys(openapi)),
        assets=tuple(dict.fromkeys(_path_only(a) for a in assets)),
    )


_IDENT = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_NAME = re.compile(r"[A-Za-z0-9_.:\[\]-]+")
_TEXTUAL = ("", "text", "email", "tel")
_USERNAME_HINT = re.compile(r"user|email|login|account|ident", re.I)


def _selector(entry: Mapping[str, str], scope: str, fallback: str) -> str:
    """``#id`` when the id is a plain identifier (unique on the page), else the name or the
    fallback within ``scope``: the page may have other forms (a search box, a newsletter)."""
    if _IDENT.fullmatch(entry.get("id", "")):
        return f"#{entry['id']}"
    name = entry.get("name", "")
    if _NAME.fullmatch(name):
        return f'{scope}{entry["tag"]}[name="{name}"]'
    return f"{scope}{fallback}"


def _type(entry: Mapping[str, str]) -> str:
    return entry.get("type", "").strip().lower()


def _login_form(fields: list[dict[str, str]], scope: str) -> LoginForm | None:
    passwords = [i for i, f in enumerate(fields) if f["tag"] == "input" and _type(f) == "password"]
    # Two password fields are a sign-up or change-password form, not a login.
    if len(passwords) != 1:
        return None
    at = passwords[0]
    before = [f for f in fields[:at] if f["tag"] == "input" and _type(f) in _TEXTUAL]
    hinted = [
        f
        for f in before
        if f.get("autocomplete", "").lower() == "username"
        or _type(f) == "email"
        or _USERNAME_HINT.search(f.get("name", "") + " " + f.get("id", ""))
    ]
    candidates = hinted or before
    user = candidates[-1] if candidates else None
    submits = [
        f
        for f in fields
        if (f["tag"] == "button" and _type(f) in ("", "submit"))
        or (f["tag"] == "input" and _type(f) in ("submit", "image"))
    ]
    submit = "button[type=submit]"
    if submits:
        # A button without a type submits its form too, but matches no [type=submit].
        kind = _type(submits[0])
        submit = _selector(
            submits[0], scope, f"{submits[0]['tag']}[type={kind}]" if kind else "button"
        )
    username = None
    if user is not None:
        kind = _type(user)
        username = _selector(user, scope, f"input[type={kind}]" if kind else "input:not([type])")
    return LoginForm(
        username_selector=username,
        password_selector=_selector(fields[at], scope, "input[type=password]"),
        submit_selector=submit if submits else f"{scope}{submit}",
    )


def login_form(answer: Answer) -> LoginForm | None:
    """The login form of an HTML page: one with exactly one password field."""
    if answer.status != 200 or not answer.is_html:
        return None
    page = outline(answer.body)
    scoped = [(form, "form:has(input[type=password]) ") for form in page.forms]
    for form, scope in (*scoped, (page.loose, "")):
        found = _login_form(form.fields, scope)
        if found is not None:
            return found
    return None


# -- what init picks: the probe stops asking once these find something --------------------


def home_links(answers: Mapping[str, Answer], base_url: str) -> Links:
    """The links of the home page (the end of the redirect chain from ``/``)."""
    home = settle(answers, base_url, "/")
    return links_of(base_url, home) if home is not None else Links()


def find_health(answers: Mapping[str, Answer], base_url: str) -> list[HealthBody]:
    """The first JSON health endpoint of :data:`HEALTH_PATHS` (else the first plain-text
    one), and its detailed twin when that answered JSON too."""
    first: HealthBody | None = None
    text: HealthBody | None = None
    for path in HEALTH_PATHS:
        answer = settle(answers, base_url, path)
        found = health_of(answer) if answer is not None else None
        if found is not None and found.kind == "json":
            first = found
            break
        text = text or found
    if first is None:
        return [text] if text is not None else []
    answer = settle(answers, base_url, detailed_path(first.path))
    detailed = health_of(answer) if answer is not None else None
    if detailed is not None and detailed.kind == "json" and detailed.path != first.path:
        return [first, detailed]
    return [first]


def find_release(
    answers: Mapping[str, Answer], base_url: str, bodies: Iterable[HealthBody] = ()
) -> tuple[str, str, str] | None:
    """(path, field, release) of the first version endpoint of :data:`VERSION_PATHS`; else
    of a health body that names the release (detailed ones often do)."""
    for path in VERSION_PATHS:
        answer = settle(answers, base_url, path)
        found = version_of(answer) if answer is not None else None
        if answer is not None and found is not None:
            return answer.path, *found
    for body in reversed(list(bodies)):
        found = _release_field(body.body)
        if found is not None:
            return body.path, *found
    return None


def openapi_candidates(links: Links) -> list[str]:
    """The page's links to an OpenAPI document (two at most), then the usual paths."""
    return list(dict.fromkeys([*links.openapi[:2], *OPENAPI_PATHS]))


def find_openapi(
    answers: Mapping[str, Answer], base_url: str, links: Links
) -> tuple[str, str] | None:
    """(path, description) of the first OpenAPI or Swagger document found."""
    for path in openapi_candidates(links):
        answer = settle(answers, base_url, path)
        found = openapi_of(answer) if answer is not None else None
        if answer is not None and found is not None:
            return answer.path, found
    return None


def _login_redirects(answers: Mapping[str, Answer], base_url: str) -> list[str]:
    """The login pages redirects pointed at (same origin, below the base URL)."""
    found = []
    for answer in answers.values():
        path = relative_path(base_url, answer.location) if answer.is_redirect else None
        if path is not None and is_login_path(path) and _SAFE_PATH.fullmatch(_path_only(path)):
            found.append(_path_only(path))
    return list(dict.fromkeys(found))


def login_candidates(answers: Mapping[str, Answer], base_url: str, links: Links) -> list[str]:
    """Where the login page may be, most telling first: the home page's login links, the
    login pages redirects pointed at, the home page itself, then the usual paths."""
    redirected = _login_redirects(answers, base_url)
    return list(dict.fromkeys([*links.login, *redirected, "/", *LOGIN_PATHS]))


def find_login(
    answers: Mapping[str, Answer], base_url: str, links: Links
) -> tuple[str, LoginForm | None] | None:
    """(path, form) of the first candidate page with a login form; else (path, None) of a
    login page redirects pointed at whose form init could not read (rendered by scripts)."""
    for path in login_candidates(answers, base_url, links):
        answer = settle(answers, base_url, path)
        form = login_form(answer) if answer is not None else None
        if answer is not None and form is not None:
            return _path_only(answer.path), form
    redirected = _login_redirects(answers, base_url)
    return (redirected[0], None) if redirected else None


def protected_candidates(links: Links) -> list[str]:
    """Pages that may send a stranger to the login page: the home page and its links."""
    return list(dict.fromkeys(["/", *links.pages[:MAX_LINKS]]))


def find_protected(
    answers: Mapping[str, Answer], base_url: str, links: Links, login_path: str
) -> list[str]:
    """The pages (linked, or the usual guesses) that redirect a stranger to the login page."""
    found = []
    for path in (*protected_candidates(links), *PROTECTED_GUESSES):
        answer = settle(answers, base_url, path)
        if answer is not None and redirects_to_login(answer, login_path):
            found.append(_path_only(answer.path))
    return list(dict.fromkeys(found))


def find_pages(
    answers: Mapping[str, Answer], base_url: str, links: Links, login_path: str | None
) -> list[str]:
    """HTML pages that answered 200: the home page, the login page, the home page's links."""
    pages = []
    for path in ("/", *([login_path] if login_path else []), *links.pages[:MAX_LINKS]):
        answer = settle(answers, base_url, path)
        if answer is not None and answer.status == 200 and answer.is_html:
            pages.append(_path_only(answer.path))
    return list(dict.fromkeys(pages))[:MAX_PAGES]
