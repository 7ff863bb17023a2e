"""The transport probes against real servers on 127.0.0.1, no mocks.

TLS: a bare ``ssl`` server thread per certificate (trustme), for trusted, untrusted, expired,
wrong-name and legacy-protocol endpoints. Redirect, CORS and exposure: small Starlette apps
on uvicorn in a thread, a good and a bad variant each, their facts then run through the checks.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import trustme
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from pytest_prodready.checks import cors as cors_check
from pytest_prodready.checks import exposure as exposure_check
from pytest_prodready.checks import redirect as redirect_check
from pytest_prodready.checks import tls as tls_check
from pytest_prodready.checks.redirect import Hop
from pytest_prodready.probes import cors as cors_probe
from pytest_prodready.probes import exposure as exposure_probe
from pytest_prodready.probes import redirect as redirect_probe
from pytest_prodready.probes import tls as tls_probe

HOST = "127.0.0.1"
TIMEOUT = 5.0
# OpenSSL X509_V_ERR_* codes.
UNABLE_TO_GET_ISSUER_CERT_LOCALLY = 20
CERT_HAS_EXPIRED = 10
HOSTNAME_MISMATCH = 62


# --- TLS: a bare handshake server -------------------------------------------------------


class TlsServer:
    """Completes (or refuses) TLS handshakes on 127.0.0.1 and nothing else; ``silent`` accepts
    TCP connections and never answers, to show the probe's timeout holds."""

    def __init__(self, context: ssl.SSLContext | None, *, silent: bool = False) -> None:
        self._context = context
        self._silent = silent
        self._listener = socket.create_server((HOST, 0))
        self._listener.settimeout(0.05)
        self._stop = threading.Event()
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, name="tls-test-server", daemon=True)
        self.port: int = self._listener.getsockname()[1]

    def __enter__(self) -> TlsServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(TIMEOUT)
        self._listener.close()
        for conn in self._held:
            conn.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self._silent or self._context is None:
                self._held.append(conn)
                continue
            conn.settimeout(TIMEOUT)
            try:
                with (
                    self._context.wrap_socket(conn, server_side=True) as tls,
                    contextlib.suppress(OSError),
                ):
                    # Wait for the client's close_notify (or close) before closing ours.
                    tls.recv(1)
            except OSError:
                # The client refused our certificate or protocol: that is what is probed.
                conn.close()


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def ca_bundle(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


def server_context(cert: trustme.LeafCert, *, legacy: bool = False) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(context)
    if legacy:
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", r"ssl\.TLSVersion\.TLSv1", DeprecationWarning)
            context.minimum_version = ssl.TLSVersion.TLSv1
    return context


@pytest.fixture
def serve_cert() -> Iterator[Callable[..., TlsServer]]:
    with contextlib.ExitStack() as stack:

        def start(cert: trustme.LeafCert, *, legacy: bool = False) -> TlsServer:
            return stack.enter_context(TlsServer(server_context(cert, legacy=legacy)))

        yield start


def now() -> datetime:
    return datetime.now(UTC)


def test_tls_verified_endpoint(
    ca: trustme.CA, ca_bundle: Path, serve_cert: Callable[..., TlsServer]
) -> None:
    server = serve_cert(ca.issue_cert(HOST, "localhost"))
    facts = tls_probe.probe(HOST, server.port, ca_bundle=ca_bundle, timeout=TIMEOUT)
    assert (facts.verified, facts.verify_code, facts.verify_message) == (True, None, None)
    assert facts.protocol == "TLSv1.3"
    assert facts.cipher.startswith("TLS_")
    assert (facts.tls1_0, facts.tls1_1) == (False, False)
    assert facts.san_dns == ("localhost",)
    assert facts.san_ips == (HOST,)
    assert facts.issuer is not None
    assert "trustme" in facts.issuer
    assert facts.not_before is not None
    assert facts.not_after is not None
    assert facts.not_before < now() < facts.not_after
    assert tls_check.evaluate(facts, now=now()) == []


def test_tls_untrusted_without_the_ca(ca: trustme.CA, serve_cert: Callable[..., TlsServer]) -> None:
    server = serve_cert(ca.issue_cert(HOST, "localhost"))
    facts = tls_probe.probe(HOST, server.port, timeout=TIMEOUT)
    assert not facts.verified
    assert facts.verify_code == UNABLE_TO_GET_ISSUER_CERT_LOCALLY
    # The certificate is still read, from the second, non-verifying handshake.
    assert facts.san_ips == (HOST,)
    assert [f.id for f in tls_check.evaluate(facts, now=now())] == ["tls.untrusted"]


def test_tls_expired(ca: trustme.CA, ca_bundle: Path, serve_cert: Callable[..., TlsServer]) -> None:
    expired = ca.issue_cert(
        HOST, not_before=now() - timedelta(days=90), not_after=now() - timedelta(days=2)
    )
    server = serve_cert(expired)
    facts = tls_probe.probe(HOST, server.port, ca_bundle=ca_bundle, timeout=TIMEOUT)
    assert not facts.verified
    assert facts.verify_code == CERT_HAS_EXPIRED
    assert facts.verify_message == "certificate has expired"
    (finding,) = tls_check.evaluate(facts, now=now())
    assert finding.id == "tls.expired"
    assert finding.evidence.endswith(", 2 days ago")


def test_tls_expires_soon(
    ca: trustme.CA, ca_bundle: Path, serve_cert: Callable[..., TlsServer]
) -> None:
    server = serve_cert(ca.issue_cert(HOST, not_after=now() + timedelta(days=3)))
    facts = tls_probe.probe(HOST, server.port, ca_bundle=ca_bundle, timeout=TIMEOUT)
    assert facts.verified
    (finding,) = tls_check.evaluate(facts, now=now())
    assert (finding.id, str(finding.severity)) == ("tls.expires-soon", "high")


def test_tls_hostname_mismatch(
    ca: trustme.CA, ca_bundle: Path, serve_cert: Callable[..., TlsServer]
) -> None:
    server = serve_cert(ca.issue_cert("wrong.example"))
    facts = tls_probe.probe(
        HOST, server.port, server_hostname="localhost", ca_bundle=ca_bundle, timeout=TIMEOUT
    )
    assert facts.server_hostname == "localhost"
    assert facts.verify_code == HOSTNAME_MISMATCH
    assert facts.san_dns == ("wrong.example",)
    assert [f.id for f in tls_check.evaluate(facts, now=now())] == ["tls.hostname-mismatch"]


def test_tls_legacy_protocols_accepted(
    ca: trustme.CA, ca_bundle: Path, serve_cert: Callable[..., TlsServer]
) -> None:
    server = serve_cert(ca.issue_cert(HOST), legacy=True)
    facts = tls_probe.probe(HOST, server.port, ca_bundle=ca_bundle, timeout=TIMEOUT)
    assert facts.verified
    assert (facts.tls1_0, facts.tls1_1) == (True, True)
    (finding,) = tls_check.evaluate(facts, now=now())
    assert (finding.id, finding.evidence) == (
        "tls.protocol-outdated",
        "handshake accepted: TLS 1.0, TLS 1.1",
    )


@pytest.mark.parametrize(
    "ciphers",
    [
        # AEAD suites exist from TLS 1.2 on: OpenSSL has no TLS 1.0 ClientHello to send.
        pytest.param("ECDHE+AESGCM", id="no-client-hello"),
        # The hello goes out, the server answers in TLS 1.0, and our OpenSSL at security
        # level 2 rejects its SHA-1 signature: the server was not the one refusing.
        pytest.param("DEFAULT:@SECLEVEL=2", id="client-fails-on-the-answer"),
    ],
)
def test_tls_legacy_unknown_when_our_client_cannot_tell(
    ciphers: str,
    ca: trustme.CA,
    ca_bundle: Path,
    serve_cert: Callable[..., TlsServer],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tls_probe, "_LEGACY_CIPHERS", ciphers)
    server = serve_cert(ca.issue_cert(HOST), legacy=True)
    facts = tls_probe.probe(HOST, server.port, ca_bundle=ca_bundle, timeout=TIMEOUT)
    assert (facts.tls1_0, facts.tls1_1) == (None, None)
    assert tls_check.evaluate(facts, now=now()) == []


def test_tls_nothing_listening() -> None:
    with socket.create_server((HOST, 0)) as placeholder:
        port = placeholder.getsockname()[1]
    with pytest.raises(tls_probe.TlsProbeError, match=f"no TLS handshake with {HOST}:{port}"):
        tls_probe.probe(HOST, port, timeout=TIMEOUT)


def test_tls_silent_server_is_bounded_by_the_timeout() -> None:
    with TlsServer(None, silent=True) as server:
        started = time.monotonic()
        with pytest.raises(tls_probe.TlsProbeError, match="timed out"):
            tls_probe.probe(HOST, server.port, timeout=0.3)
        assert time.monotonic() - started < TIMEOUT


# --- HTTP: Starlette apps on uvicorn in a thread ------------------------------------------


class AppServer:
    """``app`` on uvicorn, on a socket we bind to 127.0.0.1:0, in a thread with its own loop."""

    def __init__(self, app: ASGIApp, *, certfile: Path | None = None) -> None:
        self._sock = socket.create_server((HOST, 0))
        self.port: int = self._sock.getsockname()[1]
        config = uvicorn.Config(
            app,
            log_config=None,
            lifespan="off",
            ssl_certfile=certfile,
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name="uvicorn-test-server", daemon=True)
        self.url = f"{'https' if certfile else 'http'}://{HOST}:{self.port}"

    def _run(self) -> None:
        asyncio.run(self._server.serve(sockets=[self._sock]))

    def __enter__(self) -> AppServer:
        self._thread.start()
        deadline = time.monotonic() + TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.should_exit = True
        self._thread.join(TIMEOUT)
        self._sock.close()


@pytest.fixture
def serve_app(tmp_path: Path) -> Iterator[Callable[..., AppServer]]:
    with contextlib.ExitStack() as stack:

        def start(app: ASGIApp, *, cert: trustme.LeafCert | None = None) -> AppServer:
            certfile = None
            if cert is not None:
                certfile = tmp_path / f"server-{len(list(tmp_path.iterdir()))}.pem"
                cert.private_key_and_cert_chain_pem.write_to_path(str(certfile))
            return stack.enter_context(AppServer(app, certfile=certfile))

        yield start


@pytest.fixture
def client(ca: trustme.CA) -> Iterator[httpx.Client]:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    with httpx.Client(verify=context, timeout=TIMEOUT) as http:
        yield http


class Counted:
    """Counts the requests that reach ``app``: the probes' request budgets are contracts."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.requests: list[tuple[str, str]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.requests.append((scope["method"], scope["path"]))
        await self.app(scope, receive, send)


def redirect_to(target: str, status: int = 301) -> Starlette:
    async def endpoint(request: Request) -> Response:
        return RedirectResponse(target, status_code=status)

    return Starlette(routes=[Route("/{path:path}", endpoint)])


def plain(text: str = "ok") -> Starlette:
    async def endpoint(request: Request) -> Response:
        return PlainTextResponse(text)

    return Starlette(routes=[Route("/{path:path}", endpoint)])


def test_redirect_straight_to_https(
    ca: trustme.CA, client: httpx.Client, serve_app: Callable[..., AppServer]
) -> None:
    https = serve_app(plain(), cert=ca.issue_cert(HOST, "localhost"))
    http = serve_app(redirect_to(f"https://{HOST}:{https.port}/"))
    chain = redirect_probe.follow(client, http.url + "/")
    assert chain == [
        Hop(f"{http.url}/", 301, f"{https.url}/"),
        Hop(f"{https.url}/", 200, None),
    ]
    assert redirect_check.evaluate(chain, https_url=https.url + "/") == []


def test_redirect_missing(client: httpx.Client, serve_app: Callable[..., AppServer]) -> None:
    http = serve_app(plain("welcome, in cleartext"))
    chain = redirect_probe.follow(client, http.url + "/")
    assert chain == [Hop(f"{http.url}/", 200, None)]
    (finding,) = redirect_check.evaluate(chain, https_url="https://127.0.0.1/")
    assert finding.id == "redirect.missing"


def test_redirect_off_host_first(
    ca: trustme.CA, client: httpx.Client, serve_app: Callable[..., AppServer]
) -> None:
    counted = Counted(plain())
    https = serve_app(counted, cert=ca.issue_cert(HOST, "localhost"))
    http = serve_app(redirect_to(f"https://localhost:{https.port}/", status=302))
    chain = redirect_probe.follow(client, http.url + "/")
    # localhost is another host than 127.0.0.1: judged from the Location, never requested.
    assert chain == [Hop(f"{http.url}/", 302, "https://localhost", off_host=True)]
    assert counted.requests == []
    (finding,) = redirect_check.evaluate(chain, https_url=https.url + "/")
    assert finding.id == "redirect.first-hop-off-host"


def test_redirect_loop_on_http_stops(
    client: httpx.Client, serve_app: Callable[..., AppServer]
) -> None:
    counted = Counted(redirect_to("/again", status=307))
    http = serve_app(counted)
    chain = redirect_probe.follow(client, http.url + "/", max_hops=5)
    # "/" then "/again", which redirects to itself: the loop is seen, not followed.
    assert [hop.url for hop in chain] == [f"{http.url}/", f"{http.url}/again"]
    assert len(counted.requests) == 2
    (finding,) = redirect_check.evaluate(chain, https_url="https://127.0.0.1/")
    assert finding.id == "redirect.not-to-https"


def test_redirect_hop_limit(client: httpx.Client, serve_app: Callable[..., AppServer]) -> None:
    async def deeper(request: Request) -> Response:
        return RedirectResponse(f"/{int(request.path_params['n']) + 1}", status_code=302)

    counted = Counted(Starlette(routes=[Route("/{n:int}", deeper)]))
    http = serve_app(counted)
    chain = redirect_probe.follow(client, http.url + "/0", max_hops=3)
    assert len(chain) == 3
    assert len(counted.requests) == 3


def test_redirect_nothing_on_http(client: httpx.Client) -> None:
    with socket.create_server((HOST, 0)) as placeholder:
        port = placeholder.getsockname()[1]
    assert redirect_probe.follow(client, f"http://{HOST}:{port}/") == []


def test_redirect_to_an_unreachable_https_keeps_the_hop(
    client: httpx.Client, serve_app: Callable[..., AppServer]
) -> None:
    with socket.create_server((HOST, 0)) as placeholder:
        closed = placeholder.getsockname()[1]
    http = serve_app(redirect_to(f"https://{HOST}:{closed}/"))
    chain = redirect_probe.follow(client, http.url + "/")
    assert chain == [Hop(f"{http.url}/", 301, f"https://{HOST}:{closed}/")]
    assert redirect_check.evaluate(chain, https_url=f"https://{HOST}:{closed}/") == []


TRUSTED_ORIGIN = "https://app.example.com"


def cors_app(*, reflect_everything: bool) -> Starlette:
    def cors_headers(request: Request) -> dict[str, str]:
        origin = request.headers.get("origin")
        if origin is None or not (reflect_everything or origin == TRUSTED_ORIGIN):
            return {"vary": "Origin"}
        return {
            "access-control-allow-origin": origin,
            "access-control-allow-credentials": "true",
            "vary": "Origin",
        }

    async def me(request: Request) -> Response:
        return PlainTextResponse("{}", headers=cors_headers(request))

    async def preflight(request: Request) -> Response:
        headers = cors_headers(request)
        headers["access-control-allow-methods"] = "GET"
        return Response(status_code=204, headers=headers)

    return Starlette(
        routes=[
            Route("/api/me", me, methods=["GET"]),
            Route("/api/me", preflight, methods=["OPTIONS"]),
        ]
    )


def test_cors_good_server(client: httpx.Client, serve_app: Callable[..., AppServer]) -> None:
    counted = Counted(cors_app(reflect_everything=False))
    server = serve_app(counted)
    probes = cors_probe.probe(client, server.url + "/api/me", "app.example.com")
    assert [(p.origin, p.preflight) for p in probes] == [
        (origin, preflight)
        for origin in cors_check.hostile_origins("app.example.com")
        for preflight in (False, True)
    ]
    assert sorted(set(counted.requests)) == [("GET", "/api/me"), ("OPTIONS", "/api/me")]
    assert len(counted.requests) == 8
    assert cors_check.evaluate(probes, allowed_origins=(TRUSTED_ORIGIN,)) == []


def test_cors_reflecting_server(client: httpx.Client, serve_app: Callable[..., AppServer]) -> None:
    server = serve_app(cors_app(reflect_everything=True))
    probes = cors_probe.probe(client, server.url + "/api/me", "app.example.com")
    findings = {f.id: f for f in cors_check.evaluate(probes)}
    assert sorted(findings) == ["cors.credentialed-reflection", "cors.null-origin"]
    assert findings["cors.credentialed-reflection"].url == server.url + "/api/me"
    assert "Origin https://evilapp.example.com" in findings["cors.credentialed-reflection"].evidence


BIG_ZIP = b"PK\x03\x04" + bytes(1_000_000)
LEAKS: dict[str, tuple[bytes, str]] = {
    "/.env": (b"APP_KEY=base64:AAAA\nDB_PASSWORD=hunter2\n", "text/plain"),
    "/.git/HEAD": (b"ref: refs/heads/main\n", "text/plain"),
    "/backup.zip": (BIG_ZIP, "application/zip"),
    "/actuator/env": (b'{"propertySources":[]}', "application/json"),
}
SHELL = '<!doctype html><html><head><script nonce="{nonce}">// ref: refs/heads/x</script></head>'


def leaky_app() -> Starlette:
    async def endpoint(request: Request) -> Response:
        leak = LEAKS.get(request.url.path)
        if leak is None:
            if request.url.path == "/.env.production":
                # Must not be followed: the probe records the redirect itself.
                return RedirectResponse("/.env", status_code=302)
            return PlainTextResponse("Not Found", status_code=404)
        return Response(leak[0], media_type=leak[1])

    return Starlette(routes=[Route("/{path:path}", endpoint)])


def spa_app() -> Starlette:
    counter = iter(range(1_000_000))

    async def endpoint(request: Request) -> Response:
        return Response(SHELL.format(nonce=next(counter)), media_type="text/html")

    return Starlette(routes=[Route("/{path:path}", endpoint)])


def test_exposure_leaky_server(client: httpx.Client, serve_app: Callable[..., AppServer]) -> None:
    counted = Counted(leaky_app())
    server = serve_app(counted)
    baseline, results = exposure_probe.probe(client, server.url + "/")
    assert baseline.status == 404
    assert baseline.path.startswith("/prodready-missing-")
    assert len(counted.requests) == 1 + len(exposure_check.EXPOSURES) <= 40
    by_path = {r.path: r for r in results}
    assert len(by_path["/backup.zip"].body) == exposure_probe.MAX_BODY_BYTES
    assert by_path["/.env.production"].status == 302
    findings = exposure_check.evaluate(results, baseline=baseline)
    assert sorted((f.id, f.url) for f in findings) == [
        ("exposure.actuator", f"{server.url}/actuator/env"),
        ("exposure.backup", f"{server.url}/backup.zip"),
        ("exposure.dotenv", f"{server.url}/.env"),
        ("exposure.git", f"{server.url}/.git/HEAD"),
    ]


def test_exposure_spa_catch_all(client: httpx.Client, serve_app: Callable[..., AppServer]) -> None:
    server = serve_app(spa_app())
    baseline, results = exposure_probe.probe(client, server.url)
    assert {r.status for r in [baseline, *results]} == {200}
    assert exposure_check.evaluate(results, baseline=baseline) == []


def test_exposure_request_cap(client: httpx.Client, serve_app: Callable[..., AppServer]) -> None:
    counted = Counted(spa_app())
    server = serve_app(counted)
    _, results = exposure_probe.probe(client, server.url, max_requests=5)
    assert len(results) == 4
    assert len(counted.requests) == 5


def test_exposure_overlaps_at_most_in_flight_requests_and_keeps_catalogue_order(
    client: httpx.Client, serve_app: Callable[..., AppServer]
) -> None:
    """Each answer takes 30 ms: the paths overlap, never more than IN_FLIGHT at once, and the
    baseline is asked alone, first."""
    in_flight: list[int] = [0]
    peaks: list[tuple[str, int]] = []

    async def slow(request: Request) -> Response:
        in_flight[0] += 1
        peaks.append((request.url.path, in_flight[0]))
        await asyncio.sleep(0.03)
        in_flight[0] -= 1
        return PlainTextResponse("not here", status_code=404)

    server = serve_app(Starlette(routes=[Route("/{path:path}", slow)]))
    baseline, results = exposure_probe.probe(client, server.url)
    assert peaks[0] == (baseline.path, 1)
    assert max(peak for _, peak in peaks) == exposure_probe.IN_FLIGHT
    assert [r.path for r in results] == [e.path for e in exposure_check.EXPOSURES]
    assert {r.status for r in results} == {404}


@pytest.mark.parametrize("on_purpose", [False, True], ids=["production", "plain_http"])
def test_a_site_on_plain_http_fails_the_tls_suite_unless_declared(
    pytester: pytest.Pytester, on_purpose: bool
) -> None:
    """Issue 14, defect 2: a production site with no HTTPS at all used to pass, skipped."""
    from tests.servers import serve

    async def home(request: Request) -> Response:
        return PlainTextResponse(
            "shop", headers={"set-cookie": "sessionid=abc; HttpOnly; SameSite=Lax"}
        )

    with serve(Starlette(routes=[Route("/", home)])) as server:
        (pytester.path / "prodready.toml").write_text(
            f'[envs.shop]\nbase_url = "{server.url}"\npages = ["/"]\n'
            + ("plain_http = true\n" if on_purpose else "")
        )
        result = pytester.runpytest_subprocess(
            str(Path(__file__).resolve().parents[1] / "suites" / "test_tls.py"),
            str(Path(__file__).resolve().parents[1] / "suites" / "test_cookies.py"),
            "--target-env",
            "shop",
            "--prodready-config",
            str(pytester.path / "prodready.toml"),
            "-k",
            "certificate or cookie_flags",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            "-rs",
            timeout=60,
        )
    out = result.stdout.str()
    if on_purpose:
        result.assert_outcomes(passed=1, skipped=1)
        assert "plain HTTP on purpose (plain_http)" in out
    else:
        result.assert_outcomes(failed=2)
        result.stdout.fnmatch_lines_random(
            [
                f"*[[]HIGH[]] tls.no-https*(evidence: base_url is {server.url}: nothing is "
                "encrypted)*",
                "*[[]HIGH[]] cookie.session-no-secure*",
            ]
        )
