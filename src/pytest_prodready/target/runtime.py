"""The run's state: which environment, from where, its secrets, its client and cache.

Built once per process in ``pytest_configure`` (cheap: no network). The embedded demo and the
HTTP client start on first use, so collection and runs that never touch the target cost
nothing.
"""

from __future__ import annotations

import dataclasses
import os
import secrets as _random
import shutil
import tempfile
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar, cast
from urllib.parse import urljoin, urlsplit

from pytest_prodready.config import ConfigFile, Environment
from pytest_prodready.core.secrets import Redactor, SecretStore

if TYPE_CHECKING:
    import httpx

    from pytest_prodready.demo import DemoServer
    from pytest_prodready.http import ResponseCache

T = TypeVar("T")

__all__ = ["DEMO_LOG_VAR", "Runtime", "Selection", "TargetError", "seed_embedded_secrets"]

DEMO_LOG_VAR = "PRODREADY_DEMO_LOG"
DEMO_VERSION_VAR = "PRODREADY_DEMO_VERSION"
MAX_REDIRECT_HOPS = 5
# demo-broken is a deploy that did not roll out: it still serves the previous release.
DEMO_VERSIONS = {"demo": "1.4.2", "demo-broken": "1.4.1"}


@dataclass(frozen=True)
class Selection:
    """The chosen environment's name and where the choice came from (for the header)."""

    name: str
    origin: str


@dataclass(frozen=True)
class _Failed:
    error: Exception


class TargetError(RuntimeError):
    """The target could not be made ready (an embedded demo that failed to start)."""


def seed_embedded_secrets(env: Environment) -> Callable[[], None]:
    """Give an embedded demo throwaway credentials through its declared variables.

    Set in ``os.environ`` so xdist workers inherit the same values. Returns a function that
    restores the previous values.
    """
    previous: dict[str, str | None] = {}
    for var in env.secrets.values():
        if not os.environ.get(var):
            previous[var] = os.environ.get(var)
            os.environ[var] = _random.token_urlsafe(18)

    def restore() -> None:
        for var, value in previous.items():
            if value is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = value

    return restore


