"""A misbehaving HTTP(S) server on 127.0.0.1: one fault per path prefix, or per port.

``http://127.0.0.1:PORT/<fault>/...`` serves a small, well-behaved site (home page, health,
version, a protected dashboard, guarded endpoints) in which ``<fault>`` misbehaves: on every
path for faults of the connection or the framing, on the API paths only for faults of content,
so the suites' other tests still get sensible answers and must go on. Faults below HTTP (TLS
certificates and versions, a stalled handshake, a listener that never accepts) get a port each;
the TLS ones serve the same site once the handshake is done.

Everything runs on one asyncio loop in one thread. Every loop that writes is bounded in count
and every connection in time (:data:`MAX_CONNECTION_S`); :meth:`FaultServer.stop` cancels
every handler and closes every socket, and :meth:`FaultServer.leftovers` names whatever
survived it.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import ipaddress
import json
import logging
import os
import socket
import ssl
import struct
import threading
import warnings
import zlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.faults.procs import listening_ports

__all__ = [
    "BEHAVIOURS",
    "CONTRACT_FAULTS",
    "CONTRACT_OPERATION",
    "HOST",
    "HOSTILE_CANARY",
    "HOSTILE_DOCUMENTS",
    "NO_SUCH_HOST",
    "PORT_FAULTS",
    "RELEASE",
    "FaultServer",
    "gzip_bomb",
]

HOST = "127.0.0.1"
RELEASE = "1.4.2"
NO_SUCH_HOST = "no-such-host.invalid"
OTHER_HOST = "elsewhere.invalid"
# What a hostile target tries to leak, and an "internal" service no request may reach
# (another loopback address; nothing listens on its port 9).
HOSTILE_CANARY = "canary-hostile-7f3a"
INTERNAL = "http://127.0.0.2:9"

DRIBBLE_INTERVAL_S = 0.5
MAX_DRIBBLE_BYTES = 240  # two minutes at one byte per half second, then the handler gives up
MAX_CONNECTION_S = 120.0  # no connection is served longer than this, whatever its fault
MAX_REQUESTS_PER_CONNECTION = 100
MAX_REQUEST_HEAD = 64 * 1024
MAX_REQUEST_BODY = 1024 * 1024
CHUNK = 64 * 1024
HUGE_BODY_BYTES = 50 * 1024 * 1024
MAX_STREAM_BYTES = 4 * 1024**3  # the "endless" stream ends after 4 GiB
MAX_INTERIM_RESPONSES = 12_000
INTERIM_INTERVAL_S = 0.01
MAX_REDIRECT_HOPS = 1_000
BOMB_INFLATED_MB = 2_048
HANDSHAKE_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 10.0
THREAD_NAME = "fault-server"

# Faults with a port of their own: the TLS ones serve the site after their handshake.
PORT_FAULTS = (
    "tls-good",
    "tls-self-signed",
    "tls-expired",
    "tls-wrong-host",
    "tls-1.0-only",
    "tls-stall",
    "tls-reset",
    "silent",
)

REASONS = {
    101: "Switching Protocols",
    103: "Early Hints",
    200: "OK",
    301: "Moved Permanently",
    302: "Found",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}

HOME = b"<!doctype html><html><head><title>Shop</title></head><body><h1>Shop</h1></body></html>"

ERROR_PAGES = {
    500: (
        b"<!doctype html><html><head><title>500 Internal Server Error</title></head><body>"
        b"<h1>Internal Server Error</h1><p>The server encountered an internal error and was "
        b"unable to complete your request.</p></body></html>"
    ),
    502: (
        b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway"
        b"</h1></center><hr><center>nginx</center></body></html>"
    ),
    503: (
        b"<!doctype html><html><head><title>Down for maintenance</title></head><body><h1>We'll "
        b"be back soon</h1></body></html>"
    ),
}


class _QuietTlsStreams(logging.Filter):
    """Drop asyncio's "returning true from eof_received() has no effect when using ssl": its
    streams say so for every TLS connection started with ``StreamWriter.start_tls``."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("returning true from eof_received()")


_QUIET_TLS = _QuietTlsStreams()


class NotHttp(Exception):
    """The client sent something that is not an HTTP/1.x request (say, a TLS ClientHello)."""


@dataclass(frozen=True)
class Request:
    """One request, split into the fault's prefix and the path below it."""

    method: str
    target: str
    prefix: str
    path: str
    headers: Mapping[str, str]
    body: bytes = b""


