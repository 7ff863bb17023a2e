"""The fault server itself: each fault is reachable and misbehaves as named, and stopping it
mid-fault leaves no thread, handler, socket or listening port behind."""

from __future__ import annotations

import gzip
import socket
import ssl
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.faults.catalogue import FAULTS
from tests.faults.procs import accepts_connections
from tests.faults.server import BEHAVIOURS, PORT_FAULTS, FaultServer, gzip_bomb


def test_every_catalogued_fault_is_served() -> None:
    path_faults = {f.name for f in FAULTS if f.listener in ("http", "https")}
    port_faults = {f.name for f in FAULTS if f.listener == "port"}
    assert path_faults <= set(BEHAVIOURS)
    assert port_faults <= set(PORT_FAULTS)
    assert len(FAULTS) >= 30


def test_gzip_bomb_is_valid_gzip_that_inflates_a_thousandfold() -> None:
    bomb = gzip_bomb(8)
    assert gzip.decompress(bomb) == bytes(8 << 20)
    assert len(bomb) < 16 * 1024


def test_faults_misbehave_as_named(fault_server: FaultServer) -> None:
    plain = f"http://127.0.0.1:{fault_server.http_port}"
    with httpx.Client(timeout=2) as client:
        assert client.get(f"{plain}/ok/api/health").json() == {"status": "ok"}
        assert client.get(f"{plain}/error-502/").status_code == 502
        assert client.get(f"{plain}/redirect-loop/x").headers["location"] == "/redirect-loop/x"
        with pytest.raises(httpx.RemoteProtocolError):
            client.get(f"{plain}/empty-reply/")
        with pytest.raises(httpx.ReadTimeout):
            client.get(f"{plain}/no-answer/", timeout=0.3)
    trusted = ssl.create_default_context(cafile=str(fault_server.ca_bundle))
    good = f"https://127.0.0.1:{fault_server.ports['tls-good']}/ok/api/version"
    assert httpx.get(good, verify=trusted, timeout=2).json() == {"version": "1.4.2"}
    for name, reason in [
        ("tls-self-signed", "self-signed"),
        ("tls-expired", "expired"),
        ("tls-wrong-host", "mismatch"),
    ]:
        with pytest.raises(httpx.ConnectError, match=reason):
            httpx.get(f"https://127.0.0.1:{fault_server.ports[name]}/", verify=trusted, timeout=2)
    assert not accepts_connections(fault_server.closed_port)


def test_stopping_mid_fault_leaves_nothing_behind(tmp_path: Path) -> None:
    server = FaultServer(tmp_path).start()
    ports = [server.http_port, *server.ports.values()]
    errors: list[BaseException] = []

    def stalled(path: str) -> None:
        try:
            httpx.get(f"http://127.0.0.1:{server.http_port}/{path}/", timeout=30)
        except httpx.HTTPError as exc:
            errors.append(exc)

    # One connection stuck in each kind of endless fault, and one TLS handshake stalled.
    clients = [
        threading.Thread(target=stalled, args=(name,), daemon=True)
        for name in ("no-answer", "slow-headers", "slow-body", "1xx-storm", "half-close")
    ]
    for client in clients:
        client.start()
    stalled_tls = socket.create_connection(("127.0.0.1", server.ports["tls-stall"]))
    stalled_tls.sendall(b"\x16\x03\x01\x00\x05hello")
    deadline = time.monotonic() + 5
    while server.accepted < len(clients) + 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    started = time.monotonic()
    server.stop()
    stopped_in = time.monotonic() - started
    for client in clients:
        client.join(timeout=5)
    stalled_tls.close()
    assert server.leftovers() == []
    assert server.errors == []
    assert stopped_in < 2, f"stop() took {stopped_in:.1f} s with stalled connections"
    assert not any(client.is_alive() for client in clients)
    assert len(errors) == len(clients), "every stalled client must see its connection end"
    assert not [port for port in ports if accepts_connections(port)]
    assert server.thread_name not in [thread.name for thread in threading.enumerate()]