class Runtime:
    """Everything a fixture needs about the target, resolved lazily and at most once."""

    def __init__(
        self,
        config_file: ConfigFile,
        selection: Selection,
        *,
        base_url_override: str | None,
        expected_version: str | None = None,
        redactor: Redactor,
        secret_sources: list[Mapping[str, str]],
    ) -> None:
        self.config_file = config_file
        self.selection = selection
        self.declared = config_file.envs[selection.name]
        self.base_url_override = base_url_override.rstrip("/") if base_url_override else None
        self.redactor = redactor
        self.expected_version = expected_version or self.declared.release.expect
        self.secrets = SecretStore(selection.name, self.declared.secrets, secret_sources, redactor)
        self._lock = threading.RLock()
        self._env: Environment | None = None
        self._demo: DemoServer | None = None
        self._workdir: Path | None = None
        self._client: httpx.Client | None = None
        self._cache: ResponseCache | None = None
        self._facts: dict[str, object] = {}
        self._fact_locks: dict[str, threading.Lock] = {}
        self._headers_reported: set[str] = set()
        self._redirect_checked = False
        self._redirect_target: str | None = None

    @property
    def embedded(self) -> str | None:
        return self.declared.embedded

    @property
    def demo(self) -> DemoServer | None:
        return self._demo

    def environment(self) -> Environment:
        """The environment with its URLs filled in (starting the embedded demo if needed)."""
        with self._lock:
            if self._env is None:
                self._env = self._resolve()
            return self._env

    def _resolve(self) -> Environment:
        env = self.declared
        if env.embedded is not None:
            env = self._start_demo(env)
        if self.base_url_override:
            env = dataclasses.replace(env, base_url=self.base_url_override)
        if env.api_url is None:
            env = dataclasses.replace(env, api_url=env.base_url)
        return env

    def _start_demo(self, env: Environment) -> Environment:
        from pytest_prodready.demo import DemoServer, DemoSettings

        self._workdir = Path(tempfile.mkdtemp(prefix="prodready-demo-"))
        values = {name: os.environ.get(var, "") for name, var in env.secrets.items()}
        log = os.environ.get(DEMO_LOG_VAR)
        settings = DemoSettings(
            variant=env.embedded or "demo",
            version=os.environ.get(DEMO_VERSION_VAR) or DEMO_VERSIONS[env.embedded or "demo"],
            admin_password=values.get("admin_password") or _random.token_urlsafe(18),
            api_token=values.get("api_token") or _random.token_urlsafe(18),
            request_log=Path(log) if log else self._workdir / "requests.jsonl",
        )
        demo = DemoServer(settings, self._workdir)
        try:
            demo.start()
        except (OSError, RuntimeError) as exc:
            demo.stop()
            raise TargetError(
                f"prodready: the embedded {settings.variant} target did not start on "
                f"127.0.0.1: {exc}. Check that loopback is usable and ports are free."
            ) from exc
        self._demo = demo
        return dataclasses.replace(
            env,
            base_url=self._demo.base_url,
            http_url=self._demo.http_url,
            ca_bundle=self._demo.ca_bundle,
        )

    def client(self) -> httpx.Client:
        """The session's client for the target (no redirects followed)."""
        with self._lock:
            if self._client is None:
                from pytest_prodready.http import make_client

                self._client = make_client(self.environment())
            return self._client

    def cache(self) -> ResponseCache:
        with self._lock:
            if self._cache is None:
                from pytest_prodready.http import ResponseCache

                self._cache = ResponseCache(self.client())
            return self._cache

    @property
    def started(self) -> bool:
        """Whether the environment was resolved (an embedded demo started) in this process."""
        return self._env is not None

    def drain_headers(self) -> dict[str, dict[str, str]]:
        """Security headers of the pages fetched since the last call, by URL (for drift)."""
        if self._cache is None:
            return {}
        from pytest_prodready.report.summary import security_headers

        fresh: dict[str, dict[str, str]] = {}
        for url, response in self._cache.responses().items():
            if url not in self._headers_reported:
                self._headers_reported.add(url)
                fresh[url] = security_headers(response.headers)
        return fresh

    def fact(self, key: str, gather: Callable[[], T]) -> T:
        """``gather()`` once per session (per xdist worker) for ``key``; then its result.

        Probes are the only network I/O and many checks read the same facts: a TLS handshake,
        a CORS preflight or an exposure sweep costs its requests once.
        """
        with self._lock:
            lock = self._fact_locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._facts:
                try:
                    self._facts[key] = gather()
                except Exception as exc:
                    # A target that is down stays down for this run: fail fast, not per test.
                    self._facts[key] = _Failed(exc)
            value = self._facts[key]
            if isinstance(value, _Failed):
                raise value.error.with_traceback(None)
            return cast(T, value)

    def protected_redirect_target(self) -> str | None:
        """Name of a protected env that the base URL redirects to, if any (checked once)."""
        with self._lock:
            if not self._redirect_checked:
                self._redirect_target = self._find_protected_redirect()
                self._redirect_checked = True
            return self._redirect_target

    def _find_protected_redirect(self) -> str | None:
        protected = {
            _bare_host(env.host): name
            for name, env in self.config_file.envs.items()
            if env.protected and env.host and name != self.selection.name
        }
        env = self.environment()
        if not protected or not env.base_url:
            return None
        import httpx

        url = env.base_url
        client = self.client()
        for _ in range(MAX_REDIRECT_HOPS):
            try:
                response = client.get(url)
            except (httpx.HTTPError, httpx.InvalidURL):
                return None  # an unreachable target cannot be damaged; its tests report it
            location = response.headers.get("location")
            if not response.is_redirect or not location:
                return None
            try:
                url = urljoin(url, location)
                host = _bare_host(urlsplit(url).hostname or "")
            except ValueError:
                return None  # no client can follow an unparsable Location either
            if host in protected:
                return protected[host]
        return None

    def close(self) -> None:
        """Stop what was started; safe to call twice."""
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None
            if self._demo is not None:
                self._demo.stop()
                self._demo = None
            if self._workdir is not None:
                shutil.rmtree(self._workdir, ignore_errors=True)
                self._workdir = None


def _bare_host(host: str) -> str:
    """Host names compared as DNS does: case-insensitive, the root's trailing dot dropped."""
    return host.rstrip(".").lower()