@dataclass(frozen=True)
class Reply:
    """A response before framing: the fault decides how it goes on the wire."""

    status: int
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: Sequence[tuple[str, str]] = ()

    def head(self, *, length: int | None, version: str = "HTTP/1.1") -> bytes:
        fields = [("Server", "fault-server"), ("Content-Type", self.content_type)]
        if length is not None:
            fields.append(("Content-Length", str(length)))
        return head_bytes(self.status, [*fields, *self.headers], version=version)

    def wire(self) -> bytes:
        return self.head(length=len(self.body)) + self.body


def head_bytes(
    status: int, fields: Sequence[tuple[str, str]], *, version: str = "HTTP/1.1"
) -> bytes:
    lines = [f"{version} {status} {REASONS.get(status, 'Status')}"]
    lines += [f"{name}: {value}" for name, value in fields]
    # latin-1, so that a fault may put any byte (a NUL) into a header on purpose.
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def json_reply(data: object, status: int = 200, *headers: tuple[str, str]) -> Reply:
    return Reply(status, json.dumps(data).encode(), "application/json", headers)


def site(request: Request) -> Reply:
    """What a healthy target answers: the suites' paths, all passing their checks."""
    path = request.path
    if path == "/api/health":
        return json_reply({"status": "ok"}, 200, ("Cache-Control", "no-store"))
    if path == "/api/version":
        return json_reply({"version": RELEASE})
    if path.startswith("/dashboard"):
        return Reply(302, headers=[("Location", f"{request.prefix}/login")])
    if path.startswith(("/api/cron", "/api/webhooks", "/api/auth")):
        return json_reply({"error": "unauthorized"}, 401)
    return Reply(200, HOME)


def is_api(request: Request) -> bool:
    return request.path in ("/api/health", "/api/version")


