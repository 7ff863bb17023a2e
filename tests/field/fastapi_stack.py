"""Launch the FastAPI field target on 127.0.0.1 and describe it to the suites.

A variant is two uvicorn processes: the API over TLS (``--ssl-certfile/--ssl-keyfile``, a
trustme certificate whose CA is the env's ``ca_bundle``) and a plain-HTTP listener, which in
the good deployment only redirects to HTTPS and in the misconfigured one serves the API
too. Each process runs in its own session with its output in a log file; :func:`serve`
waits a bounded time for them and always stops them.
"""

from __future__ import annotations

import os
import secrets
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import trustme

from tests.field.bed import ROOT, Target
from tests.field.fastapi_app.settings import (
    CACHE_URL_VAR,
    CRON_SECRET_VAR,
    HTTPS_ORIGIN_VAR,
    LOGIN_LIMIT,
    LOGIN_WINDOW_S,
    TOKEN_VAR,
    TRUSTED_ORIGIN,
    VARIANT_VAR,
    VARIANTS,
    VERSION_VAR,
)
from tests.servers import free_port

__all__ = ["RELEASE", "Stack", "serve", "target_of"]

HOST = "127.0.0.1"
RELEASE = "1.4.2"
APP = "tests.field.fastapi_app.main:app"
REDIRECT_APP = "tests.field.fastapi_app.redirect:app"
# Interpreter start and the FastAPI/pydantic imports take about a second; a loaded two-core
# runner takes a few. The bound only keeps a broken start from hanging the test.
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
POLL_S = 0.1
PORT_ATTEMPTS = 3


@dataclass(frozen=True)
class Pems:
    ca: Path
    cert: Path
    key: Path


@dataclass(frozen=True)
class Stack:
    """A running variant: where it listens and the secrets the suites must send."""

    variant: str
    base_url: str
    http_url: str
    ca: Path
    api_token: str
    logs: tuple[Path, ...]

    def log_tail(self, chars: int = 3000) -> str:
        return "\n".join(
            f"--- {log.name} ---\n{log.read_text(errors='replace')[-chars:]}"
            for log in self.logs
            if log.exists()
        )


def write_pems(directory: Path) -> Pems:
    """A private CA and a leaf for 127.0.0.1 and localhost, as tests/test_suites_nginx.py."""
    ca = trustme.CA()
    leaf = ca.issue_cert(HOST, "localhost")
    pems = Pems(directory / "ca.pem", directory / "cert.pem", directory / "key.pem")
    ca.cert_pem.write_to_path(str(pems.ca))
    leaf.private_key_and_cert_chain_pem.write_to_path(str(pems.cert))
    leaf.private_key_pem.write_to_path(str(pems.key))
    return pems


