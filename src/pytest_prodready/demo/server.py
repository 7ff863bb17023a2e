"""Serve the demo on 127.0.0.1 over HTTPS (trustme certificate) and plain HTTP."""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Self

import trustme
import uvicorn
from starlette.types import ASGIApp

from pytest_prodready.demo.app import create_app, create_redirect_app
from pytest_prodready.demo.settings import DemoSettings

THREAD_NAME_PREFIX = "prodready-demo"
_HOST = "127.0.0.1"
_STOP_TIMEOUT_SECONDS = 10.0
_UVICORN_LOGGERS = ("uvicorn.error", "uvicorn.access", "uvicorn.asgi")


class _QuietDemoThreads(logging.Filter):
    """Drop uvicorn's routine records (startup, "Invalid HTTP request received.") that come
    from a demo server thread, so a test run's output stays clean.

    A filter rather than reconfiguring uvicorn's loggers: those are process-wide, and another
    uvicorn in the same process keeps its logging. Errors still pass: they mean a demo bug.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        from_demo = (record.threadName or "").startswith(THREAD_NAME_PREFIX)
        return not from_demo or record.levelno >= logging.ERROR


_QUIET = _QuietDemoThreads()


class DemoServer:
    """Both listeners of one demo app, served from one background thread.

    ::

        with DemoServer(DemoSettings(variant="demo", ...), tmp_path) as server:
            httpx.get(server.base_url, verify=str(server.ca_bundle))
    """

    def __init__(self, settings: DemoSettings, workdir: Path) -> None:
        self.settings = settings
        self.workdir = workdir
        self._sockets: list[socket.socket] = []
        self._servers: list[uvicorn.Server] = []
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._urls: tuple[str, str, Path] | None = None

    @property
    def base_url(self) -> str:
        """`https://127.0.0.1:<port>`, no trailing slash."""
        return self._started()[0]

    @property
    def http_url(self) -> str:
        """`http://127.0.0.1:<port>`, the plain-HTTP listener."""
        return self._started()[1]

    @property
    def ca_bundle(self) -> Path:
        """PEM of the CA that signed the server certificate; clients verify with it."""
        return self._started()[2]

    def start(
        self, timeout: float = 10.0, sockets: tuple[socket.socket, socket.socket] | None = None
    ) -> None:
        """Return once both listeners serve; RuntimeError if that takes over `timeout` s.

        ``sockets`` (HTTPS, HTTP) are listening sockets bound by the caller (a parent process
        that knew the ports before this one started); by default both are bound here."""
        if self._thread is not None:
            raise RuntimeError("DemoServer.start() was already called")
        try:
            self._launch(timeout, sockets)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop gracefully and release both ports; safe to call more than once."""
        for server in self._servers:
            server.should_exit = True
        if self._thread is not None:
            self._thread.join(_STOP_TIMEOUT_SECONDS)
            if self._thread.is_alive():
                # Connections still open after the grace period are cut.
                for server in self._servers:
                    server.force_exit = True
                self._thread.join(_STOP_TIMEOUT_SECONDS)
        for sock in self._sockets:
            sock.close()

    def busy(self) -> bool:
        """Whether a request is being answered (its log line not yet written)."""
        return any(server.server_state.tasks for server in self._servers)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _started(self) -> tuple[str, str, Path]:
        if self._urls is None:
            raise RuntimeError("DemoServer is not started; call start() or use it as a context")
        return self._urls

    def _issue_certificate(self, port: int) -> tuple[Path, ssl.SSLContext]:
        ca = trustme.CA(organization_name="pytest-prodready demo CA")
        cert = ca.issue_cert(_HOST, "localhost")
        self.workdir.mkdir(parents=True, exist_ok=True)
        # Named by port: several servers may share a workdir.
        stem = self.workdir / f"{self.settings.variant}-{port}"
        ca_bundle = stem.with_name(stem.name + "-ca.pem")
        ca.cert_pem.write_to_path(str(ca_bundle))
        cert.private_key_and_cert_chain_pem.write_to_path(str(stem.with_name(stem.name + ".pem")))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.set_alpn_protocols(["http/1.1"])
        cert.configure_cert(context)
        return ca_bundle, context

    def _launch(self, timeout: float, sockets: tuple[socket.socket, socket.socket] | None) -> None:
        for name in _UVICORN_LOGGERS:
            # addFilter ignores a filter that is already installed.
            logging.getLogger(name).addFilter(_QUIET)
        # Bound before anything runs, so the ports are ours: no pick-then-bind race.
        self._sockets = list(sockets) if sockets else [listening_socket(), listening_socket()]
        https_port, http_port = (sock.getsockname()[1] for sock in self._sockets)
        base_url, http_url = f"https://{_HOST}:{https_port}", f"http://{_HOST}:{http_port}"
        ca_bundle, tls = self._issue_certificate(https_port)
        https_app = create_app(self.settings)
        http_app = create_redirect_app(base_url, self.settings, app=https_app)
        self._servers = [uvicorn.Server(_config(https_app, tls)), uvicorn.Server(_config(http_app))]
        self._thread = threading.Thread(
            target=self._run,
            name=f"{THREAD_NAME_PREFIX}-{self.settings.variant}-{https_port}",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not all(server.started for server in self._servers):
            if self._error is not None or not self._thread.is_alive():
                raise RuntimeError(f"demo server failed to start: {self._error!r}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"demo server did not start within {timeout} s")
            time.sleep(0.01)
        self._urls = (base_url, http_url, ca_bundle)

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported by start(), which waits on this thread
            self._error = exc

    async def _serve(self) -> None:
        await asyncio.gather(
            *(
                server.serve(sockets=[sock])
                for server, sock in zip(self._servers, self._sockets, strict=True)
            )
        )


def listening_socket() -> socket.socket:
    """A TCP socket listening on 127.0.0.1, on a port the kernel picks."""
    # proto must be IPPROTO_TCP, not the default 0: asyncio only sets TCP_NODELAY on such
    # sockets, and without it every response waits ~40 ms on Nagle and delayed ACKs.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind((_HOST, 0))
    sock.listen(128)
    return sock


def _config(app: ASGIApp, tls: ssl.SSLContext | None = None) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        http="h11",
        ws="none",
        lifespan="off",
        # No logging configuration and no access log: the test run's output stays clean.
        log_config=None,
        access_log=False,
        # The app sets its own Server header; uvicorn's would reveal the stack.
        server_header=False,
        # Clients on 127.0.0.1 would otherwise be trusted to set X-Forwarded-For, and could
        # spoof their way around the per-IP login rate limit.
        proxy_headers=False,
        timeout_graceful_shutdown=2,
        ssl_context_factory=None if tls is None else (lambda _config, _default: tls),
    )
