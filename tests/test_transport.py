"""The target transport against raw sockets on 127.0.0.1: whole-request budget, capped
bodies (decompressed too), connect retries."""

from __future__ import annotations

import gzip
import socket
import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from pytest_prodready._transport import TRUNCATED, TargetTransport
from pytest_prodready.config import Environment
from pytest_prodready.http import make_client

Handler = Callable[[socket.socket], None]


@pytest.fixture
def raw_server() -> Iterator[Callable[[Handler], str]]:
    """Serve each connection with ``handler`` (one thread per connection, all bounded)."""
    stop = threading.Event()
    listeners: list[socket.socket] = []
    threads: list[threading.Thread] = []

    def start(handler: Handler) -> str:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        sock.settimeout(0.2)
        listeners.append(sock)

        def accept() -> None:
            while not stop.is_set():
                try:
                    conn, _ = sock.accept()
                except OSError:
                    continue
                with conn:
                    conn.settimeout(5)
                    try:
                        conn.recv(65536)
                        handler(conn)
                    except OSError:
                        pass

        thread = threading.Thread(target=accept, daemon=True)
        thread.start()
        threads.append(thread)
        return f"http://127.0.0.1:{sock.getsockname()[1]}"

    yield start
    stop.set()
    for thread in threads:
        thread.join(timeout=5)
    for sock in listeners:
        sock.close()


def client(url: str, timeout_s: float = 1.0, max_body_mb: float = 5.0) -> httpx.Client:
    env = Environment("t", base_url=url, timeout_s=timeout_s, max_body_mb=max_body_mb)
    return make_client(env)


def dribble_headers(conn: socket.socket) -> None:
    for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 40:
        conn.sendall(bytes([byte]))
        time.sleep(0.2)


def test_dribbled_headers_cannot_outlive_the_budget(raw_server: Callable[[Handler], str]) -> None:
    url = raw_server(dribble_headers)
    start = time.monotonic()
    with client(url, timeout_s=1.0) as c, pytest.raises(httpx.ReadTimeout):
        c.get("/")
    assert time.monotonic() - start < 1.0 + 0.5


def huge_body(conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 52428800\r\n\r\n")
    chunk = b"x" * 65536
    for _ in range(800):
        conn.sendall(chunk)


def test_large_body_is_cut_at_the_cap(raw_server: Callable[[Handler], str]) -> None:
    url = raw_server(huge_body)
    with client(url, timeout_s=5, max_body_mb=1) as c:
        response = c.get("/")
    assert len(response.content) == 1024 * 1024
    assert response.extensions[TRUNCATED] is True


def gzip_bomb(conn: socket.socket) -> None:
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Type: text/html\r\n"
        + f"Content-Length: {len(bomb)}\r\n\r\n".encode()
        + bomb
    )


def test_decompression_is_capped(raw_server: Callable[[Handler], str]) -> None:
    url = raw_server(gzip_bomb)
    with client(url, timeout_s=5, max_body_mb=2) as c:
        response = c.get("/")
    assert len(response.content) == 2 * 1024 * 1024
    assert response.headers["content-encoding"] == "gzip"


def test_small_bodies_are_untouched(raw_server: Callable[[Handler], str]) -> None:
    body = b'{"status": "ok"}'
    url = raw_server(
        lambda conn: conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
    )
    with client(url) as c:
        response = c.get("/")
    assert response.json() == {"status": "ok"}
    assert TRUNCATED not in response.extensions


def test_transport_pool_is_rebuilt_on_the_budget_backend() -> None:
    import ssl

    transport = TargetTransport(
        verify=ssl.create_default_context(), budget_s=1, retries=0, backoff_s=0
    )
    # Guards the one private httpx attribute the budget relies on.
    assert type(transport._pool._network_backend).__name__ == "_BudgetBackend"
