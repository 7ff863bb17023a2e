"""Whether the run's target is protected, and why: one decision for the whole run.

An environment is protected by its ``protected`` setting, else by its name
(:data:`~pytest_prodready.config.environment.PROTECTED_NAME_PATTERNS`). Whatever it says of
itself, it is also protected when one of its starting origins (``base_url`` after
``--base-url``, ``api_url``, ``http_url``) is an origin of a protected environment of the same
file: requests there reach that environment, so it is treated as that environment, and only
``--allow-destructive=<that environment>`` lifts the gate. Pure: names and URLs in, one
:class:`Protection` out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from pytest_prodready.config import Environment
from pytest_prodready.config.environment import protected_name_pattern
from pytest_prodready.core.safety import bare_host

__all__ = ["Origin", "Protection", "decide", "origin_of"]

DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Origin:
    """A URL's scheme, host and port, normalised as browsers compare origins."""

    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = "" if DEFAULT_PORTS.get(self.scheme) == self.port else f":{self.port}"
        return f"{self.scheme}://{host}{port}"


def origin_of(url: str | None) -> Origin | None:
    """The origin of an http(s) URL: scheme and host lower-cased, the host's trailing dot
    dropped, the scheme's default port filled in. None for no URL or one with no origin."""
    if not url:
        return None
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:  # "https://[::1" or a port out of range
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not host:
        return None
    return Origin(scheme, bare_host(host), port if port is not None else DEFAULT_PORTS[scheme])


@dataclass(frozen=True)
class Protection:
    """The run's one decision: protected or not, why, and as which environment."""

    protected: bool
    reason: str  # for the header: "name 'prod-eu' matches prod*"
    # The environment whose protection applies: the target itself, or the protected
    # environment whose origin it reaches. ``--allow-destructive`` must name it.
    owner: str


def _own(env: Environment, source: str) -> Protection:
    pattern = protected_name_pattern(env.name)
    if env.protected_setting is not None or env.protected != (pattern is not None):
        reason = f"protected = {'true' if env.protected else 'false'} in {source}"
    elif pattern is not None:
        reason = f"name {env.name!r} matches {pattern}"
    else:
        reason = f"name {env.name!r} matches no protected pattern; no protected env's origin"
    return Protection(env.protected, reason, env.name)


def decide(
    envs: Mapping[str, Environment],
    name: str,
    *,
    base_url_override: str | None = None,
    source: str = "prodready.toml",
) -> Protection:
    """The protection of ``envs[name]`` as the run targets it.

    ``base_url_override`` is ``--base-url``; ``source`` names the configuration file in the
    reason. The environment's own setting or name decides first (a protected environment is
    its own owner); else the first protected environment, in file order, that has one of its
    origins.
    """
    env = envs[name]
    if env.protected:
        return _own(env, source)
    starts = [
        ("--base-url" if base_url_override else "base_url", base_url_override or env.base_url),
        ("api_url", env.api_url),
        ("http_url", env.http_url),
    ]
    for other_name, other in envs.items():
        if other_name == name or not other.protected:
            continue
        theirs = {origin_of(url) for url in (other.base_url, other.api_url, other.http_url)}
        for kind, url in starts:
            origin = origin_of(url)
            if origin is not None and origin in theirs:
                reason = f"{kind} origin {origin} equals protected env {other_name!r}"
                return Protection(True, reason, other_name)
    return _own(env, source)
