"""The embedded demo target, exercised over real sockets on 127.0.0.1."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pytest_prodready.demo import VARIANTS, DemoServer, DemoSettings, read_request_log
from pytest_prodready.demo.server import THREAD_NAME_PREFIX

PASSWORD = "correct horse battery staple"
TOKEN = "demo-api-token-0123456789"
ADMIN = "admin@demo.test"
TRUSTED_ORIGIN = "https://app.demo.test"


def _settings(variant: str, request_log: Path | None = None) -> DemoSettings:
    return DemoSettings(
        variant=variant, admin_password=PASSWORD, api_token=TOKEN, request_log=request_log
    )


def _serve(variant: str, workdir: Path) -> Iterator[DemoServer]:
    with DemoServer(_settings(variant, workdir / "requests.jsonl"), workdir) as server:
        yield server


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    yield from _serve("demo", tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    yield from _serve("demo-broken", tmp_path_factory.mktemp("broken"))


def _client(server: DemoServer, base_url: str | None = None) -> httpx.Client:
    context = ssl.create_default_context(cafile=str(server.ca_bundle))
    return httpx.Client(base_url=base_url or server.base_url, verify=context, timeout=5)


def _cookies(response: httpx.Response) -> dict[str, str]:
    """Set-Cookie headers by cookie name."""
    return {h.partition("=")[0]: h for h in response.headers.get_list("set-cookie")}


def _login(client: httpx.Client, password: str = PASSWORD) -> httpx.Response:
    client.get("/login")
    form = {"username": ADMIN, "password": password, "csrf_token": client.cookies["csrftoken"]}
    return client.post("/login", data=form)


@pytest.mark.parametrize("variant", ["demo", "broken"])
def test_serves_https_verified_by_its_own_ca(request: pytest.FixtureRequest, variant: str) -> None:
    server: DemoServer = request.getfixturevalue(variant)
    assert server.base_url.startswith("https://127.0.0.1:")
    with _client(server) as client:
        assert client.get("/api/health").json() == {"status": "ok"}
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(server.base_url + "/api/health", verify=True)


def test_http_redirects_to_https_in_demo_only(demo: DemoServer, broken: DemoServer) -> None:
    response = httpx.get(demo.http_url + "/login?next=/dashboard")
    assert response.status_code == 301
    assert response.headers["location"] == demo.base_url + "/login?next=/dashboard"
    plain = httpx.get(broken.http_url + "/api/health")
    assert plain.status_code == 200
    assert plain.json() == {"status": "ok"}


def test_demo_html_headers_are_hardened(demo: DemoServer) -> None:
    with _client(demo) as client:
        first, second = client.get("/"), client.get("/")
    headers = first.headers
    assert headers["strict-transport-security"] == "max-age=63072000; includeSubDomains; preload"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert headers["cross-origin-opener-policy"] == "same-origin"
    assert headers["server"] == "demo"
    assert headers["cache-control"] == "no-store"
    assert headers["content-encoding"] == "gzip"
    csp = headers["content-security-policy"]
    assert "object-src 'none'" in csp
    # 'unsafe-inline' and https: are fallbacks for old browsers; a nonce plus 'strict-dynamic'
    # makes CSP3 browsers ignore both.
    assert "'strict-dynamic' https: 'unsafe-inline'" in csp
    nonce = re.search(r"'nonce-([^']+)'", csp)
    assert nonce is not None
    assert f'<script nonce="{nonce.group(1)}">' in first.text
    assert nonce.group(1) not in second.headers["content-security-policy"]


def test_demo_api_and_static_headers(demo: DemoServer) -> None:
    with _client(demo) as client:
        api = client.get("/api/version")
        asset = client.get("/static/app.js")
    assert api.json() == {"version": "1.4.2", "commit": "0000000"}
    assert api.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert api.headers["cache-control"] == "no-store"
    assert "strict-transport-security" in api.headers
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert asset.headers["content-encoding"] == "gzip"


def test_broken_headers_are_misconfigured(broken: DemoServer) -> None:
    with _client(broken) as client:
        headers = client.get("/").headers
    assert "strict-transport-security" not in headers
    assert "x-content-type-options" not in headers
    assert "x-frame-options" not in headers
    assert headers["server"] == "nginx/1.18.0"
    assert headers["x-powered-by"] == "Express"
    assert headers["referrer-policy"] == "unsafe-url"
    assert "'unsafe-inline'" in headers["content-security-policy"]


def test_demo_login_flow_with_csrf(demo: DemoServer) -> None:
    with _client(demo) as client:
        form_page = client.get("/login")
        assert 'id="login-submit"' in form_page.text
        csrf_cookie = _cookies(form_page)["csrftoken"]
        assert csrf_cookie.endswith("; Path=/; Secure; SameSite=Strict")
        token = client.cookies["csrftoken"]
        assert f'name="csrf_token" value="{token}"' in form_page.text

        wrong = client.post(
            "/login", data={"username": ADMIN, "password": "x", "csrf_token": token}
        )
        assert wrong.status_code == 401
        assert "Invalid username or password." in wrong.text

        response = _login(client)
        assert response.status_code == 303
        assert response.headers["location"] == "/dashboard"
        assert _cookies(response)["session"].endswith("; Path=/; Secure; HttpOnly; SameSite=Lax")

        dashboard = client.get("/dashboard")
        assert dashboard.status_code == 200
        assert f"Welcome, {ADMIN}" in dashboard.text
        assert dashboard.headers["cache-control"] == "no-store"

        logout = client.post("/logout", data={"csrf_token": client.cookies["csrftoken"]})
        assert logout.status_code == 303
        assert logout.headers["location"] == "/login"
        assert "Max-Age=0" in _cookies(logout)["session"]
        assert client.get("/dashboard").status_code == 302


def test_login_without_csrf_token_is_forbidden(demo: DemoServer) -> None:
    with _client(demo) as client:
        response = client.post("/login", data={"username": ADMIN, "password": PASSWORD})
    assert response.status_code == 403


def test_broken_cookies_have_no_attributes(broken: DemoServer) -> None:
    with _client(broken) as client:
        response = _login(client)
    assert response.status_code == 303
    session = _cookies(response)["session"]
    assert re.fullmatch(r"session=[^;]+; Path=/", session)


def test_dashboard_needs_a_session_in_demo_only(demo: DemoServer, broken: DemoServer) -> None:
    with _client(demo) as client:
        response = client.get("/dashboard")
    assert response.status_code == 302
    assert response.headers["location"] == "/login?next=/dashboard"
    with _client(broken) as client:
        response = client.get("/dashboard")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=600"


def test_demo_cors_trusts_one_origin(demo: DemoServer) -> None:
    with _client(demo) as client:
        trusted = client.get("/api/health", headers={"origin": TRUSTED_ORIGIN})
        foreign = client.get("/api/health", headers={"origin": "https://evil.example"})
        preflight = client.options(
            "/api/items",
            headers={
                "origin": TRUSTED_ORIGIN,
                "access-control-request-method": "POST",
                "access-control-request-headers": "authorization, content-type",
            },
        )
        refused = client.options(
            "/api/items",
            headers={"origin": "null", "access-control-request-method": "DELETE"},
        )
    assert trusted.headers["access-control-allow-origin"] == TRUSTED_ORIGIN
    assert trusted.headers["access-control-allow-credentials"] == "true"
    assert "access-control-allow-origin" not in foreign.headers
    assert preflight.status_code == 204
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "access-control-allow-origin" not in refused.headers
    assert "access-control-allow-credentials" not in refused.headers


@pytest.mark.parametrize("origin", ["https://evil.example", "null"])
def test_broken_cors_reflects_any_origin(broken: DemoServer, origin: str) -> None:
    with _client(broken) as client:
        response = client.get("/api/health", headers={"origin": origin})
    assert response.headers["access-control-allow-origin"] == origin
    assert response.headers["access-control-allow-credentials"] == "true"


def test_demo_rate_limits_the_sixth_login(demo: DemoServer) -> None:
    body = {"email": "limit-demo@demo.test", "password": "wrong"}
    with _client(demo) as client:
        responses = [client.post("/api/auth/login", json=body) for _ in range(6)]
    assert [r.status_code for r in responses] == [401] * 5 + [429]
    assert responses[0].headers["ratelimit-policy"] == "5;w=60"
    assert responses[0].headers["ratelimit"].startswith("limit=5, remaining=4, reset=")
    refused = responses[-1]
    assert 0 < int(refused.headers["retry-after"]) <= 60
    assert "remaining=0" in refused.headers["ratelimit"]


def test_broken_does_not_rate_limit(broken: DemoServer) -> None:
    body = {"email": "limit-broken@demo.test", "password": "wrong"}
    with _client(broken) as client:
        responses = [client.post("/api/auth/login", json=body) for _ in range(6)]
    assert [r.status_code for r in responses] == [401] * 6
    assert "ratelimit" not in responses[-1].headers


def test_api_token_login_and_items(demo: DemoServer) -> None:
    with _client(demo) as client:
        login = client.post("/api/auth/login", json={"email": ADMIN, "password": PASSWORD})
        assert login.json() == {"token": TOKEN}
        new_item = {"name": "Pro plan", "price_cents": 9900, "tags": ["plan"]}
        assert client.post("/api/items", json=new_item).status_code == 401
        auth = {"authorization": f"Bearer {TOKEN}"}
        created = client.post("/api/items", json=new_item, headers=auth)
        assert created.status_code == 201
        location = created.headers["location"]
        assert client.get(location).json() == created.json()
        assert client.delete(location, headers=auth).status_code == 204
        assert client.get(location).json() == {"detail": "item not found"}
        assert client.get("/api/items", params={"limit": 0}).status_code == 422
        assert client.post("/api/items", json={"name": ""}, headers=auth).status_code == 422


def test_broken_api_breaks_its_contract(broken: DemoServer) -> None:
    with _client(broken) as client:
        items = client.get("/api/items").json()
        crash = client.get("/api/items/-1")
        health = client.get("/api/health/detailed")
    assert items[0]["price_cents"] == "12.50"
    assert crash.status_code == 500
    assert "Traceback (most recent call last):" in crash.text
    assert 'File "/app/pytest_prodready/demo/api.py", line ' in crash.text
    assert health.json()["components"]["redis"] == "degraded"
    assert "cache-control" not in health.headers


def test_exposed_files_and_error_pages(demo: DemoServer, broken: DemoServer) -> None:
    with _client(demo) as client:
        for path in ("/.env", "/.git/HEAD"):
            assert client.get(path).status_code == 404
        not_found = client.get("/no-such-page")
        assert client.get("/api/no-such-thing").json() == {"detail": "Not Found"}
    assert not_found.status_code == 404
    assert "DEBUG" not in not_found.text
    with _client(broken) as client:
        env = client.get("/.env")
        head = client.get("/.git/HEAD")
        debug_404 = client.get("/no-such-page")
    assert env.status_code == 200
    assert "DATABASE_URL=postgres://app:hunter2@db:5432/app" in env.text
    assert head.text == "ref: refs/heads/main\n"
    assert "DEBUG = True" in debug_404.text


def test_webhook_and_cron_need_credentials(demo: DemoServer, broken: DemoServer) -> None:
    payload = b'{"type": "invoice.paid"}'
    timestamp = str(int(time.time()))
    digest = hmac.new(TOKEN.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    signature = f"t={timestamp},v1={digest.hexdigest()}"
    with _client(demo) as client:
        assert client.post("/api/webhooks/stripe", content=payload).status_code == 400
        signed = client.post(
            "/api/webhooks/stripe", content=payload, headers={"stripe-signature": signature}
        )
        assert signed.json() == {"received": True, "type": "invoice.paid"}
        assert client.get("/api/cron/cleanup").status_code == 401
        cron = client.post("/api/cron/cleanup", headers={"authorization": f"Bearer {TOKEN}"})
        assert cron.status_code == 200
    with _client(broken) as client:
        assert client.get("/api/cron/cleanup").status_code == 200


def test_openapi_document_is_served(demo: DemoServer) -> None:
    with _client(demo) as client:
        document = client.get("/api/openapi.json").json()
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) >= {"/api/health", "/api/items", "/api/auth/login"}


def test_request_log_records_every_request(tmp_path: Path) -> None:
    log = tmp_path / "requests.jsonl"
    with DemoServer(_settings("demo", log), tmp_path) as server, _client(server) as client:
        client.get("/api/health")
        client.post("/api/auth/login", content=b"not json")
        httpx.get(server.http_url + "/api/version")
    entries = read_request_log(log)
    assert [(e["scheme"], e["method"], e["path"], e["status"]) for e in entries] == [
        ("https", "GET", "/api/health", 200),
        ("https", "POST", "/api/auth/login", 422),
        ("http", "GET", "/api/version", 301),
    ]
    assert all(isinstance(e["t"], float) for e in entries)
    assert json.loads(log.read_text().splitlines()[0])["path"] == "/api/health"


def _refuses(url: str) -> bool:
    host, _, port = url.rpartition("//")[2].partition(":")
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


def test_stop_releases_both_ports_and_the_thread(tmp_path: Path) -> None:
    server = DemoServer(_settings("demo"), tmp_path)
    server.start()
    assert not _refuses(server.base_url)
    server.stop()
    server.stop()
    assert _refuses(server.base_url)
    assert _refuses(server.http_url)
    port = server.base_url.rpartition(":")[2]
    names = {thread.name for thread in threading.enumerate()}
    assert f"{THREAD_NAME_PREFIX}-demo-{port}" not in names


def test_unknown_variant_is_refused() -> None:
    with pytest.raises(ValueError, match=r"'demo-prod'.*demo, demo-broken"):
        _settings("demo-prod")
    assert VARIANTS == ("demo", "demo-broken")


def test_public_api_is_small() -> None:
    import pytest_prodready.demo as demo_package

    assert set(demo_package.__all__) == {
        "VARIANTS",
        "DemoServer",
        "DemoSettings",
        "read_request_log",
    }
