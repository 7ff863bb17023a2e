"""The TLS probe and suite against endpoints that refuse a modern handshake, no mocks.

A listener thread on 127.0.0.1 per behaviour: a server that speaks only TLS 1.0 (or 1.1), one
that stalls, resets or answers plain HTTP or an SSH banner. The probe must report a legacy-only
server as ``tls.protocol-outdated`` (high), and say in one line why no handshake was possible
otherwise; the suite must fail with that line alone, no exception chain.
"""

from __future__ import annotations

import contextlib
import re
import socket
import ssl
import struct
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import trustme

from pytest_prodready.checks import tls as tls_check
from pytest_prodready.core.findings import Severity
from pytest_prodready.probes import tls as tls_probe
from tests.faults.harness import failure_blocks

HOST = "127.0.0.1"
TIMEOUT = 5.0
ROOT = Path(__file__).resolve().parent.parent
UNABLE_TO_GET_ISSUER_CERT_LOCALLY = 20

Behaviour = Callable[[socket.socket], None]


class Listener:
    """Accepts TCP connections on 127.0.0.1 and hands each to ``behaviour``, one at a time."""

    def __init__(self, behaviour: Behaviour) -> None:
        self._behaviour = behaviour
        self._sock = socket.create_server((HOST, 0))
        self._sock.settimeout(0.05)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="tls-fault", daemon=True)
        self.port: int = self._sock.getsockname()[1]
        self.accepted = 0  # connections taken: a retry is a second one

    def __enter__(self) -> Listener:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(TIMEOUT)
        self._sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            conn.settimeout(TIMEOUT)
            with conn, contextlib.suppress(OSError):
                self._behaviour(conn)


def stall(conn: socket.socket) -> None:
    conn.recv(65536)  # the ClientHello, never answered
    conn.recv(1)  # until the client gives up and closes


def reset(conn: socket.socket) -> None:
    conn.recv(65536)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()  # with a zero linger: a reset, not a FIN


def answer(data: bytes) -> Behaviour:
    def send(conn: socket.socket) -> None:
        conn.recv(65536)
        conn.sendall(data)

    return send


def speak(context: ssl.SSLContext) -> Behaviour:
    def handshake(conn: socket.socket) -> None:
        # OSError when the client refuses our protocol or certificate: what is probed.
        with context.wrap_socket(conn, server_side=True) as tls:
            tls.recv(1)  # wait for the client's close_notify (or close)

    return handshake