@functools.cache
def gzip_bomb(inflated_mb: int = BOMB_INFLATED_MB) -> bytes:
    """A gzip member of about 1 KiB per MiB that inflates to ``inflated_mb`` MiB of zeros.

    After a full flush deflate forgets its history, so every further MiB of zeros compresses to
    the same bytes: two MiB are compressed and the second is repeated (compressing GiBs for
    real takes seconds). The trailer's CRC and size are exact, so it is valid gzip.
    """
    block = bytes(1 << 20)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    first = deflate.compress(block) + deflate.flush(zlib.Z_FULL_FLUSH)
    steady = deflate.compress(block) + deflate.flush(zlib.Z_FULL_FLUSH)
    end = deflate.flush(zlib.Z_FINISH)
    crc = 0
    for _ in range(inflated_mb):
        crc = zlib.crc32(block, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    trailer = struct.pack("<II", crc, (inflated_mb << 20) & 0xFFFFFFFF)
    return header + first + steady * (inflated_mb - 1) + end + trailer


class Conn:
    """One client connection: request reading, writing, and the ways of ending it."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self._buffer = b""

    async def read_request(self) -> Request | None:
        """The next request, or None at EOF; :class:`NotHttp` for anything else."""
        while b"\r\n\r\n" not in self._buffer:
            # A TLS ClientHello starts with 0x16: answer it now rather than wait for a CRLF.
            if self._buffer[:1] and not self._buffer[:1].isalpha():
                raise NotHttp(self._buffer[:16].hex())
            if len(self._buffer) > MAX_REQUEST_HEAD:
                raise NotHttp("request head too long")
            data = await self.reader.read(4096)
            if not data:
                return None
            self._buffer += data
        head, _, self._buffer = self._buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise NotHttp(lines[0][:80])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep:
                raise NotHttp(line[:80])
            headers[name.strip().lower()] = value.strip()
        length = min(int(headers.get("content-length", "0") or "0"), MAX_REQUEST_BODY)
        while len(self._buffer) < length:
            data = await self.reader.read(length - len(self._buffer))
            if not data:
                return None
            self._buffer += data
        body, self._buffer = self._buffer[:length], self._buffer[length:]
        method, target = parts[0], parts[1]
        path = urlsplit(target).path if target.startswith("/") else "/"
        name, _, below = path.lstrip("/").partition("/")
        return Request(method, target, f"/{name}", f"/{below}", headers, body)

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def dribble(self, data: bytes) -> None:
        """One byte per :data:`DRIBBLE_INTERVAL_S`, at most :data:`MAX_DRIBBLE_BYTES`."""
        for byte in data[:MAX_DRIBBLE_BYTES]:
            await self.send(bytes([byte]))
            await asyncio.sleep(DRIBBLE_INTERVAL_S)

    async def hold(self) -> None:
        """Keep the connection open and silent until the server stops (or the time cap)."""
        await asyncio.sleep(MAX_CONNECTION_S)

    def reset(self) -> None:
        """Close with SO_LINGER 0: the kernel sends RST instead of FIN, dropping unsent data."""
        sock = self.writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.writer.transport.abort()

    def abort(self) -> None:
        if not self.writer.transport.is_closing():
            self.writer.transport.abort()


# A behaviour serves one request; it returns whether the connection may serve another.
Behaviour = Callable[[Conn, Request], Awaitable[bool]]
BEHAVIOURS: dict[str, Behaviour] = {}


def behaviour(name: str) -> Callable[[Behaviour], Behaviour]:
    def register(function: Behaviour) -> Behaviour:
        BEHAVIOURS[name] = function
        return function

    return register


async def serve_site(conn: Conn, request: Request) -> bool:
    await conn.send(site(request).wire())
    return True


BEHAVIOURS["ok"] = serve_site


@behaviour("no-answer")
async def _no_answer(conn: Conn, request: Request) -> bool:
    await conn.hold()
    return False


@behaviour("slow-headers")
async def _slow_headers(conn: Conn, request: Request) -> bool:
    await conn.dribble(b"HTTP/1.1 200 OK\r\nX-Dribble: " + b"a" * MAX_DRIBBLE_BYTES)
    return False


@behaviour("slow-body")
async def _slow_body(conn: Conn, request: Request) -> bool:
    reply = site(request)
    await conn.send(reply.head(length=1_000_000))
    await conn.dribble(reply.body + b" " * MAX_DRIBBLE_BYTES)
    return False


@behaviour("reset-mid-body")
async def _reset_mid_body(conn: Conn, request: Request) -> bool:
    await conn.send(Reply(200).head(length=100_000) + b"x" * 1_000)
    # Let the partial body reach the client first: the reset must come mid-response.
    await asyncio.sleep(0.1)
    conn.reset()
    return False


@behaviour("garbage")
async def _garbage(conn: Conn, request: Request) -> bool:
    await conn.send(b"\x00\x01\x02\xff\xfeSSH-2.0-OpenSSH_9.6\r\n" + bytes(range(256)) * 4)
    return False


@behaviour("redirect-loop")
async def _redirect_loop(conn: Conn, request: Request) -> bool:
    await conn.send(Reply(302, headers=[("Location", request.target)]).wire())
    return True


@behaviour("redirect-off-host")
async def _redirect_off_host(conn: Conn, request: Request) -> bool:
    await conn.send(
        Reply(302, headers=[("Location", f"https://{OTHER_HOST}{request.path}")]).wire()
    )
    return True


@behaviour("redirect-internal-token")
async def _redirect_internal_token(conn: Conn, request: Request) -> bool:
    # An internal service's redirect with a token in its query: never to be followed or shown.
    location = f"{INTERNAL}/callback?token={HOSTILE_CANARY}"
    await conn.send(Reply(302, headers=[("Location", location)]).wire())
    return True


@behaviour("redirect-chain")
async def _redirect_chain(conn: Conn, request: Request) -> bool:
    hop = int(request.path.strip("/").rpartition("hop-")[2] or 0) if "hop-" in request.path else 0
    if hop >= MAX_REDIRECT_HOPS:
        return await serve_site(conn, request)
    location = f"{request.prefix}/hop-{hop + 1}/"
    await conn.send(Reply(302, headers=[("Location", location)]).wire())
    return True


@behaviour("js-redirect")
async def _js_redirect(conn: Conn, request: Request) -> bool:
    await conn.send(Reply(302, headers=[("Location", "javascript:alert(document.domain)")]).wire())
    return True


@behaviour("file-redirect")
async def _file_redirect(conn: Conn, request: Request) -> bool:
    await conn.send(Reply(302, headers=[("Location", "file:///etc/passwd")]).wire())
    return True


@behaviour("bad-location")
async def _bad_location(conn: Conn, request: Request) -> bool:
    # An unterminated IPv6 literal: urllib and httpx both refuse to parse it.
    await conn.send(Reply(302, headers=[("Location", "http://[::1/login")]).wire())
    return True


@behaviour("huge-body")
async def _huge_body(conn: Conn, request: Request) -> bool:
    await conn.send(Reply(200, content_type="text/html").head(length=HUGE_BODY_BYTES))
    block = b"a" * CHUNK
    for _ in range(HUGE_BODY_BYTES // CHUNK):
        await conn.send(block)
    return True


@behaviour("endless-chunked")
async def _endless_chunked(conn: Conn, request: Request) -> bool:
    await conn.send(Reply(200, headers=[("Transfer-Encoding", "chunked")]).head(length=None))
    frame = f"{CHUNK:x}\r\n".encode() + b"a" * CHUNK + b"\r\n"
    for _ in range(MAX_STREAM_BYTES // CHUNK):
        await conn.send(frame)
    await conn.send(b"0\r\n\r\n")
    return False


@behaviour("gzip-bomb")
async def _gzip_bomb(conn: Conn, request: Request) -> bool:
    bomb = gzip_bomb()
    kind = "application/json" if is_api(request) else "text/html; charset=utf-8"
    reply = Reply(200, content_type=kind, headers=[("Content-Encoding", "gzip")])
    await conn.send(reply.head(length=len(bomb)))
    for start in range(0, len(bomb), CHUNK):
        await conn.send(bomb[start : start + CHUNK])
    return True


@behaviour("bad-gzip")
async def _bad_gzip(conn: Conn, request: Request) -> bool:
    body = b"this body claims to be gzip and is not"
    await conn.send(Reply(200, body, headers=[("Content-Encoding", "gzip")]).wire())
    return True


@behaviour("long-header")
async def _long_header(conn: Conn, request: Request) -> bool:
    reply = site(request)
    fields = [*reply.headers, ("X-Padding", "a" * 100_000)]
    await conn.send(Reply(reply.status, reply.body, reply.content_type, fields).wire())
    return True


@behaviour("nul-header")
async def _nul_header(conn: Conn, request: Request) -> bool:
    reply = site(request)
    fields = [*reply.headers, ("X-Trace", "abc\x00def")]
    await conn.send(Reply(reply.status, reply.body, reply.content_type, fields).wire())
    return True


def _error_page(status: int, *extra: tuple[str, str]) -> Behaviour:
    async def serve(conn: Conn, request: Request) -> bool:
        await conn.send(Reply(status, ERROR_PAGES[status], headers=extra).wire())
        return True

    return serve


BEHAVIOURS["error-500"] = _error_page(500)
BEHAVIOURS["error-502"] = _error_page(502)
BEHAVIOURS["error-503"] = _error_page(503, ("Retry-After", "30"))


@behaviour("429-storm")
async def _too_many_requests(conn: Conn, request: Request) -> bool:
    huge = str(10**30)
    reply = json_reply({"error": "slow down"}, 429, ("Retry-After", huge))
    await conn.send(reply.wire())
    return True


@behaviour("bad-json")
async def _bad_json(conn: Conn, request: Request) -> bool:
    if not is_api(request):
        return await serve_site(conn, request)
    body = b'{"status": "ok", "version": "1.4.2",'
    await conn.send(Reply(200, body, "application/json", [("Cache-Control", "no-store")]).wire())
    return True


@behaviour("deep-json")
async def _deep_json(conn: Conn, request: Request) -> bool:
    if not is_api(request):
        return await serve_site(conn, request)
    body = b"[" * 100_000 + b"]" * 100_000
    await conn.send(Reply(200, body, "application/json", [("Cache-Control", "no-store")]).wire())
    return True


@behaviour("health-html")
async def _health_html(conn: Conn, request: Request) -> bool:
    if request.path != "/api/health":
        return await serve_site(conn, request)
    body = b"<!doctype html><html><body><p>OK</p></body></html>"
    await conn.send(Reply(200, body, headers=[("Cache-Control", "no-store")]).wire())
    return True


@behaviour("version-missing-field")
async def _version_missing_field(conn: Conn, request: Request) -> bool:
    if request.path != "/api/version":
        return await serve_site(conn, request)
    await conn.send(json_reply({"commit": "0f3c2a1", "built": "2026-01-01T00:00:00Z"}).wire())
    return True


@behaviour("http10-close")
async def _http10_close(conn: Conn, request: Request) -> bool:
    reply = site(request)
    await conn.send(reply.head(length=None, version="HTTP/1.0") + reply.body)
    return False


@behaviour("short-content-length")
async def _short_content_length(conn: Conn, request: Request) -> bool:
    # Twenty bytes more than announced: on a kept-alive connection they poison the next answer.
    reply = site(request)
    body = reply.body + b"<!-- twenty more -->"
    await conn.send(reply.head(length=len(reply.body)) + body)
    return True


@behaviour("long-content-length")
async def _long_content_length(conn: Conn, request: Request) -> bool:
    reply = site(request)
    await conn.send(reply.head(length=len(reply.body) + 1_000) + reply.body)
    return False


@behaviour("conflicting-content-length")
async def _conflicting_content_length(conn: Conn, request: Request) -> bool:
    reply = site(request)
    extra = [("Content-Length", str(len(reply.body) + 7))]
    fields = Reply(reply.status, reply.body, reply.content_type, extra)
    await conn.send(fields.head(length=len(reply.body)) + reply.body)
    return False


@behaviour("bad-chunked")
async def _bad_chunked(conn: Conn, request: Request) -> bool:
    head = Reply(200, headers=[("Transfer-Encoding", "chunked")]).head(length=None)
    await conn.send(head + b"zz\r\nhello\r\n0\r\n\r\n")
    return False


@behaviour("1xx-storm")
async def _informational_storm(conn: Conn, request: Request) -> bool:
    hint = head_bytes(103, [("Link", "</app.css>; rel=preload; as=style")])
    for _ in range(MAX_INTERIM_RESPONSES):
        await conn.send(hint)
        await asyncio.sleep(INTERIM_INTERVAL_S)
    return await serve_site(conn, request)


@behaviour("switching-protocols")
async def _switching_protocols(conn: Conn, request: Request) -> bool:
    fields = [("Upgrade", "websocket"), ("Connection", "Upgrade")]
    await conn.send(head_bytes(101, fields) + b"\x81\x05hello")
    await conn.hold()
    return False


@behaviour("empty-reply")
async def _empty_reply(conn: Conn, request: Request) -> bool:
    return False


@behaviour("half-close")
async def _half_close(conn: Conn, request: Request) -> bool:
    reply = site(request)
    await conn.send(reply.head(length=len(reply.body) + 1_000) + reply.body[:10])
    if conn.writer.can_write_eof():
        conn.writer.write_eof()
    # The write side is shut (FIN sent); the read side stays open until the server stops.
    await conn.hold()
    return False


@behaviour("echo")
async def _echo(conn: Conn, request: Request) -> bool:
    """Reflects the request's headers (credentials included) into a 500 page and a header, as
    debug pages do: whatever the suites send must still not reach any report."""
    if request.path == "/api/openapi.json":
        # Operations live under the fault's prefix, as a server relative to this host.
        await conn.send(json_reply({**ECHO_OPENAPI, "servers": [{"url": request.prefix}]}).wire())
        return True
    if not request.path.startswith("/api/echo"):
        return await serve_site(conn, request)
    # Credentials first, so that even a short excerpt of this page quotes them.
    ordered = sorted(request.headers.items(), key=lambda item: item[0] != "authorization")
    seen = "; ".join(f"{name}: {value}" for name, value in ordered)
    # And re-encoded, as debug endpoints do: the credential as base64, its token as hex.
    auth = request.headers.get("authorization", "")
    token = auth.split(" ", 1)[-1].encode("utf-8", "replace")
    encoded = f"authorization (base64): {base64.b64encode(auth.encode()).decode()}; "
    encoded += f"token (hex): {token.hex()} {token.hex().upper()}"
    body = (
        f"<html><body><h1>Server Error</h1><pre>request headers: {seen}\n{encoded}</pre>"
        "</body></html>"
    )
    extra = [("X-Debug-Request-Headers", seen.encode("latin-1", "replace").decode("latin-1"))]
    await conn.send(Reply(500, body.encode("utf-8", "replace"), headers=extra).wire())
    return True


ECHO_OPENAPI = {
    "openapi": "3.0.3",
    "info": {"title": "echo", "version": RELEASE},
    "paths": {
        "/api/echo": {
            "get": {
                "operationId": "echo",
                "responses": {"200": {"description": "ok"}},
            }
        }
    },
}


CONTRACT_OPERATION = "/api/items"
CONTRACT_OPENAPI = {
    "openapi": "3.0.3",
    "info": {"title": "items", "version": RELEASE},
    "paths": {
        CONTRACT_OPERATION: {
            "get": {
                "operationId": "listItems",
                "responses": {
                    "200": {
                        "description": "the items",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "required": ["id"],
                                        "properties": {"id": {"type": "integer"}},
                                    },
                                }
                            }
                        },
                    }
                },
            }
        }
    },
}
# Faults of one API operation, faced by the contract suite: /contract-<name>/ serves a sound
# OpenAPI document whose one operation misbehaves as <name> does ("ok": it answers as documented).
CONTRACT_FAULTS = ("ok", "no-answer", "slow-headers", "slow-body", "huge-body", "gzip-bomb")


def _contract_api(inner: Behaviour | None) -> Behaviour:
    async def serve(conn: Conn, request: Request) -> bool:
        if request.path == "/api/openapi.json":
            # The operation lives under the fault's prefix, as a server relative to this host.
            document = {**CONTRACT_OPENAPI, "servers": [{"url": request.prefix}]}
            await conn.send(json_reply(document).wire())
            return True
        if request.path != CONTRACT_OPERATION:
            return await serve_site(conn, request)
        if inner is None:
            await conn.send(json_reply([{"id": 1}, {"id": 2}]).wire())
            return True
        return await inner(conn, request)

    return serve


for _name in CONTRACT_FAULTS:
    BEHAVIOURS[f"contract-{_name}"] = _contract_api(None if _name == "ok" else BEHAVIOURS[_name])


# Documents of a hostile target (issue 20), faced by the contract suite on a protected env:
# /hostile-<name>/api/openapi.json points outside itself, loops, or has 3000 operations.


def _hostile_schema(name: str, prefix: str) -> tuple[dict[str, object], dict[str, object]]:
    """(the operation's response schema, the document's components.schemas) of ``name``."""
    if name == "ref-file":
        return {"$ref": "file:///proc/self/environ#/token"}, {}
    if name == "ref-path":
        return {"$ref": "/root/.aws/credentials.json#/token"}, {}
    if name == "ref-internal":
        return {"$ref": f"{INTERNAL}/creds?token={HOSTILE_CANARY}#/SecretAccessKey"}, {}
    if name == "ref-endless":
        return {"$ref": f"{prefix}/endless.json#/X"}, {}
    if name == "ref-chain":
        chain: dict[str, object] = {
            f"S{i}": {"$ref": f"#/components/schemas/S{i + 1}"} for i in range(2000)
        }
        chain["S2000"] = {"type": "array"}
        return {"$ref": "#/components/schemas/S0"}, chain
    return {"type": "array"}, {}


def _hostile_document(name: str, request: Request) -> dict[str, object]:
    schema, components = _hostile_schema(name, request.prefix)
    media: dict[str, object] = {"schema": schema}
    if name == "external-value":
        media["examples"] = {"leak": {"externalValue": f"{INTERNAL}/creds?t={HOSTILE_CANARY}"}}
    operation = {
        "responses": {"200": {"description": "ok", "content": {"application/json": media}}}
    }
    paths: dict[str, object] = {CONTRACT_OPERATION: {"get": operation}}
    if name == "many-operations":
        paths = {f"/api/op{i}": {"get": operation} for i in range(3000)}
    return {
        "openapi": "3.0.3",
        "info": {"title": "hostile", "version": RELEASE},
        "servers": [{"url": request.prefix}],
        "paths": paths,
        "components": {"schemas": components},
    }


HOSTILE_DOCUMENTS = (
    "ref-file",
    "ref-path",
    "ref-internal",
    "external-value",
    "ref-endless",
    "ref-chain",
    "many-operations",
)


def _hostile_api(name: str) -> Behaviour:
    async def serve(conn: Conn, request: Request) -> bool:
        if request.path == "/api/openapi.json":
            await conn.send(json_reply(_hostile_document(name, request)).wire())
            return True
        if request.path == "/endless.json":
            return await _huge_body(conn, request)
        if request.path == CONTRACT_OPERATION or request.path.startswith("/api/op"):
            await conn.send(json_reply([]).wire())
            return True
        return await serve_site(conn, request)

    return serve


for _name in HOSTILE_DOCUMENTS:
    BEHAVIOURS[f"hostile-{_name}"] = _hostile_api(_name)


@dataclass
class _Listener:
    sock: socket.socket
    kind: str  # "http", "tls-stall", "tls-reset" or "raw" (never accepted)
    context: ssl.SSLContext | None = None


@dataclass
class _Certificates:
    ca_bundle: Path
    contexts: dict[str, ssl.SSLContext] = field(default_factory=dict)


def _server_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.set_alpn_protocols(["http/1.1"])
    return context


def _self_signed_pem(path: Path) -> Path:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=90))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address(HOST)), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    path.write_bytes(key_pem + cert.public_bytes(serialization.Encoding.PEM))
    return path


def _certificates(workdir: Path) -> _Certificates:
    """One trusted CA (the envs' ca_bundle) and the certificates each TLS fault presents."""
    ca = trustme.CA(organization_name="fault-server CA")
    ca_bundle = workdir / "fault-ca.pem"
    ca.cert_pem.write_to_path(str(ca_bundle))
    now = datetime.now(UTC)
    certs = _Certificates(ca_bundle)
    good = ca.issue_cert(HOST, "localhost")
    expired = ca.issue_cert(
        HOST, "localhost", not_before=now - timedelta(days=90), not_after=now - timedelta(days=2)
    )
    wrong_host = ca.issue_cert("wrong-host.example", "www.wrong-host.example")
    for name, leaf in (
        ("tls-good", good),
        ("tls-expired", expired),
        ("tls-wrong-host", wrong_host),
        ("tls-1.0-only", good),
    ):
        context = _server_context()
        leaf.configure_cert(context)
        certs.contexts[name] = context
    self_signed = _server_context()
    self_signed.load_cert_chain(str(_self_signed_pem(workdir / "self-signed.pem")))
    certs.contexts["tls-self-signed"] = self_signed
    legacy = certs.contexts["tls-1.0-only"]
    # Deprecated on purpose (it is the fault); the warning would be an error under our filters.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        legacy.minimum_version = ssl.TLSVersion.TLSv1
        legacy.maximum_version = ssl.TLSVersion.TLSv1
    # OpenSSL 3 refuses TLS 1.0 at its default security level: level 0 allows it again.
    legacy.set_ciphers("ALL:@SECLEVEL=0")
    return certs


def _bound_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((HOST, 0))
    sock.listen(64)
    return sock


class FaultServer:
    """Every fault, served from one thread; ``with FaultServer(tmp) as server: ...``.

    ``http_port`` serves ``/<fault>/...`` for every name in :data:`BEHAVIOURS`, plus
    ``/via-<port>/`` and ``/via-dns/`` (a 301 to the TLS fault on that port, or to a host that
    does not resolve: an env's ``http_url`` for TLS faults). ``ports[name]`` is the port of each
    of :data:`PORT_FAULTS`; ``closed_port`` has nothing listening; ``ca_bundle`` is the CA
    every certificate but the self-signed one chains to.
    """

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.ports: dict[str, int] = {}
        self.http_port = 0
        self.closed_port = 0
        self.ca_bundle = workdir / "fault-ca.pem"
        self.accepted = 0
        self.thread_name = THREAD_NAME
        self.errors: list[str] = []  # unexpected exceptions in handlers: bugs of this server
        self._listeners: dict[str, _Listener] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> Self:
        try:
            self._start()
        except BaseException:
            self.stop()  # whatever was bound before the failure is closed again
            raise
        return self

    def _start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        certs = _certificates(self.workdir)
        self.ca_bundle = certs.ca_bundle
        self._listeners["http"] = _Listener(_bound_socket(), "http")
        kinds = {"tls-stall": "tls-stall", "tls-reset": "tls-reset", "silent": "raw"}
        for name in PORT_FAULTS:
            listener = _Listener(_bound_socket(), kinds.get(name, "http"), certs.contexts.get(name))
            self._listeners[name] = listener
        self.http_port = self._listeners["http"].sock.getsockname()[1]
        self.ports = {name: self._listeners[name].sock.getsockname()[1] for name in PORT_FAULTS}
        with socket.socket() as probe:
            probe.bind((HOST, 0))
            self.closed_port = probe.getsockname()[1]
        gzip_bomb()  # built here, not on the loop: it takes half a second
        logging.getLogger("asyncio").addFilter(_QUIET_TLS)
        self.thread_name = f"{THREAD_NAME}-{self.http_port}"
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()
        if not self._ready.wait(STOP_TIMEOUT_S) or self._startup_error is not None:
            raise RuntimeError(f"the fault server did not start: {self._startup_error}")

    def stop(self) -> None:
        """Cancel every connection, close every socket, join the thread; safe to call twice."""
        loop, stopping = self._loop, self._stopping
        if loop is not None and stopping is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(stopping.set)
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT_S * 2)
        for listener in self._listeners.values():
            listener.sock.close()
        logging.getLogger("asyncio").removeFilter(_QUIET_TLS)

    def leftovers(self) -> list[str]:
        """What survived :meth:`stop`: threads, handlers, sockets, listening ports."""
        found = []
        if self._thread is not None and self._thread.is_alive():
            found.append(f"thread {self._thread.name!r} is still running")
        if self._tasks:
            found.append(f"{len(self._tasks)} connection handler(s) still running")
        still_open = [name for name, item in self._listeners.items() if item.sock.fileno() != -1]
        if still_open:
            found.append(f"listening sockets not closed: {', '.join(still_open)}")
        ours = {self.http_port, *self.ports.values()}
        listening = sorted(listening_ports(os.getpid()) & ours)
        if listening:
            found.append(f"ports still listening: {listening}")
        return found

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._main())
        except BaseException as exc:
            self._startup_error = exc
            self._ready.set()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _main(self) -> None:
        self._stopping = asyncio.Event()
        servers = []
        for name, listener in self._listeners.items():
            if listener.kind != "raw":  # the silent port: never accepted, so never answered
                servers.append(await asyncio.start_server(self._handler(name), sock=listener.sock))
        self._ready.set()
        await self._stopping.wait()
        for server in servers:
            server.close()
        handlers = list(self._tasks)
        for task in handlers:
            task.cancel()
        if handlers:
            await asyncio.wait(handlers, timeout=STOP_TIMEOUT_S)
        for server in servers:
            await server.wait_closed()

    def _handler(
        self, name: str
    ) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
        listener = self._listeners[name]

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            assert task is not None
            self._tasks.add(task)
            self.accepted += 1
            conn = Conn(reader, writer)
            try:
                async with asyncio.timeout(MAX_CONNECTION_S):
                    await self._serve(conn, listener)
            except (OSError, EOFError, TimeoutError, asyncio.IncompleteReadError):
                pass  # the client gave up, or the fault cut the connection: both expected
            except asyncio.CancelledError:
                # stop() cancels handlers. The task must still end normally: Python 3.11's
                # start_server callback calls task.exception() on it, which would raise.
                pass
            except Exception as exc:
                self.errors.append(f"{name}: {type(exc).__name__}: {exc}")
            finally:
                conn.abort()
                self._tasks.discard(task)

        return handle

    async def _serve(self, conn: Conn, listener: _Listener) -> None:
        if listener.kind == "tls-stall":
            await conn.reader.read(65536)  # the ClientHello, never answered
            await conn.hold()
            return
        if listener.kind == "tls-reset":
            await conn.reader.read(65536)
            conn.reset()
            return
        if listener.context is not None:
            await conn.writer.start_tls(listener.context, ssl_handshake_timeout=HANDSHAKE_TIMEOUT_S)
        for _ in range(MAX_REQUESTS_PER_CONNECTION):
            try:
                request = await conn.read_request()
            except NotHttp:
                # What a real server does with bytes it cannot parse (a TLS ClientHello sent
                # to a plain port included): a 400, then close.
                await conn.send(Reply(400, b"<h1>400 Bad Request</h1>").wire())
                return
            if request is None:
                return
            if not await self._dispatch(conn, request):
                return

    async def _dispatch(self, conn: Conn, request: Request) -> bool:
        name = request.prefix.lstrip("/")
        if name.startswith("via-"):
            where = name.removeprefix("via-")
            host = NO_SUCH_HOST if where == "dns" else f"{HOST}:{where}"
            suffix = "" if where == "dns" else "/ok"
            location = f"https://{host}{suffix}{request.path}"
            await conn.send(Reply(301, headers=[("Location", location)]).wire())
            return True
        serve = BEHAVIOURS.get(name)
        if serve is None:
            await conn.send(Reply(404, b"<h1>no such fault</h1>").wire())
            return True
        return await serve(conn, request)
