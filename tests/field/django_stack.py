"""The Django 5.2 + nginx field target: the site under ``django_site/`` served by gunicorn
behind a real nginx on 127.0.0.1, deployed the good way or the way teams get it wrong.

:func:`django_stack` deploys one variant into a work directory (``.env``, sqlite database,
``collectstatic`` root), starts nginx (TLS from a throwaway trustme CA, ``/static/`` served by
nginx itself, a plain-HTTP server block) and gunicorn, waits until the whole chain answers,
and stops both on exit. :meth:`DjangoStack.target` is what the suites are told about it: the
same declared expectations for both variants, so only the deployment differs.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import secrets
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tests.field.bed import ENV, Target
from tests.nginx import nginx
from tests.servers import free_port
from tests.test_suites_nginx import write_pems

__all__ = ["PASSWORD_VAR", "VERSION", "DjangoStack", "Variant", "django_stack"]

Variant = Literal["good", "bad"]

SITE = Path(__file__).resolve().parent / "django_site"
VERSION = "1.4.2"
PROBE_USER = "probe"
PASSWORD_VAR = "FIELD_DJANGO_PROBE_PASSWORD"
# Bounded waits: migrate + collectstatic take ~1.5 s, gunicorn's boot ~1 s on an idle machine.
PREPARE_TIMEOUT_S = 120.0
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
POLL_S = 0.1

# The login limiter: 20/min sustained with a burst of 4 on top, i.e. 5 attempts at once and
# then one every 3 s (a burst slower than 3 s would earn a 6th: ample on a loaded runner).
# nginx's limit_req sends no Retry-After, so the 429 page adds it.
LOGIN_PER_MINUTE = 20
LOGIN_RATE = f"{LOGIN_PER_MINUTE}r/m"
LOGIN_BURST = 4
RETRY_AFTER_S = 60 // LOGIN_PER_MINUTE
LOGIN_LIMIT = LOGIN_BURST + 1
LOGIN_WINDOW_S = LOGIN_LIMIT * RETRY_AFTER_S  # 5 per 15 s: the sustained rate, declared

# nginx's own answers need types; a bare default_type text/plain would make Chrome refuse
# the stylesheet.
_TYPES = """
types {
    text/html html;
    text/css css;
    application/javascript js;
    application/json json;
    image/svg+xml svg;
}
default_type application/octet-stream;
"""

_PROXY = """
    proxy_set_header Host $http_host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_redirect off;
"""


def _good_http(gunicorn: int) -> str:
    return (
        _TYPES
        + f"""
gzip on;
gzip_vary on;
gzip_proxied any;
gzip_min_length 256;
gzip_types text/css application/javascript application/json image/svg+xml;
# Only sign-in attempts (POST) count; reading the login form is never limited.
map $request_method $login_limit_key {{
    POST $binary_remote_addr;
    default "";
}}
limit_req_zone $login_limit_key zone=login:1m rate={LOGIN_RATE};
limit_req_status 429;
upstream django {{ server 127.0.0.1:{gunicorn}; }}
"""
    )


def _good_servers(cert: Path, key: Path, static_root: Path, http_port: int) -> str:
    # Django sets the security headers of what it serves (SecurityMiddleware, django-csp);
    # nginx sets them only on what it answers itself, so no header is sent twice.
    edge_headers = """
        add_header Strict-Transport-Security "max-age=63072000; includeSubDomains; preload" always;
        add_header X-Content-Type-Options nosniff always;"""
    return f"""
server {{
    listen 127.0.0.1:{{port}} ssl;
    server_name 127.0.0.1 localhost;
    server_tokens off;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_prefer_server_ciphers off;
    client_max_body_size 1m;
{_PROXY}
    # Dotfiles (.env, .git) are never served, whatever lands in a root.
    location ~ /\\. {{ deny all; }}

    location /static/ {{
        alias {static_root}/;
        # ManifestStaticFilesStorage fingerprints every name: cache them for a year.
        add_header Cache-Control "public, max-age=31536000, immutable" always;{edge_headers}
    }}

    location = /accounts/login/ {{
        limit_req zone=login burst={LOGIN_BURST} nodelay;
        error_page 429 = @login_throttled;
        proxy_pass http://django;
    }}

    location @login_throttled {{
        add_header Retry-After {RETRY_AFTER_S} always;{edge_headers}
        default_type text/plain;
        return 429 "Too many sign-in attempts; try again in {RETRY_AFTER_S} seconds.\\n";
    }}

    location / {{
        proxy_pass http://django;
    }}
}}

