"""The field test bed's Next.js target: a real ``next build`` + ``next start`` behind nginx.

One build serves every variant (good, misconfigured, degraded): the app reads
``FIELD_VARIANT`` (and its other settings) from the process environment at request time, and
``next build`` runs without them, so nothing of the variant can be inlined. What the build
does inline is its public configuration (``NEXT_PUBLIC_*``, :mod:`tests.field.nextjs_public`):
the production one in ``.next``, and a leaky one (server keys, staging values, a heavy
catalog) in a second build, ``.next-leaky``, made and cached the same way, for the bundle
suites. ``headers()`` of next.config.js is compiled into the build and is the same for every
variant; what differs lives in ``src/proxy.js``, the route handlers, the environment ``next
start`` gets, and the nginx in front.

The build happens in place under ``tests/field/nextjs/`` once per machine: ``npm ci`` and
``next build`` run under an exclusive file lock (xdist workers may ask at once) and leave a
stamp with the hash of what they were made from, so a later session reuses them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import ssl
import subprocess
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.field.nextjs_public import LEAKY, PRODUCTION, catalog_module
from tests.locks import exclusive
from tests.nginx import nginx
from tests.servers import free_port
from tests.test_suites_nginx import write_pems

__all__ = [
    "APP",
    "RELEASE",
    "USERNAME",
    "BuildError",
    "BuildReport",
    "Deployment",
    "deployment",
    "ensure_build",
    "next_start",
    "node_missing",
    "ready_build",
    "variant_marker",
]

APP = Path(__file__).resolve().parent / "nextjs"
NEXT_BIN = APP / "node_modules" / "next" / "dist" / "bin" / "next"
STAMP = APP / ".build-stamp"
# Each build: its directory (FIELD_DIST_DIR), stamp and build-time public configuration.
FLAVOURS: dict[str, tuple[str, Path, Mapping[str, str]]] = {
    "production": (".next", STAMP, PRODUCTION),
    "leaky": (".next-leaky", APP / ".build-stamp-leaky", LEAKY),
}
CATALOG = APP / "generated" / "catalog.js"
LOCK = APP / ".build.lock"
LOG = APP / ".build.log"

# Generous bounds: measured on a 2-core runner, npm ci took ~12 s and next build ~10 s.
NPM_CI_TIMEOUT_S = 600.0
BUILD_TIMEOUT_S = 600.0
# A worker waiting for another worker's build waits out both of its steps, and a little more.
LOCK_TIMEOUT_S = NPM_CI_TIMEOUT_S + BUILD_TIMEOUT_S + 60.0
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
OUTPUT_TAIL_CHARS = 4000

# next@16 needs node >= 20.9 (its package.json engines).
MIN_NODE = (20, 9)
RELEASE = "1.4.2"
USERNAME = "probe@example.com"
# good and misconfigured differ in security and edge; degraded is good's edge and security with
# the page-quality mistakes (images, accessibility, SEO, an old jQuery, slow handlers).
VARIANTS = ("good", "misconfigured", "degraded")

# What the build is made of: the dependencies, then the sources (see _sources).
DEPS_FILES = ("package.json", "package-lock.json")
SOURCE_DIRS = ("src", "public")
NOT_SOURCES = frozenset({".build-stamp", ".build-stamp-leaky", ".build.lock", ".build.log"})
# The app's run-time settings (see _app_env): kept out of the build, so none can be baked in.
RUNTIME_VARS = frozenset(
    {
        "FIELD_VARIANT",
        "FIELD_LOGIN_PASSWORD",
        "SESSION_SECRET",
        "APP_VERSION",
        "APP_COMMIT",
        "CRON_SECRET",
        "NODE_ENV",
        "FIELD_DIST_DIR",
        "FIELD_CATALOG",
    }
)
# Pages and routes fetched once after start: a production server is warm when users come.
WARM_PATHS = (
    "/",
    "/login",
    "/gallery",
    "/dashboard",
    "/robots.txt",
    "/sitemap.xml",
    "/api/health",
    "/api/health/detailed",
    "/api/version",
)


class BuildError(RuntimeError):
    """npm ci or next build failed or ran past its time: the message ends with its output."""


@dataclass(frozen=True)
class BuildReport:
    """What :func:`ensure_build` did: ``None`` times for a step it reused."""

    npm_ci_s: float | None
    build_s: float | None
    node_modules_mb: float
    build_id: str

    def describe(self) -> str:
        def step(name: str, took: float | None) -> str:
            return f"{name} {took:.1f} s" if took is not None else f"{name} reused"

        return (
            f"{step('npm ci', self.npm_ci_s)}, {step('next build', self.build_s)}, "
            f"node_modules {self.node_modules_mb:.0f} MB, BUILD_ID {self.build_id}"
        )


def node_missing() -> str | None:
    """Why the Next.js target cannot run here (node or npm missing or too old), or None."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        missing = " and ".join(n for n, p in (("node", node), ("npm", npm)) if p is None)
        return (
            f"{missing} not found on PATH: the Next.js field target needs Node.js >= "
            f"{MIN_NODE[0]}.{MIN_NODE[1]} and npm (Debian: apt-get install -y nodejs npm)"
        )
    version = subprocess.run(
        [node, "--version"], capture_output=True, text=True, timeout=30, check=False
    ).stdout.strip()
    match = re.match(r"v(\d+)\.(\d+)", version)
    if match is None or (int(match[1]), int(match[2])) < MIN_NODE:
        return f"node {version or '(no version)'} is older than next@16 needs (>= 20.9)"
    return None


