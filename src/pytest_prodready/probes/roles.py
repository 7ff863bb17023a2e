"""Act as a declared role: its API token or session cookie, resolved once per role per run.

A :class:`Session` holds the headers a role sends and prints as the role's name only, so a
failing test's locals, a log line or a report never carry the credential (the secret is also
registered with the session's redactor, which scrubs it from every output).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import httpx

from pytest_prodready.config.access import Identity
from pytest_prodready.core.secrets import MASK, Secret

__all__ = ["Session", "session_for"]


class Session:
    """What one role sends with each request; its repr names the role, never the value."""

    __slots__ = ("_headers", "role")

    def __init__(self, role: str, headers: Mapping[str, str]) -> None:
        self.role = role
        self._headers = MappingProxyType(dict(headers))

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