server {{
    listen 127.0.0.1:{http_port};
    server_tokens off;
    return 301 https://127.0.0.1:{{port}}$request_uri;
}}
"""


# Mozilla's "old" profile (ECDSA part): SHA-1 suites, and the security level OpenSSL 3 needs
# to negotiate TLS 1.0/1.1 at all.
_OLD_CIPHERS = ":".join(
    (
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-AES128-SHA",
        "ECDHE-ECDSA-AES256-SHA",
        "@SECLEVEL=0",
    )
)


def _bad_http(gunicorn: int) -> str:
    return _TYPES + f"upstream django {{ server 127.0.0.1:{gunicorn}; }}\n"


def _bad_servers(cert: Path, key: Path, deploy_dir: Path, http_port: int) -> str:
    # One server block for both ports (plain HTTP serves the app too), Mozilla's "old" TLS
    # profile for legacy clients, the Debian default server_tokens, no gzip, no limiter, and
    # the deploy directory as the root so nginx "serves static files itself".
    return f"""
server {{
    listen 127.0.0.1:{http_port};
    listen 127.0.0.1:{{port}} ssl;
    server_name 127.0.0.1 localhost;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;
    ssl_ciphers "{_OLD_CIPHERS}";
    root {deploy_dir};
{_PROXY}
    location /static/ {{
        autoindex on;
    }}

    location / {{
        try_files $uri @django;
    }}

    location @django {{
        proxy_pass http://django;
    }}
}}
"""


@dataclass(frozen=True)
class DjangoStack:
    """A running deployment: its ports, its CA and the probe user's password."""

    variant: Variant
    https_port: int
    http_port: int
    ca_bundle: Path
    password: str
    workdir: Path

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    def target(self) -> Target:
        """``[envs.field]`` for the suites; identical for both variants but for the ports."""
        env = f"""
http_url = "http://127.0.0.1:{self.http_port}"
ca_bundle = "{self.ca_bundle}"
timeout_s = 10
pages = ["/", {{ path = "/accounts/login/", contains = "Sign in" }}, "/api/health"]
protected_pages = ["/dashboard/"]
login_path = "/accounts/login/"
release = {{ path = "/api/version", field = "version", expect = "{VERSION}" }}
secrets = {{ probe_password = "{PASSWORD_VAR}" }}

[[envs.{ENV}.health.endpoints]]
path = "/api/health"
json = {{ status = "ok" }}
max_latency_ms = 500

[[envs.{ENV}.health.endpoints]]
path = "/api/health/detailed"
components_ok = ["up", "ok"]

[[envs.{ENV}.guarded_endpoints]]
path = "/api/webhooks/stripe"
method = "POST"

# nginx limit_req, rate {LOGIN_RATE} burst {LOGIN_BURST} nodelay. The POST carries no CSRF
# token: Django refuses it (403) before any password check.
[[envs.{ENV}.rate_limits]]
name = "login"
path = "/accounts/login/"
method = "POST"
json = {{ username = "{PROBE_USER}", password = "not-the-password" }}
limit = {LOGIN_LIMIT}
window_s = {LOGIN_WINDOW_S}
max_reset_wait_s = {LOGIN_WINDOW_S}

# Local pages: one cold load per page judges the budgets as well as three. Total Blocking
# Time on a bed that shares two cores: see tests/field/test_nextjs_page_quality.py.
[envs.{ENV}.vitals]
runs = 1
tbt_ms = 500

[envs.{ENV}.flows.login]
path = "/accounts/login/"
username = "{PROBE_USER}"
password_secret = "probe_password"
username_selector = "#id_username"
password_selector = "#id_password"
submit_selector = "button[type=submit]"
success_url = "/dashboard/"
success_selector = "#welcome"
logout_selector = "#logout-submit"
session_cookie = "sessionid"
"""
        return Target(self.base_url, env, {PASSWORD_VAR: self.password})


def _write_dotenv(deploy: Path, variant: Variant, https_port: int, http_port: int) -> None:
    """The deploy's ``.env`` (read by the settings). The bad one lacks the webhook secret,
    points the read replica at a volume that is not mounted, and has an http:// SITE_URL."""
    good = variant == "good"
    lines = {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_PATH": str(deploy / "db.sqlite3"),
        "DATABASE_REPLICA_PATH": str(
            deploy / "replica.sqlite3" if good else deploy / "mnt" / "replica" / "db.sqlite3"
        ),
        "STATIC_ROOT": str(deploy / "static"),
        "SITE_URL": f"https://127.0.0.1:{https_port}" if good else f"http://127.0.0.1:{http_port}",
        "APP_VERSION": VERSION,
        "STRIPE_WEBHOOK_SECRET": f"whsec_{secrets.token_hex(16)}" if good else "",
    }
    text = "".join(f"{key}={value}\n" for key, value in lines.items())
    (deploy / ".env").write_text(text, encoding="utf-8")


