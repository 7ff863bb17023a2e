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

from pytest_prodready.config import Environment
from pytest_prodready.core.evidence import TRUNCATED
from pytest_prodready.http import BAD_LOCATION, make_client
from pytest_prodready.http._transport import TargetTransport

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
    # The dribble would take 11 s; slack for a loaded runner, far below that.
    assert time.monotonic() - start < 1.0 + 2.0


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


def reply(head: bytes, body: bytes) -> Handler:
    def handler(conn: socket.socket) -> None:
        conn.sendall(head + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)

    return handler


def test_a_body_that_is_not_its_content_encoding_is_a_decoding_error(
    raw_server: Callable[[Handler], str],
) -> None:
    url = raw_server(reply(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n", b"plain text"))
    with client(url) as c, pytest.raises(httpx.DecodingError, match="not valid gzip"):
        c.get("/")


def test_raw_and_zlib_deflate_both_decode(raw_server: Callable[[Handler], str]) -> None:
    import zlib

    text = b"deflated " * 1000
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    for body in (zlib.compress(text), raw.compress(text) + raw.flush()):
        url = raw_server(reply(b"HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\n", body))
        with client(url) as c:
            assert c.get("/").content == text


@pytest.mark.parametrize("location", ["http://[::1/login", "javascript:alert(1)"])
def test_a_redirect_to_an_unusable_location_is_kept(
    raw_server: Callable[[Handler], str], location: str
) -> None:
    head = f"HTTP/1.1 302 Found\r\nLocation: {location}\r\n".encode()
    url = raw_server(reply(head, b""))
    with client(url) as c:
        response = c.get("/")
    assert response.status_code == 302
    assert response.headers["location"] == location
    assert response.next_request is None
    assert BAD_LOCATION in response.extensions


def test_a_failed_fetch_is_remembered_not_retried(raw_server: Callable[[Handler], str]) -> None:
    from pytest_prodready.http import ResponseCache

    served: list[int] = []

    def hang_up(conn: socket.socket) -> None:
        served.append(1)  # and close without a word: not HTTP

    url = raw_server(hang_up)
    with client(url) as c:
        fetch = ResponseCache(c)
        for _ in range(3):
            with pytest.raises(httpx.RemoteProtocolError):
                fetch("/api/health")
    assert len(served) == 1


def test_only_boundable_encodings_are_asked_for_and_others_refused(
    raw_server: Callable[[Handler], str],
) -> None:
    asked: list[bytes] = []

    def brotli_anyway(conn: socket.socket) -> None:
        asked.append(b"")
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: 4\r\n\r\n\x8b\x01\x80\x03"
        )

    url = raw_server(brotli_anyway)
    with client(url) as c:
        assert c.headers["accept-encoding"] == "gzip, deflate"
        with pytest.raises(httpx.DecodingError, match="Content-Encoding br, which was not asked"):
            c.get("/")
    assert asked


@pytest.mark.parametrize("host", ["a..b", "a" * 64 + ".example"])
def test_a_host_name_idna_cannot_encode_is_a_connect_error(host: str) -> None:
    with client("http://127.0.0.1:9") as c, pytest.raises(httpx.ConnectError, match="cannot be"):
        c.get(f"http://{host}/")


@pytest.mark.parametrize(
    ("header", "coding"),
    [
        ("", ""),
        ("identity", ""),
        ("none", ""),
        ("utf-8", ""),
        ("gzip, identity", "gzip"),
        ("identity, GZIP", "gzip"),
        ("deflate", "deflate"),
        ("br", "br"),
        ("gzip, br", "gzip, br"),
    ],
)
def test_content_coding_ignores_what_is_no_coding(header: str, coding: str) -> None:
    from pytest_prodready.http._transport import content_coding

    assert content_coding(header) == coding


def test_a_harmless_content_encoding_keeps_the_page(raw_server: Callable[[Handler], str]) -> None:
    url = raw_server(reply(b"HTTP/1.1 200 OK\r\nContent-Encoding: none\r\n", b"<p>fine</p>"))
    with client(url) as c:
        assert c.get("/").text == "<p>fine</p>"