def legacy_only(cert: trustme.LeafCert, version: ssl.TLSVersion) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(context)
    context.set_ciphers("ALL:@SECLEVEL=0")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", r"ssl\.TLSVersion\.TLSv1", DeprecationWarning)
        context.minimum_version = version
        context.maximum_version = version
    return context


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def ca_bundle(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture
def listen() -> Iterator[Callable[[Behaviour], Listener]]:
    with contextlib.ExitStack() as stack:

        def start(behaviour: Behaviour) -> Listener:
            return stack.enter_context(Listener(behaviour))

        yield start


def tls_version(version: str) -> ssl.TLSVersion:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", r"ssl\.TLSVersion\.TLSv1", DeprecationWarning)
        return ssl.TLSVersion[version]


# --- a server that speaks only outdated protocols -----------------------------------------


@pytest.mark.parametrize(
    ("version", "negotiated", "accepted", "best"),
    [
        pytest.param("TLSv1", "TLSv1", (True, False), "TLS 1.0", id="tls-1.0"),
        pytest.param("TLSv1_1", "TLSv1.1", (False, True), "TLS 1.1", id="tls-1.1"),
    ],
)
def test_legacy_only_server_is_outdated_not_unreachable(
    version: str,
    negotiated: str,
    accepted: tuple[bool, bool],
    best: str,
    ca: trustme.CA,
    ca_bundle: Path,
    listen: Callable[[Behaviour], Listener],
) -> None:
    server = listen(speak(legacy_only(ca.issue_cert(HOST), tls_version(version))))
    facts = tls_probe.probe(HOST, server.port, ca_bundle=ca_bundle, timeout=TIMEOUT)
    assert (facts.protocol, facts.verified) == (negotiated, True)
    assert (facts.tls1_0, facts.tls1_1) == accepted
    assert facts.san_ips == (HOST,)
    (finding,) = tls_check.evaluate(facts, now=datetime.now(UTC))
    assert (finding.id, finding.severity) == ("tls.protocol-outdated", Severity.HIGH)
    assert finding.evidence.startswith(f"{best} at best: ")


def test_legacy_only_server_certificate_is_still_judged(
    ca: trustme.CA, listen: Callable[[Behaviour], Listener]
) -> None:
    # No ca_bundle: the legacy handshake fails verification, an unverified one reads the cert.
    server = listen(speak(legacy_only(ca.issue_cert(HOST), tls_version("TLSv1"))))
    facts = tls_probe.probe(HOST, server.port, timeout=TIMEOUT)
    assert (facts.protocol, facts.verified) == ("TLSv1", False)
    assert facts.verify_code == UNABLE_TO_GET_ISSUER_CERT_LOCALLY
    assert facts.not_after is not None
    ids = [f.id for f in tls_check.evaluate(facts, now=datetime.now(UTC))]
    assert ids == ["tls.untrusted", "tls.protocol-outdated"]


def test_legacy_only_server_when_our_client_cannot_offer_legacy(
    ca: trustme.CA,
    ca_bundle: Path,
    listen: Callable[[Behaviour], Listener],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # AEAD suites only: our OpenSSL has no TLS 1.0 ClientHello to send, so the first failure
    # is what the user learns.
    monkeypatch.setattr(tls_probe, "_LEGACY_CIPHERS", "ECDHE+AESGCM")
    server = listen(speak(legacy_only(ca.issue_cert(HOST), tls_version("TLSv1"))))
    with pytest.raises(tls_probe.TlsProbeError) as raised:
        tls_probe.probe(HOST, server.port, ca_bundle=ca_bundle, timeout=TIMEOUT)
    assert re.fullmatch(
        rf"no TLS handshake with {HOST}:{server.port}: the server refused with a TLS alert: "
        r"\[SSL: TLSV1_ALERT_PROTOCOL_VERSION\] tlsv1 alert protocol version",
        str(raised.value),
    ), str(raised.value)


# --- no handshake at all: one line that names the fault -----------------------------------


@pytest.mark.parametrize(
    ("behaviour", "why"),
    [
        pytest.param(reset, "the server reset the connection on our ClientHello", id="reset"),
        pytest.param(
            answer(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"),
            "the server answered plain HTTP on a TLS port (wrong version number)",
            id="plain-http",
        ),
        pytest.param(
            answer(b"SSH-2.0-OpenSSH_9.6\r\n"),
            "the server answered something other than TLS, starting b'SSH-2.0-OpenSSH_' "
            "(wrong version number)",
            id="ssh",
        ),
        pytest.param(
            answer(b""), "the server closed the connection on our ClientHello", id="closed"
        ),
    ],
)
def test_no_handshake_names_the_fault(
    behaviour: Behaviour, why: str, listen: Callable[[Behaviour], Listener]
) -> None:
    server = listen(behaviour)
    with pytest.raises(tls_probe.TlsProbeError) as raised:
        tls_probe.probe(HOST, server.port, timeout=TIMEOUT)
    assert str(raised.value) == f"no TLS handshake with {HOST}:{server.port}: {why}"


def test_stall_is_one_timeout_not_two(listen: Callable[[Behaviour], Listener]) -> None:
    # Silence is not a refusal: no legacy retry, so the probe costs one timeout.
    server = listen(stall)
    started = time.monotonic()
    with pytest.raises(tls_probe.TlsProbeError) as raised:
        tls_probe.probe(HOST, server.port, timeout=0.5)
    # Counted, not timed: one connection means no retry. The clock only proves it returned
    # (well before a second timeout plus a loaded runner's scheduling would add up).
    assert server.accepted == 1
    assert time.monotonic() - started < 0.5 + 2.0
    assert str(raised.value) == (
        f"no TLS handshake with {HOST}:{server.port}: timed out after 0.5 s: "
        "the server never answered our ClientHello"
    )


def test_nothing_listening_says_so() -> None:
    with socket.create_server((HOST, 0)) as placeholder:
        port = placeholder.getsockname()[1]
    with pytest.raises(tls_probe.TlsProbeError) as raised:
        tls_probe.probe(HOST, port, timeout=TIMEOUT)
    assert str(raised.value) == (
        f"no TLS handshake with {HOST}:{port}: connection refused (nothing listens on the port)"
    )


def test_unresolvable_name_says_so() -> None:
    with pytest.raises(tls_probe.TlsProbeError) as raised:
        tls_probe.probe("no-such-host.invalid", 443, timeout=TIMEOUT)
    assert str(raised.value).startswith(
        "no TLS handshake with no-such-host.invalid:443: the name does not resolve ("
    )


def test_sni_name_is_shown_when_it_differs(listen: Callable[[Behaviour], Listener]) -> None:
    server = listen(reset)
    with pytest.raises(tls_probe.TlsProbeError) as raised:
        tls_probe.probe(HOST, server.port, server_hostname="app.example.com", timeout=TIMEOUT)
    assert str(raised.value) == (
        f"no TLS handshake with {HOST}:{server.port} (SNI app.example.com): "
        "the server reset the connection on our ClientHello"
    )


# --- the suite: the probe's line, and nothing else ----------------------------------------


def run_certificate_test(pytester: pytest.Pytester, port: int, ca: Path) -> pytest.RunResult:
    config = pytester.path / "prodready.toml"
    config.write_text(
        f'[envs.edge]\nbase_url = "https://{HOST}:{port}"\nca_bundle = "{ca}"\n', encoding="utf-8"
    )
    return pytester.runpytest(
        f"{ROOT / 'suites' / 'test_tls.py'}::test_certificate_and_protocols",
        "--target-env",
        "edge",
        "--prodready-config",
        str(config),
        "-p",
        "no:cacheprovider",
    )


def test_suite_fails_in_one_line_without_a_chain(
    pytester: pytest.Pytester, ca_bundle: Path, listen: Callable[[Behaviour], Listener]
) -> None:
    server = listen(answer(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"))
    result = run_certificate_test(pytester, server.port, ca_bundle)
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    # Read as the fault harness reads a report: each failure's block, and what the test said.
    blocks = failure_blocks(output)
    assert list(blocks) == ["test_certificate_and_protocols"], output
    message, whole = blocks["test_certificate_and_protocols"]
    assert (
        message
        == whole
        == (
            f"no TLS handshake with {HOST}:{server.port}: "
            "the server answered plain HTTP on a TLS port (wrong version number)"
        )
    ), output
    for chained in ("direct cause", "During handling", "Traceback", "TlsProbeError"):
        assert chained not in output, output


def test_suite_reports_a_legacy_only_server_as_a_finding(
    pytester: pytest.Pytester,
    ca: trustme.CA,
    ca_bundle: Path,
    listen: Callable[[Behaviour], Listener],
) -> None:
    server = listen(speak(legacy_only(ca.issue_cert(HOST), tls_version("TLSv1"))))
    result = run_certificate_test(pytester, server.port, ca_bundle)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["1 finding:", "- [[]HIGH[]] tls.protocol-outdated  *TLS 1.0 at best*"]
    )