def _site_env(deploy: Path, variant: Variant) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "FIELD_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="fieldsite.settings",
        FIELD_VARIANT=variant,
        FIELD_DEPLOY_DIR=str(deploy),
        PYTHONDONTWRITEBYTECODE="1",  # keep __pycache__ out of the repository's site tree
    )
    return env


def _prepare(deploy: Path, variant: Variant, password: str, log: Path) -> None:
    env = _site_env(deploy, variant) | {
        "FIELD_PROBE_USER": PROBE_USER,
        "FIELD_PROBE_PASSWORD": password,
    }
    with log.open("wb") as out:
        done = subprocess.run(
            [sys.executable, "manage.py", "prepare_site"],
            cwd=SITE,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=PREPARE_TIMEOUT_S,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"manage.py prepare_site failed ({done.returncode}):\n{log.read_text()}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the gunicorn master (it stops its workers), then SIGKILL to its whole
    process group, workers included, if it is not gone in time."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@contextmanager
def _gunicorn(deploy: Path, variant: Variant, port: int, log: Path) -> Iterator[None]:
    args = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "--graceful-timeout",
        "5",
        "--error-logfile",
        str(log),
        "--chdir",
        str(SITE),
        "fieldsite.wsgi:application",
    ]
    proc = subprocess.Popen(
        args,
        cwd=SITE,
        env=_site_env(deploy, variant),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the workers can be killed with it
    )
    try:
        yield
    finally:
        _stop(proc)
        if proc.returncode not in (0, -15):
            # Not raised: a teardown error would hide the test's own verdict.
            print(f"gunicorn exited {proc.returncode}; log: {log}", file=sys.stderr)


def _wait_until_served(port: int, ca: Path, gunicorn_log: Path) -> None:
    """Poll GET /api/health through nginx until Django answers 200 (502 while gunicorn boots)."""
    context = ssl.create_default_context(cafile=str(ca))
    deadline = time.monotonic() + START_TIMEOUT_S
    last = "no answer"
    while time.monotonic() < deadline:
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=2)
        try:
            conn.request("GET", "/api/health")
            response = conn.getresponse()
            response.read()
            if response.status == 200:
                return
            last = f"HTTP {response.status}"
        except (OSError, http.client.HTTPException) as exc:
            last = f"{type(exc).__name__}: {exc}"
        finally:
            conn.close()
        time.sleep(POLL_S)
    log = gunicorn_log.read_text(errors="replace") if gunicorn_log.exists() else ""
    raise RuntimeError(
        f"the Django stack did not answer within {START_TIMEOUT_S:g} s ({last}); "
        f"gunicorn log:\n{log[-3000:]}"
    )


@contextmanager
def django_stack(variant: Variant, workdir: Path) -> Iterator[DjangoStack]:
    """Deploy and serve ``variant`` on 127.0.0.1 until the block ends."""
    workdir.mkdir(parents=True, exist_ok=True)
    deploy = workdir / "deploy"
    deploy.mkdir()
    ca, cert, key = write_pems(workdir)
    gunicorn_port, http_port = free_port(), free_port()
    password = secrets.token_urlsafe(18)
    if variant == "good":
        http_extra = _good_http(gunicorn_port)
        servers = _good_servers(cert, key, deploy / "static", http_port)
    else:
        http_extra = _bad_http(gunicorn_port)
        servers = _bad_servers(cert, key, deploy, http_port)
    # nginx first: it picks the HTTPS port, which the site's SITE_URL names.
    with nginx(workdir / "nginx", servers, http_extra=http_extra) as https_port:
        _write_dotenv(deploy, variant, https_port, http_port)
        _prepare(deploy, variant, password, workdir / "prepare.log")
        gunicorn_log = workdir / "gunicorn.log"
        with _gunicorn(deploy, variant, gunicorn_port, gunicorn_log):
            _wait_until_served(https_port, ca, gunicorn_log)
            yield DjangoStack(variant, https_port, http_port, ca, password, workdir)
