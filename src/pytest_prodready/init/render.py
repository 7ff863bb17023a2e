"""The starter as TOML text, and the summary printed after writing it: pure functions.

Everything the target said reaches the file through :func:`toml_string` (values) or
:func:`comment` (comments), never raw: a hostile version string or link cannot end a comment
with a newline and smuggle a table of its own into the file.
"""

from __future__ import annotations

import textwrap
import unicodedata

from pytest_prodready.config.environment import DEFAULT_TIMEOUT_S
from pytest_prodready.init.decide import HealthEntry, Starter

__all__ = ["append", "comment", "render", "summary", "toml_string"]

COMMENT_AT = 46  # the column inline comments start at, when the line leaves room
WIDTH = 100
_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def toml_string(value: str) -> str:
    """A TOML basic string: quotes, backslashes and every control character escaped (TOML
    forbids them raw, DEL included); a lone surrogate, no character at all, is replaced."""
    out = []
    for ch in value:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        elif 0xD800 <= ord(ch) <= 0xDFFF:
            out.append("\ufffd")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def clean(text: str, limit: int = 160) -> str:
    """Text from the target, safe on one line: control and separator characters (which end
    a TOML comment or make it invalid) become spaces; clipped to ``limit``."""
    flat = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs") else ch for ch in text
    )
    flat = " ".join(flat.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def comment(text: str, *, indent: str = "") -> list[str]:
    """``text`` as comment lines wrapped at :data:`WIDTH`."""
    width = WIDTH - len(indent) - 2
    lines = textwrap.wrap(clean(text, 2000), width, break_on_hyphens=False) or [""]
    return [f"{indent}# {line}".rstrip() for line in lines]


def _with(line: str, note: str) -> list[str]:
    """``line`` with an inline comment, aligned when it fits; a comment that does not fit
    beside it goes on the line above."""
    if not note:
        return [line]
    padded = line.ljust(COMMENT_AT - 1) if len(line) < COMMENT_AT - 1 else line
    text = clean(note, 2000)
    if len(padded) + 3 + len(text) <= WIDTH:
        return [f"{padded} # {text}"]
    return [*comment(note), line]


def _list(items: tuple[str, ...] | list[str]) -> str:
    return "[" + ", ".join(toml_string(i) for i in items) + "]"


def _health(env: str, entry: HealthEntry) -> list[str]:
    lines = ["", f"[[envs.{env}.health.endpoints]]", *comment(f"Seen at init: {entry.seen}")]
    lines.append(f"path = {toml_string(entry.path)}")
    if entry.json_status is not None:
        status = toml_string(entry.json_status)
        lines += _with(f"json = {{ status = {status} }}", "every listed key must equal this")
    if entry.components_key is not None:
        lines.append(f"components_key = {toml_string(entry.components_key)}")
    if entry.components_ok:
        states = _list(entry.components_ok)
        lines += _with(f"components_ok = {states}", "the states that read as healthy here")
    if entry.max_latency_ms is not None:
        budget = f"max_latency_ms = {entry.max_latency_ms}"
        lines += _with(budget, "the median of 3 samples; generous, tighten it")
    return lines


def _env_table(s: Starter, *, today: str) -> list[str]:
    env = s.env
    how = f"{s.requests} GET requests, {s.elapsed_s:.1f} s"
    lines = [f"[envs.{env}]"]
    lines += comment(f"Found by prodready init on {today} from {s.given_url} ({how}).")
    lines.append(f"base_url = {toml_string(s.base_url)}")
    if s.http_url is not None:
        lines += _with(f"http_url = {toml_string(s.http_url)}", s.http_note)
    elif s.http_note:
        lines += comment(f"http_url: {s.http_note}.")
    if s.plain_http:
        lines += _with("plain_http = true", "a local target on plain HTTP on purpose")
    if s.ca_bundle is not None:
        ca = f"ca_bundle = {toml_string(s.ca_bundle)}"
        lines += _with(ca, "the private CA given with --ca-bundle")
    if s.protected_by is not None:
        lines += _with(
            "protected = true",
            f"{s.protected_by} names are protected by default: destructive, load and "
            f"rate-limit tests need --allow-destructive={env}",
        )
    else:
        lines += _with("# protected = true", "production: no destructive, load, rate-limit tests")
    lines += _with(f"timeout_s = {DEFAULT_TIMEOUT_S:g}", "each request's whole time budget")
    lines += _with(f"pages = {_list(s.pages)}", "HTML pages that answered 200")
    if s.assets:
        shown = ", ".join(s.assets[:6]) + (", ..." if len(s.assets) > 6 else "")
        lines += comment(f"The pages load same-origin scripts and stylesheets, judged too: {shown}")
    if s.login is not None:
        what = "a form with a password field" if s.login.form else "a login page (form not read)"
        lines += _with(f"login_path = {toml_string(s.login.path)}", what)
    if s.protected_pages:
        protected = f"protected_pages = {_list(s.protected_pages)}"
        lines += _with(protected, "they redirect a stranger to the login page")
    if s.openapi is not None:
        where, what = s.openapi
        lines += _with(f"openapi = {toml_string(where)}", f"{what}; suites marked contract")
    if s.release is not None:
        path, name = toml_string(s.release.path), toml_string(s.release.field)
        lines.append(f"release = {{ path = {path}, field = {name} }}")
        lines += comment(
            f"It reported {s.release.field} {clean(s.release.seen, 60)!r} at init. To check a "
            'deploy, pass --expect-version "$RELEASE", or add expect = "..." to that table.'
        )
    if s.secrets:
        secrets = ", ".join(f"{k} = {toml_string(v)}" for k, v in s.secrets.items())
        lines += comment(
            "The browser login (suites marked flows) signs in with these environment variables "
            "(names only, never values): set them, then uncomment this line and "
            f"[envs.{env}.flows.login] below."
        )
        lines.append(f"# secrets = {{ {secrets} }}")
    for entry in s.health:
        lines += _health(env, entry)
    lines += ["", *_guarded_hint(env)]
    if s.login is not None:
        lines += _login(s)
    if s.notes:
        lines += ["", "# Not found or worth a look (each says what the smoke run does about it):"]
        for note in s.notes:
            wrapped = textwrap.wrap(clean(note, 2000), WIDTH - 4, break_on_hyphens=False)
            lines += [f"# - {wrapped[0]}", *(f"#   {rest}" for rest in wrapped[1:])]
    return lines


def _guarded_hint(env: str) -> list[str]:
    return [
        *comment(
            "Webhooks and cron endpoints must refuse a call without credentials; init sends "
            "none, so it cannot find them. List each one:"
        ),
        f"# [[envs.{env}.guarded_endpoints]]",
        '# path = "/api/webhooks/stripe"',
        '# method = "POST"',
    ]


def _login(s: Starter) -> list[str]:
    assert s.login is not None
    form = s.login.form
    names = list(s.secrets)
    lines = ["", f"# [envs.{s.env}.flows.login]", f"# path = {toml_string(s.login.path)}"]
    if len(names) == 2:
        lines += [
            f"# username_secret = {toml_string(names[0])}",
            f"# password_secret = {toml_string(names[1])}",
        ]
    if form is not None:
        if form.username_selector is not None:
            lines.append(f"# username_selector = {toml_string(form.username_selector)}")
        lines += [
            f"# password_selector = {toml_string(form.password_selector)}",
            f"# submit_selector = {toml_string(form.submit_selector)}",
        ]
    success = s.login.success_url or "/"
    lines += _with(
        f"# success_url = {toml_string(success)}", "where a signed-in user lands: check it"
    )
    return lines


def render(starter: Starter, *, today: str, command: str) -> str:
    """A whole new ``prodready.toml`` with one environment, the default."""
    head = comment(
        "pytest-prodready configuration, started by prodready init from what the target "
        "answered to a few read-only requests. It runs as written; check it, then run:"
    )
    head += [f"#   {command}", "# Every setting: docs/configuration.md in the documentation."]
    body = _env_table(starter, today=today)
    return "\n".join([*head, "", f"default_env = {toml_string(starter.env)}", "", *body]) + "\n"


def append(existing: str, starter: Starter, *, today: str) -> str:
    """``existing`` with one more environment at its end (tables only: no top-level key can
    land inside the file's last table)."""
    body = _env_table(starter, today=today)
    separator = "" if existing.endswith("\n") or not existing else "\n"
    return existing + separator + "\n" + "\n".join(body) + "\n"


def summary(starter: Starter, *, path: str, command: str, added: bool) -> str:
    """What was found and where it was written, for stdout."""
    s = starter
    verb = "added env" if added else "wrote env"
    rows: list[tuple[str, str]] = [("base_url", s.base_url)]
    rows.append(
        ("http_url", f"{s.http_url} ({s.http_note})" if s.http_url else f"- ({s.http_note})")
    )
    health = "; ".join(f"{e.path} ({e.seen.split(':', 1)[0]})" for e in s.health)
    rows.append(("health", health or "-"))
    release = s.release
    rows.append(
        ("release", f"{release.path}, {release.field} {release.seen!r}" if release else "-")
    )
    rows.append(("openapi", f"{s.openapi[0]} ({s.openapi[1]})" if s.openapi else "-"))
    login = "-"
    if s.login is not None:
        form = s.login.form
        fields = (
            [form.username_selector, form.password_selector, form.submit_selector] if form else []
        )
        login = s.login.path + (f" ({', '.join(f for f in fields if f)})" if fields else "")
    rows.append(("login", login))
    rows.append(("protected_pages", ", ".join(s.protected_pages) or "-"))
    rows.append(("pages", ", ".join(s.pages)))
    rows.append(("assets", ", ".join(s.assets[:6]) + (", ..." if len(s.assets) > 6 else "") or "-"))
    protected = f"yes (by its name: {s.protected_by})" if s.protected_by else "no"
    rows.append(("protected", protected))
    cost = f"{s.requests} GET requests, {s.elapsed_s:.1f} s"
    lines = [f"prodready init: {verb} {s.env!r} to {path} ({cost})"]
    lines += [f"  {name:<16} {clean(value, 200)}" for name, value in rows]
    lines += [f"  note: {clean(note, 400)}" for note in s.notes]
    lines.append(f"next: {command}")
    return "\n".join(lines) + "\n"


BLOCKED_PLUGINS = (
    "schemathesis",
    "hypothesispytest",
    "playwright",
    "anyio",
    "locust",
    "platformdirs",
    "xdist.looponfail",
)


def startup_tip(pytest_config_text: str) -> str | None:
    """The line that tells a project to block the plugins a smoke run does not use (about
    1 s of imports each run), unless its pytest configuration already blocks them all."""
    if all(f"no:{name}" in pytest_config_text for name in BLOCKED_PLUGINS):
        return None
    blocks = "".join(f'    "-p", "no:{name}",\n' for name in BLOCKED_PLUGINS)
    return (
        "faster: add this to [tool.pytest.ini_options] in pyproject.toml (about 1 s less per "
        f"run; what it costs: docs/performance.md):\n  addopts = [\n{blocks}  ]\n"
    )