def ready_build(flavour: str = "production") -> BuildReport:
    """``flavour``'s build for a test: skipped in one line without Node.js, failed in one
    paragraph (with the build's output) when it does not build."""
    import pytest

    reason = node_missing()
    if reason is not None:
        pytest.skip(reason)
    try:
        return ensure_build(flavour)
    except BuildError as exc:
        pytest.fail(str(exc), pytrace=False)


def _node_version() -> str:
    return subprocess.run(
        ["node", "--version"], capture_output=True, text=True, timeout=30, check=True
    ).stdout.strip()


def _digest(paths: list[Path], extra: str) -> str:
    sha = hashlib.sha256(extra.encode())
    for path in paths:
        sha.update(str(path.relative_to(APP)).encode() + b"\0")
        sha.update(path.read_bytes() + b"\0")
    return sha.hexdigest()


def _sources() -> list[Path]:
    """What `next build` compiles: the app's top-level files (next.config.js, ...) but the
    dependency files and the build's own, and everything under src/ and public/."""
    found = [
        path
        for path in APP.iterdir()
        if path.is_file() and path.name not in NOT_SOURCES and path.name not in DEPS_FILES
    ]
    for folder in SOURCE_DIRS:
        found += [path for path in (APP / folder).rglob("*") if path.is_file()]
    return sorted(found)


def fingerprints() -> tuple[str, str]:
    """(dependencies, build): hashes of the lock file, and of it plus the app sources.

    The node version is in both: native modules and the build output may depend on it.
    """
    node = _node_version()
    deps = _digest([APP / name for name in DEPS_FILES], node)
    return deps, _digest(_sources(), deps)


def _build_env(extra: Mapping[str, str]) -> dict[str, str]:
    # The machine's environment (npm needs its registry, proxy and cache settings), less the
    # app's run-time settings and any NEXT_PUBLIC_ value of its own: the build must not see,
    # and so cannot inline, any of them; ``extra`` is what it must inline.
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in RUNTIME_VARS and not k.startswith("NEXT_PUBLIC_")
    }
    env.update(extra)
    # No telemetry, no npm update check: the only traffic is npm ci's, to the registry.
    env.update(NEXT_TELEMETRY_DISABLED="1", CI="1", npm_config_update_notifier="false")
    return env


def _tail(path: Path) -> str:
    text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
    return text[-OUTPUT_TAIL_CHARS:]


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process group, SIGKILL to whatever is left after STOP_TIMEOUT_S."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    # The leader may be gone while a child it started lingers: sweep the group too.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


