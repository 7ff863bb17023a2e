"""The run's state: which environment, from where, its secrets, its client and cache.

Built once per process in ``pytest_configure`` (cheap: no network). The embedded demo and the
HTTP client start on first use, so collection and runs that never touch the target cost
nothing.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar, cast
from urllib.parse import urljoin, urlsplit

import pytest

from pytest_prodready.config import ConfigFile, Environment
from pytest_prodready.core.safety import bare_host, home_hosts
from pytest_prodready.core.secrets import Redactor, SecretStore
from pytest_prodready.target.embedded import DemoProcess, TargetError, launch_demo, start_demo
from pytest_prodready.target.protection import Protection

if TYPE_CHECKING:
    import httpx

    from pytest_prodready.http import ResponseCache

T = TypeVar("T")

__all__ = [
    "NO_TARGET",
    "RUNTIME_KEY",
    "Runtime",
    "Selection",
    "TargetError",
    "resolved",
    "runtime_of",
]

MAX_REDIRECT_HOPS = 5


@dataclass(frozen=True)
class Selection:
    """The chosen environment's name and where the choice came from (for the header)."""

    name: str
    origin: str


@dataclass(frozen=True)
class _Failed:
    error: Exception


class Runtime:
    """Everything a fixture needs about the target, resolved lazily and at most once.

    ``declared`` is the environment as configured, except that its ``protected`` is the run's
    one decision (``protection``): the gate, contracts, load, rate limits, the browser and the
    reports all read it there.
    """

    def __init__(
        self,
        config_file: ConfigFile,
        selection: Selection,
        *,
        protection: Protection,
        base_url_override: str | None,
        expected_version: str | None = None,
        redactor: Redactor,
        secret_sources: list[Mapping[str, str]],
    ) -> None:
        self.config_file = config_file
        self.selection = selection
        self.protection = protection
        self.declared = dataclasses.replace(
            config_file.envs[selection.name], protected=protection.protected
        )
        self.base_url_override = base_url_override.rstrip("/") if base_url_override else None
        self.redactor = redactor
        self.expected_version = expected_version or self.declared.release.expect
        self.secrets = SecretStore(selection.name, self.declared.secrets, secret_sources, redactor)
        self._lock = threading.RLock()
        self._env: Environment | None = None
        self._demo: DemoProcess | None = None
        self._launched: DemoProcess | None = None
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
    def demo(self) -> DemoProcess | None:
        return self._demo

    def launch(self) -> None:
        """Start an embedded demo now, without waiting for it: it gets ready while the run
        collects, and the first use of the environment waits only for what is left. A
        failure to start is reported at that first use, as without this call."""
        with self._lock:
            if self.embedded is None or self._env is not None or self._launched is not None:
                return
            self._workdir = Path(tempfile.mkdtemp(prefix="prodready-demo-"))
            try:
                self._launched = launch_demo(self.declared, self._workdir)
            except TargetError:
                self._launched = None

    def finish(self) -> None:
        """Tell an embedded demo that the tests are done: it stops while the run reports."""
        if self._demo is not None:
            self._demo.finish()

    def environment(self) -> Environment:
        """The environment with its URLs filled in (starting the embedded demo if needed)."""
        with self._lock:
            if self._env is None:
                self._env = self._resolve()
            return self._env

    def _resolve(self) -> Environment:
        env = self.declared
        if env.embedded is not None:
            if self._workdir is None:
                self._workdir = Path(tempfile.mkdtemp(prefix="prodready-demo-"))
            launched, self._launched = self._launched, None
            self._demo, env = start_demo(env, self._workdir, launched)
        if self.base_url_override:
            env = dataclasses.replace(env, base_url=self.base_url_override)
        if env.api_url is None:
            env = dataclasses.replace(env, api_url=env.base_url)
        return env

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

    def drain_responses(self) -> dict[str, httpx.Response]:
        """The pages fetched since the last call, by URL (the reports keep their headers)."""
        if self._cache is None:
            return {}
        fresh: dict[str, httpx.Response] = {}
        for url, response in self._cache.responses().items():
            if url not in self._headers_reported:
                self._headers_reported.add(url)
                fresh[url] = response
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
        # Every host of a protected env counts, compared as DNS does.
        protected = {
            host: name
            for name, other in self.config_file.envs.items()
            if other.protected and name != self.selection.name
            for host in home_hosts(other.base_url, other.api_url, other.http_url)
        }
        env = self.environment()
        if not protected or not env.base_url:
            return None
        import httpx

        from pytest_prodready.probes.redirect import stays_home

        home = home_hosts(env.base_url, env.api_url, env.http_url)
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
                host = bare_host(urlsplit(url).hostname or "")
            except ValueError:
                return None  # no client can follow an unparsable Location either
            # Read from the Location, never requested: the protected env gets no request.
            if host in protected:
                return protected[host]
            if not stays_home(url, home):
                # Off the env's own hosts: a hostile target must not aim the runner elsewhere.
                return None
        return None

    def close(self) -> None:
        """Stop what was started; safe to call twice."""
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None
            for demo in (self._demo, self._launched):
                if demo is not None:
                    demo.stop()
            self._demo = self._launched = None
            if self._workdir is not None:
                shutil.rmtree(self._workdir, ignore_errors=True)
                self._workdir = None


# The run's Runtime, set in pytest_configure (None when no environment is selected).
RUNTIME_KEY = pytest.StashKey["Runtime | None"]()

NO_TARGET = (
    "prodready: no target environment is selected, so this test has nothing to check. "
    "Pass --target-env NAME (or set PRODREADY_TARGET_ENV, or default_env in prodready.toml), "
    "with the environment defined in prodready.toml or [tool.prodready] in pyproject.toml."
)


def runtime_of(config: pytest.Config) -> Runtime:
    """The run's :class:`Runtime`; a test failure (not a crash) when none is configured."""
    runtime = config.stash.get(RUNTIME_KEY, None)
    if runtime is None:
        pytest.fail(NO_TARGET, pytrace=False)
    return runtime


def resolved(runtime: Runtime) -> Environment:
    """The runtime's environment; a target that cannot be started fails the test cleanly."""
    try:
        return runtime.environment()
    except TargetError as exc:
        pytest.fail(str(exc), pytrace=False)
