"""Each declared role gets what the access rules say, and no more.

For each ``[[envs.X.access]]`` path, every role it names sends one GET with its own
credential (an API token, a session cookie, or the cookies of a login through the app's
form; resolved once per role per run), and a stranger's answer is read from the session's
cache. Reads only, but for one login POST per form-login role: safe on protected
environments. Allowed roles must be served; denied roles and strangers must not be.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from pytest_prodready import AssertNoFindings, Secret
from pytest_prodready.checks import access
from pytest_prodready.config import AccessRule, Environment
from pytest_prodready.http import ResponseCache
from pytest_prodready.probes import roles

pytestmark = pytest.mark.smoke

ANONYMOUS = "anonymous"


def _resolve(
    target: Environment,
    role: str,
    secret: Callable[[str], Secret],
    http: httpx.Client,
    mask: Callable[[str, str], None],
) -> Callable[[], roles.Session]:
    identity = target.identities[role]

    def session() -> roles.Session:
        if identity.login is None:
            return roles.session_for(identity, secret(identity.secret_name))
        assert target.login is not None  # the configuration requires it for login = "form"
        user = identity.username or secret(identity.username_secret or "").reveal()
        made = roles.form_login(http, target.login, role, user, secret(identity.secret_name))
        for value in made.secrets:
            mask(f"session of {role}", value)
        return made

    return session


def test_roles_get_what_the_access_rules_say(
    access_rule: AccessRule,
    target: Environment,
    http: httpx.Client,
    fetch: ResponseCache,
    secret: Callable[[str], Secret],
    gather_once: Callable[[str, Callable[[], roles.Session]], roles.Session],
    mask_secret: Callable[[str, str], None],
    assert_no_findings: AssertNoFindings,
) -> None:
    findings = access.evaluate_role(
        ANONYMOUS, access_rule.path, fetch(access_rule.path), allowed=False
    )
    for role in (*access_rule.allow, *access_rule.deny):
        try:
            resolve = _resolve(target, role, secret, http, mask_secret)
            session = gather_once(f"role-session:{role}", resolve)
        except roles.LoginFailed as exc:
            pytest.fail(f"role {role} could not log in: {exc}", pytrace=False)
        response = session.get(http, access_rule.path)
        findings += access.evaluate_role(
            role, access_rule.path, response, allowed=role in access_rule.allow
        )
    assert_no_findings(findings)