def _step(
    name: str, args: list[str], timeout_s: float, extra: Mapping[str, str] | None = None
) -> float:
    """Run one build step in its own process group, its output appended to LOG; its time."""
    with LOG.open("ab") as log:
        log.write(f"\n$ {' '.join(args)}\n".encode())
        log.flush()
        start = time.monotonic()
        proc = subprocess.Popen(
            args,
            cwd=APP,
            env=_build_env(extra or {}),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            code = proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            _stop(proc)
            raise BuildError(
                f"{name} ran past {timeout_s:g} s and was stopped; its output ends:\n{_tail(LOG)}"
            ) from None
        took = time.monotonic() - start
    if code != 0:
        raise BuildError(f"{name} failed (exit {code}); its output ends:\n{_tail(LOG)}")
    return took


def _read_stamp(stamp: Path = STAMP) -> dict[str, str]:
    try:
        data = json.loads(stamp.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _size_mb(folder: Path) -> float:
    total = sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() or p.is_symlink())
    return total / 1e6


def _flavour_env(flavour: str) -> dict[str, str]:
    dist, _, public = FLAVOURS[flavour]
    env = {"FIELD_DIST_DIR": dist, **public}
    if flavour == "leaky":
        env["FIELD_CATALOG"] = "./" + str(CATALOG.relative_to(APP))
    return env


def ensure_build(flavour: str = "production") -> BuildReport:
    """``npm ci`` and ``next build`` (of ``flavour``: see :data:`FLAVOURS`) in place, each only
    when its inputs changed since the stamp; bounded, under the lock; :class:`BuildError` with
    the output's tail on failure."""
    dist, stamp_file, _ = FLAVOURS[flavour]
    extra = _flavour_env(flavour)
    with exclusive(LOCK, LOCK_TIMEOUT_S, BuildError):
        deps, sources = fingerprints()
        build = hashlib.sha256((sources + json.dumps(extra, sort_keys=True)).encode()).hexdigest()
        if flavour == "leaky":
            catalog = catalog_module()
            build = hashlib.sha256((build + catalog).encode()).hexdigest()
        stamp = _read_stamp(stamp_file)
        build_id_file = APP / dist / "BUILD_ID"
        npm_ci_s = build_s = None
        if _read_stamp().get("deps") != deps or not NEXT_BIN.exists():
            for flavour_stamp in (f[1] for f in FLAVOURS.values()):
                flavour_stamp.unlink(missing_ok=True)
            LOG.write_bytes(b"")
            npm_ci_s = _step("npm ci", ["npm", "ci", "--no-audit", "--no-fund"], NPM_CI_TIMEOUT_S)
            STAMP.write_text(json.dumps({"deps": deps}), encoding="utf-8")
        if stamp.get("build") != build or npm_ci_s is not None or not build_id_file.exists():
            # Until this build succeeds, no stamp may vouch for what is in its directory.
            stamp_file.write_text(json.dumps({"deps": deps}), encoding="utf-8")
            if npm_ci_s is None:
                LOG.write_bytes(b"")
            if flavour == "leaky":
                CATALOG.parent.mkdir(exist_ok=True)
                CATALOG.write_text(catalog, encoding="utf-8")
            build_s = _step("next build", ["node", str(NEXT_BIN), "build"], BUILD_TIMEOUT_S, extra)
            stamp_file.write_text(json.dumps({"deps": deps, "build": build}), encoding="utf-8")
        return BuildReport(
            npm_ci_s=npm_ci_s,
            build_s=build_s,
            node_modules_mb=_size_mb(APP / "node_modules"),
            build_id=build_id_file.read_text(encoding="utf-8").strip(),
        )


# --- Launch: next start, then nginx in front ------------------------------------------------


@dataclass(frozen=True)
class Deployment:
    """A running variant: its public URLs, the CA to trust, and what the suites need."""

    variant: str
    base_url: str
    http_url: str
    ca_bundle: Path
    password: str
    next_port: int
    ready_s: float


def _app_env(variant: str, password: str, flavour: str = "production") -> dict[str, str]:
    """The deployment's environment: what `next start` reads at run time."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    env.update(
        FIELD_DIST_DIR=FLAVOURS[flavour][0],
        NODE_ENV="production",
        NEXT_TELEMETRY_DISABLED="1",
        FIELD_VARIANT=variant,
        FIELD_LOGIN_PASSWORD=password,
        SESSION_SECRET=secrets.token_hex(32),
        APP_VERSION="1.4.1" if variant == "misconfigured" else RELEASE,
    )
    if variant != "misconfigured":
        # The misconfigured deployment was started without it: its cron guard is off.
        env["CRON_SECRET"] = secrets.token_urlsafe(24)
    return env


def _wait_ready(proc: subprocess.Popen[bytes], port: int, log: Path) -> float:
    """Seconds until /api/health answers (bounded by START_TIMEOUT_S), then a warm-up."""
    start = time.monotonic()
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base, timeout=5.0, trust_env=False) as client:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"next start exited ({proc.returncode}):\n{_tail(log)}")
            with contextlib.suppress(httpx.HTTPError):
                if client.get("/api/health").status_code == 200:
                    break
            if time.monotonic() - start > START_TIMEOUT_S:
                raise RuntimeError(
                    f"next start not ready after {START_TIMEOUT_S:g} s:\n{_tail(log)}"
                )
            time.sleep(0.1)
        ready_s = time.monotonic() - start
        # Next.js loads each route's server code on its first request: do it now, not in
        # the first page load the suites time. Rate-limited routes are left alone.
        for path in WARM_PATHS:
            client.get(path)
    return ready_s


@contextlib.contextmanager
def next_start(
    variant: str, password: str, workdir: Path, flavour: str = "production"
) -> Iterator[tuple[int, float]]:
    """``next start -H 127.0.0.1`` of ``flavour``'s build on a free port; yields (port,
    seconds to ready)."""
    if variant not in VARIANTS:
        raise ValueError(f"variant {variant!r}: use one of {VARIANTS}")
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "next.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            ["node", str(NEXT_BIN), "start", "-H", "127.0.0.1", "-p", str(port)],
            cwd=APP,
            env=_app_env(variant, password, flavour),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield port, _wait_ready(proc, port, log)
    finally:
        _stop(proc)


_PROXY = """
        location {location} {{
            proxy_pass http://127.0.0.1:{next_port};
            proxy_http_version 1.1;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-Proto {scheme};
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Real-IP $remote_addr;
        }}