def _app_env(variant: str, token: str, https_origin: str) -> dict[str, str]:
    """The container environment of each variant: what the deploy set, and forgot to."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PRODREADY_", "PYTEST_", "FIELD_FASTAPI_"))
    }
    env.update(
        {
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
            VARIANT_VAR: variant,
            TOKEN_VAR: token,
            HTTPS_ORIGIN_VAR: https_origin,
        }
    )
    if variant == "good":
        env[CRON_SECRET_VAR] = secrets.token_urlsafe(24)
        env[VERSION_VAR] = RELEASE
        env[CACHE_URL_VAR] = "memory://"
    else:
        # The image was built without APP_VERSION and CRON_SECRET never reached this
        # environment; CACHE_URL names a Redis nothing listens on.
        env.pop(VERSION_VAR, None)
        env[CACHE_URL_VAR] = f"redis://{HOST}:{free_port()}/0"
    return env


def _uvicorn(
    app: str, port: int, env: Mapping[str, str], log: Path, pems: Pems | None
) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "uvicorn", app, "--host", HOST, "--port", str(port)]
    # Info level for the "Uvicorn running on" line _ready() waits for; no access log.
    command += ["--timeout-graceful-shutdown", "2", "--log-level", "info", "--no-access-log"]
    if app == REDIRECT_APP:
        command += ["--lifespan", "off"]
    if pems is not None:
        command += ["--ssl-certfile", str(pems.cert), "--ssl-keyfile", str(pems.key)]
    with log.open("ab") as out:
        # Its own session: a stop signal reaches it alone, never this pytest process.
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=STOP_TIMEOUT_S)
            return
        except subprocess.TimeoutExpired:
            proc.kill()
    proc.wait(timeout=STOP_TIMEOUT_S)


def _ready(
    url: str, verify: ssl.SSLContext | bool, proc: subprocess.Popen[bytes], log: Path
) -> bool:
    """Wait until this process says it listens on ``url`` and ``url`` answers (True), or
    until it exits (False: the port was taken between free_port() and its bind, or it
    crashed), within START_TIMEOUT_S. Its own log line, not just an answer, proves the port
    is ours: another process that took the port would answer too."""
    deadline = time.monotonic() + START_TIMEOUT_S
    listening = f"Uvicorn running on {url.rstrip('/')}"
    with httpx.Client(verify=verify, timeout=2.0, follow_redirects=False) as client:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                return False
            if listening in _tail(log, chars=None):
                try:
                    client.get(url)
                except httpx.TransportError:
                    pass
                else:
                    return True
            time.sleep(POLL_S)
    raise RuntimeError(f"{url} did not answer within {START_TIMEOUT_S:g} s:\n{_tail(log)}")


def _tail(log: Path, chars: int | None = 3000) -> str:
    text = log.read_text(errors="replace") if log.exists() else "(no output)"
    return text if chars is None else text[-chars:]


def _start(
    stack: ExitStack,
    app: str,
    env_for: Callable[[int], Mapping[str, str]],
    log: Path,
    pems: Pems | None,
    verify: ssl.SSLContext | bool,
) -> int:
    """Start ``app`` on a free port, with the environment ``env_for(port)``, and wait for it;
    a port another process took first (an xdist worker) costs a retry on a new one."""
    scheme = "https" if pems is not None else "http"
    for _ in range(PORT_ATTEMPTS):
        port = free_port()
        proc = _uvicorn(app, port, env_for(port), log, pems)
        stack.callback(_stop, proc)
        if _ready(f"{scheme}://{HOST}:{port}/", verify, proc, log):
            return port
    raise RuntimeError(f"uvicorn {app} did not start:\n{_tail(log)}")


@contextmanager
def serve(variant: str, workdir: Path) -> Iterator[Stack]:
    """Run ``variant`` until the block ends; both processes are stopped whatever happens."""
    if variant not in VARIANTS:
        raise ValueError(f"variant {variant!r}: use one of {VARIANTS}")
    workdir.mkdir(parents=True, exist_ok=True)
    pems = write_pems(workdir)
    verify = ssl.create_default_context(cafile=str(pems.ca))
    token = secrets.token_urlsafe(32)
    https_log, http_log = workdir / "uvicorn-https.log", workdir / "uvicorn-http.log"
    with ExitStack() as stack:
        envs: dict[int, Mapping[str, str]] = {}

        def https_env(port: int) -> Mapping[str, str]:
            envs[port] = _app_env(variant, token, f"https://{HOST}:{port}")
            return envs[port]

        https_port = _start(stack, APP, https_env, https_log, pems, verify)
        # The plain listener shares the API's environment: it redirects to (or, misconfigured,
        # serves the same app as) the HTTPS port just bound.
        plain_app = REDIRECT_APP if variant == "good" else APP
        http_port = _start(stack, plain_app, lambda _: envs[https_port], http_log, None, False)
        yield Stack(
            variant=variant,
            base_url=f"https://{HOST}:{https_port}",
            http_url=f"http://{HOST}:{http_port}",
            ca=pems.ca,
            api_token=token,
            logs=(https_log, http_log),
        )


def target_of(stack: Stack) -> Target:
    """The ``[envs.field]`` table a team would write for this service, and its secrets."""
    env_toml = f"""
http_url = "{stack.http_url}"
ca_bundle = "{stack.ca}"
openapi = "/openapi.json"
timeout_s = 5
pages = [{{ path = "/", contains = "Field Shop API" }}, "/api/items"]
protected_pages = ["/api/me"]
secrets = {{ api_token = "{TOKEN_VAR}" }}
release = {{ path = "/api/version", field = "version", expect = "{RELEASE}" }}

[envs.field.expect]
cors_allowed_origins = ["{TRUSTED_ORIGIN}"]

[[envs.field.health.endpoints]]
path = "/api/health"
json = {{ status = "ok" }}
max_latency_ms = 500

[[envs.field.health.endpoints]]
path = "/api/health/detailed"
components_key = "checks"

[[envs.field.guarded_endpoints]]
path = "/api/internal/cron/cleanup"
method = "POST"

[[envs.field.rate_limits]]
name = "login"
path = "/api/auth/login"
method = "POST"
json = {{ email = "probe@example.com", password = "wrong" }}
limit = {LOGIN_LIMIT}
window_s = {LOGIN_WINDOW_S}
max_reset_wait_s = {LOGIN_WINDOW_S * 3}

[envs.field.contract]
max_examples = 10
seed = 20260514
request_timeout_s = 5
max_time_s = 60
headers = {{ Authorization = "Bearer {{api_token}}" }}
"""
    return Target(base_url=stack.base_url, env_toml=env_toml, secrets={TOKEN_VAR: stack.api_token})
