"""The embedded demo targets (``demo``, ``demo-broken``): throwaway secrets and start-up.

The demo is served by a child process (:mod:`pytest_prodready.demo.child`), launched when
the run is configured and waited for when the environment is first used; this process
imports none of the demo app.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import secrets as _random
import selectors
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from pytest_prodready.config import Environment

__all__ = [
    "DEMO_LOG_VAR",
    "DEMO_VERSIONS",
    "DEMO_VERSION_VAR",
    "DemoProcess",
    "TargetError",
    "demo_settings",
    "launch_demo",
    "seed_embedded_secrets",
    "start_demo",
]

DEMO_LOG_VAR = "PRODREADY_DEMO_LOG"
DEMO_VERSION_VAR = "PRODREADY_DEMO_VERSION"
# demo-broken is a deploy that did not roll out: it still serves the previous release.
DEMO_VERSIONS = {"demo": "1.4.2", "demo-broken": "1.4.1"}
_STOP_TIMEOUT_S = 10.0


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


class TargetError(RuntimeError):
    """The target could not be made ready (an embedded demo that failed to start)."""


class DemoProcess:
    """An embedded demo served by a child process (:mod:`pytest_prodready.demo.child`).

    :func:`launch_demo` returns at once; :meth:`ready` waits for the child to serve. The
    ports are bound here and handed over, so they are known (and reserved) from the start.
    """

    def __init__(self, settings: dict[str, str | None], workdir: Path) -> None:
        self.variant = settings["variant"]
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self._sockets = (_listening_socket(), _listening_socket())
        self._errors = (workdir / "demo-child.log").open("w+b")
        self._urls: tuple[str, str, Path] | None = None
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pytest_prodready.demo.child"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._errors,
            pass_fds=[sock.fileno() for sock in self._sockets],
            # Its own session: a Ctrl-C reaches the run, which then stops it in order.
            start_new_session=True,
        )
        request = {
            "settings": settings,
            "workdir": str(workdir),
            "fds": [sock.fileno() for sock in self._sockets],
        }
        stdin = self.process.stdin
        assert stdin is not None
        stdin.write(json.dumps(request).encode() + b"\n")
        stdin.flush()

    def ready(self, timeout: float = 20.0) -> None:
        """Return once the child serves; TargetError (with its error line) otherwise."""
        if self._urls is not None:
            return
        stdout = self.process.stdout
        assert stdout is not None
        line = b""
        with selectors.DefaultSelector() as selector:
            selector.register(stdout, selectors.EVENT_READ)
            if selector.select(timeout):
                line = stdout.readline()
        if not line:
            problem = self._problem() or f"it did not answer within {timeout:g} s"
            self.stop()
            raise TargetError(problem)
        answer = json.loads(line)
        self._urls = (answer["base_url"], answer["http_url"], Path(answer["ca_bundle"]))
        # The child holds the listeners now.
        for sock in self._sockets:
            sock.close()

    def _problem(self) -> str:
        self._errors.seek(0)
        lines = self._errors.read().decode("utf-8", "replace").strip().splitlines()
        return lines[-1] if lines else ""

    def _started(self) -> tuple[str, str, Path]:
        if self._urls is None:
            raise RuntimeError("the demo process is not ready; call ready() first")
        return self._urls

    @property
    def base_url(self) -> str:
        return self._started()[0]

    @property
    def http_url(self) -> str:
        return self._started()[1]

    @property
    def ca_bundle(self) -> Path:
        return self._started()[2]

    def finish(self) -> None:
        """Ask the child to stop (it answers in-flight requests first) without waiting."""
        stdin = self.process.stdin
        if stdin is not None and not stdin.closed:
            with contextlib.suppress(OSError):
                stdin.close()

    def stop(self) -> None:
        """Stop the child and wait for it; safe to call more than once."""
        self.finish()
        try:
            self.process.wait(_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        for sock in self._sockets:
            sock.close()
        self._errors.close()


def demo_settings(env: Environment, workdir: Path) -> dict[str, str | None]:
    """The ``DemoSettings`` fields ``env``'s embedded demo is served with: its declared
    secrets' values (seeded by :func:`seed_embedded_secrets`), version and request log. Plain
    values: the child builds (and checks) the settings, this process imports no demo code."""
    values = {name: os.environ.get(var, "") for name, var in env.secrets.items()}
    log = os.environ.get(DEMO_LOG_VAR)
    return {
        "variant": env.embedded or "demo",
        "version": os.environ.get(DEMO_VERSION_VAR) or DEMO_VERSIONS[env.embedded or "demo"],
        "admin_password": values.get("admin_password") or _random.token_urlsafe(18),
        "api_token": values.get("api_token") or _random.token_urlsafe(18),
        "request_log": log or str(workdir / "requests.jsonl"),
    }


def _listening_socket() -> socket.socket:
    # The same socket the demo binds for itself (IPPROTO_TCP, so asyncio sets TCP_NODELAY).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def launch_demo(env: Environment, workdir: Path) -> DemoProcess:
    """Start serving ``env``'s embedded demo in a child process; returns without waiting."""
    try:
        return DemoProcess(demo_settings(env, workdir), workdir)
    except OSError as exc:
        raise TargetError(_failure(env, str(exc))) from exc


def start_demo(
    env: Environment, workdir: Path, launched: DemoProcess | None = None
) -> tuple[DemoProcess, Environment]:
    """``env``'s embedded demo serving on 127.0.0.1 (``launched`` earlier, or now), and
    ``env`` with its URLs and CA bundle filled in."""
    demo = launched or launch_demo(env, workdir)
    try:
        demo.ready()
    except TargetError as exc:
        raise TargetError(_failure(env, str(exc))) from exc
    return demo, dataclasses.replace(
        env, base_url=demo.base_url, http_url=demo.http_url, ca_bundle=demo.ca_bundle
    )


def _failure(env: Environment, problem: str) -> str:
    return (
        f"prodready: the embedded {env.embedded or 'demo'} target did not start on "
        f"127.0.0.1: {problem}. Check that loopback is usable and ports are free."
    )