"""

# As a Vercel-like edge or a hardened nginx serves it: TLS 1.2+, no version in Server, every
# path to Next.js, plain HTTP only redirects.
_GOOD_SERVERS = """
server_tokens off;
server {{
    listen 127.0.0.1:{{port}} ssl;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    ssl_protocols TLSv1.2 TLSv1.3;
{proxy}
}}
server {{
    listen 127.0.0.1:{http_port};
    return 301 https://127.0.0.1:{{port}}$request_uri;
}}
"""

# The misconfigured edge: TLS 1.0/1.1 still on, nginx's version in Server, a second HSTS
# header on top of the app's, the root pointed at the deploy directory (files there win over
# the app, .env included), and plain HTTP proxied to the app instead of redirected.
_BAD_SERVERS = """
server {{
    listen 127.0.0.1:{{port}} ssl;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    ssl_protocols TLSv1 TLSv1.1 TLSv1.2;
    ssl_ciphers ALL:@SECLEVEL=0;
    add_header Strict-Transport-Security "max-age=31536000" always;
    root {docroot};
    location / {{
        try_files $uri @next;
    }}
{proxy_https}
}}
server {{
    listen 127.0.0.1:{http_port};
{proxy_http}
}}
"""

# The deploy directory the misconfigured nginx serves from: the app's environment file, as a
# `vercel env pull` or a CI step leaves it next to the build.
_DOTENV = """\
DATABASE_URL=postgres://app:{db_password}@127.0.0.1:5432/app
SESSION_SECRET={session_secret}
NEXT_PUBLIC_APP_URL=https://127.0.0.1
"""


def _server_blocks(
    variant: str, next_port: int, http_port: int, cert: Path, key: Path, docroot: Path
) -> str:
    if variant != "misconfigured":
        proxy = _PROXY.format(location="/", next_port=next_port, scheme="https")
        return _GOOD_SERVERS.format(cert=cert, key=key, http_port=http_port, proxy=proxy)
    return _BAD_SERVERS.format(
        cert=cert,
        key=key,
        http_port=http_port,
        docroot=docroot,
        proxy_https=_PROXY.format(location="@next", next_port=next_port, scheme="https"),
        proxy_http=_PROXY.format(location="/", next_port=next_port, scheme="http"),
    )


@contextlib.contextmanager
def deployment(variant: str, workdir: Path) -> Iterator[Deployment]:
    """The variant live on 127.0.0.1: ``next start`` and nginx (TLS, HTTP) in front of it."""
    password = "field-" + secrets.token_urlsafe(18)
    pki = workdir / "pki"
    pki.mkdir(parents=True, exist_ok=True)
    ca, cert, key = write_pems(pki)
    docroot = workdir / "docroot"  # served by the misconfigured nginx only
    docroot.mkdir(parents=True, exist_ok=True)
    if variant == "misconfigured":
        (docroot / ".env").write_text(
            _DOTENV.format(db_password=secrets.token_hex(8), session_secret=secrets.token_hex(16))
        )
    with next_start(variant, password, workdir / "next") as (next_port, ready_s):
        http_port = free_port()
        blocks = _server_blocks(variant, next_port, http_port, cert, key, docroot)
        with nginx(workdir / "nginx", blocks) as port:
            yield Deployment(
                variant=variant,
                base_url=f"https://127.0.0.1:{port}",
                http_url=f"http://127.0.0.1:{http_port}",
                ca_bundle=ca,
                password=password,
                next_port=next_port,
                ready_s=ready_s,
            )


def variant_marker(base_url: str, ca_bundle: Path) -> Mapping[str, object]:
    """The detailed health body: its ``database`` differs per variant, which proves the one
    build reads the variant at run time."""
    context = ssl.create_default_context(cafile=str(ca_bundle))
    with httpx.Client(verify=context, timeout=10.0, trust_env=False) as client:
        body: Mapping[str, object] = client.get(base_url + "/api/health/detailed").json()
    return body
