"""``[envs.X.identities.<role>]``, ``[[envs.X.access]]`` and ``[envs.X.supabase]``: who the
probes may be, what each role may open, and how far Supabase's public key reaches.

Same rules as :mod:`pytest_prodready.config.sections`: a frozen dataclass per table, a parser per
dataclass, every mistake a one-paragraph ``pytest.UsageError``. Credentials are named by
secret, never written here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from pytest_prodready.config._table import Table
from pytest_prodready.config.flows import LoginFlow

__all__ = [
    "AccessRule",
    "Identity",
    "SupabaseSpec",
    "parse_access",
    "parse_identities",
    "parse_supabase",
]

DEFAULT_TOKEN_HEADER = "Authorization"
DEFAULT_TOKEN_SCHEME = "Bearer"
_ROLE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
# What PostgREST accepts as a table and Supabase Storage as a bucket name, unquoted in a URL.
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}")


@dataclass(frozen=True)
class Identity:
    """One role the probes act as: an API token sent in a header, or a session cookie."""

    role: str
    token_secret: str | None = None
    header: str = DEFAULT_TOKEN_HEADER
    # Written before the token and a space ("Bearer <token>"); empty: the token alone.
    scheme: str = DEFAULT_TOKEN_SCHEME
    cookie_secret: str | None = None
    cookie: str | None = None
    # login = "form": this role's account, typed into [envs.X.flows.login]'s form over HTTP.
    login: str | None = None
    username: str | None = None
    username_secret: str | None = None
    password_secret: str | None = None

    @property
    def secret_name(self) -> str:
        """The logical name of the secret this identity sends (its password for a login)."""
        return self.token_secret or self.cookie_secret or self.password_secret or ""


@dataclass(frozen=True)
class AccessRule:
    """``[[envs.X.access]]``: a path and which declared roles may and may not open it."""

    path: str
    allow: tuple[str, ...]
    deny: tuple[str, ...]


@dataclass(frozen=True)
class SupabaseSpec:
    """``[envs.X.supabase]``: the project, its public key and what it must not reach."""

    url: str
    # None: the public key the site's pages and scripts carry (found once per run).
    anon_key_secret: str | None = None
    private_tables: tuple[str, ...] = ()
    public_tables: tuple[str, ...] = ()
    private_buckets: tuple[str, ...] = ()
    # The auth settings the project should have; None: not judged.
    email_autoconfirm: bool = False
    providers: tuple[str, ...] | None = None
    disable_signup: bool | None = None


def _secret(
    t: Table, key: str, secrets: Mapping[str, str], *, required: bool = False
) -> str | None:
    name = t.string(key, required=required)
    if name is not None and name not in secrets:
        declared = ", ".join(sorted(secrets)) or "none"
        raise t.error(
            key,
            f"names secret {name!r}, which this environment does not declare ({declared})",
            f'Declare it: secrets = {{ {name} = "ENV_VAR" }}.',
        )
    return name


LOGINS = ("form",)


def _form_login(
    role: str, t: Table, secrets: Mapping[str, str], flow: LoginFlow | None
) -> Identity:
    t.choice("login", "form", LOGINS)
    if flow is None:
        raise t.error(
            "login",
            'is "form", which types into the form [envs.X.flows.login] describes, and this '
            "environment has none",
            "Declare [envs.X.flows.login] (path, success_url, session_cookie), or give the role "
            "a token_secret or a cookie_secret instead.",
        )
    # Required here only: read as optional, so the reference does not call it required for
    # token and cookie identities.
    password = _secret(t, "password_secret", secrets)
    if password is None:
        raise t.missing(
            "password_secret", 'Name the role\'s password secret: password_secret = "...".'
        )
    username_secret = _secret(t, "username_secret", secrets)
    username = t.string("username")
    if (username is None) == (username_secret is None):
        raise t.error(
            "username",
            "and username_secret: exactly one must be set",
            'Use username = "staff@example.com", or username_secret = "staff_user".',
        )
    identity = Identity(
        role=role,
        login="form",
        username=username,
        username_secret=username_secret,
        password_secret=password,
    )
    t.finish()
    return identity


def _identity(role: str, t: Table, secrets: Mapping[str, str], flow: LoginFlow | None) -> Identity:
    if "login" in t.data:
        return _form_login(role, t, secrets, flow)
    token = _secret(t, "token_secret", secrets)
    cookie_secret = _secret(t, "cookie_secret", secrets)
    if (token is None) == (cookie_secret is None):
        raise t.error(
            "token_secret",
            'and cookie_secret: exactly one must be set (or login = "form")',
            'Send an API token (token_secret = "admin_token"), a session cookie '
            '(cookie_secret = "admin_session", cookie = "sid"), or log in through the form '
            '(login = "form", username = "...", password_secret = "...").',
        )
    cookie = t.string("cookie")
    if cookie_secret is not None and cookie is None:
        raise t.missing("cookie", 'Name the session cookie, e.g. cookie = "sid".')
    if token is not None and cookie is not None:
        raise t.error("cookie", "goes with cookie_secret, not token_secret", "Remove it.")
    header = t.string("header") or DEFAULT_TOKEN_HEADER
    # "Authorization: Bearer <token>" by default; a header of one's own ("X-API-Key") carries
    # the bare token unless a scheme is named.
    default_scheme = DEFAULT_TOKEN_SCHEME if header.lower() == "authorization" else ""
    identity = Identity(
        role=role,
        token_secret=token,
        header=header,
        scheme=t.string("scheme") or default_scheme,
        cookie_secret=cookie_secret,
        cookie=cookie,
    )
    t.finish()
    return identity


def parse_identities(
    t: Table, secrets: Mapping[str, str], flow: LoginFlow | None = None
) -> Mapping[str, Identity]:
    identities = {}
    for role in list(t.data):
        if not _ROLE.fullmatch(role) or role == "anonymous":
            raise t.error(
                role,
                "is not a usable role name",
                "Use letters, digits, '_', '.' or '-' (anonymous is built in: every path "
                "that allows a role is also asked for with no credentials).",
            )
        identities[role] = _identity(role, t.table(role), secrets, flow)
    t.finish()
    return MappingProxyType(identities)


def _roles(t: Table, key: str, declared: Mapping[str, Identity]) -> tuple[str, ...]:
    roles = t.string_list(key, ())
    for role in roles:
        if role not in declared:
            names = ", ".join(sorted(declared)) or "none"
            raise t.error(
                key,
                f"names role {role!r}, which [identities] does not declare ({names})",
                f'Declare it: [envs.X.identities.{role}] token_secret = "...".',
            )
    return tuple(dict.fromkeys(roles))


def parse_access(
    tables: list[Table] | None, identities: Mapping[str, Identity]
) -> tuple[AccessRule, ...]:
    rules = []
    for t in tables or []:
        path = t.string("path", required=True) or ""
        if not path.startswith("/"):
            raise t.error("path", f"is {path!r}, which is not a path", 'Use e.g. "/admin".')
        allow = _roles(t, "allow", identities)
        if "deny" in t.data:
            deny = _roles(t, "deny", identities)
        else:
            # Undeclared deny: every other declared role is refused.
            deny = tuple(role for role in identities if role not in allow)
        both = sorted(set(allow) & set(deny))
        if both:
            raise t.error("deny", f"repeats {', '.join(both)} from allow", "Keep each in one.")
        if not allow and not deny:
            raise t.error(
                "allow",
                "and deny name no role, so nothing would be checked",
                'Use allow = ["admin"] (other declared roles are denied).',
            )
        t.finish()
        rules.append(AccessRule(path=path, allow=allow, deny=deny))
    return tuple(rules)


def _names(t: Table, key: str) -> tuple[str, ...]:
    names = t.string_list(key, ())
    for name in names:
        if not _NAME.fullmatch(name):
            raise t.error(
                key, f"has {name!r}, which is not a table or bucket name", 'Use e.g. ["profiles"].'
            )
    return tuple(dict.fromkeys(names))


def parse_supabase(t: Table, secrets: Mapping[str, str]) -> SupabaseSpec | None:
    if not t.data:
        t.finish()
        return None
    url = t.url("url", required=True) or ""
    # Optional: without it, the key the site ships to every browser is used.
    key = _secret(t, "anon_key_secret", secrets)
    private = _names(t, "private_tables")
    public = _names(t, "public_tables")
    both = sorted(set(private) & set(public))
    if both:
        raise t.error("public_tables", f"repeats {', '.join(both)}", "Keep each table in one list.")
    providers = t.string_list("providers", ()) if "providers" in t.data else None
    signup = t.boolean("disable_signup", False) if "disable_signup" in t.data else None
    spec = SupabaseSpec(
        url=url,
        anon_key_secret=key,
        private_tables=private,
        public_tables=public,
        private_buckets=_names(t, "private_buckets"),
        email_autoconfirm=t.boolean("email_autoconfirm", False),
        providers=None if providers is None else tuple(sorted(set(providers))),
        disable_signup=signup,
    )
    t.finish()
    return spec
