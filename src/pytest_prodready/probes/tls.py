"""TLS probe: the handshake a client makes, the leaf certificate, and which legacy protocols
the server still accepts. The only I/O behind :mod:`pytest_prodready.checks.tls`.

Handshakes run over :class:`ssl.MemoryBIO` rather than a wrapped socket: the ClientHello is
produced *before* the TCP connection is opened, so "our OpenSSL refuses to even offer TLS 1.0"
(nothing to send) is told apart from "the server refused TLS 1.0" without parsing messages.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import time
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

from cryptography import x509

from pytest_prodready.checks.tls import TlsFacts
from pytest_prodready.http import ssl_context

__all__ = ["TlsFacts", "TlsProbeError", "probe"]

_RECV_BYTES = 16384
# Our own OpenSSL 3 refuses TLS 1.0/1.1 at its default security level (2): level 0 lets the
# client offer them, and ALL (not DEFAULT) lets it offer the CBC/3DES suites that servers
# stuck on those protocols often accept exclusively.
_LEGACY_CIPHERS = "ALL:@SECLEVEL=0"


class TlsProbeError(Exception):
    """No TLS handshake at all was possible: nothing listens, or it does not speak TLS."""


@dataclass(frozen=True)
class _Handshake:
    version: str
    cipher: str
    leaf_der: bytes | None


class _ClientRefused(Exception):
    """Our OpenSSL produced no ClientHello for this context: the server was never asked."""


def probe(
    host: str,
    port: int,
    *,
    server_hostname: str | None = None,
    ca_bundle: Path | None = None,
    timeout: float = 5.0,
) -> TlsFacts:
    """Handshake with ``host:port`` as a browser would, then read what was presented.

    One verifying handshake (SNI ``server_hostname`` or ``host``, trust from ``ca_bundle`` or
    the default store, as the HTTP client uses); when verification fails, a second one that
    does not verify, to read the certificate anyway; then one TLS 1.0 and one TLS 1.1 handshake.
    Every connect, send and receive is bounded by ``timeout`` seconds per handshake.
    Raises :class:`TlsProbeError` when no handshake can be completed at all.
    """
    name = server_hostname or host
    verified, verify_code, verify_message = True, None, None
    try:
        try:
            shake = _handshake(host, port, ssl_context(ca_bundle), name, timeout)
        except ssl.SSLCertVerificationError as error:
            verified, verify_code, verify_message = False, error.verify_code, error.verify_message
            shake = _handshake(host, port, _unverified_context(), name, timeout)
    except (OSError, _ClientRefused) as error:
        raise TlsProbeError(f"no TLS handshake with {host}:{port} ({name}): {error}") from error

    facts = TlsFacts(
        host=host,
        port=port,
        server_hostname=name,
        verified=verified,
        verify_code=verify_code,
        verify_message=verify_message,
        protocol=shake.version,
        cipher=shake.cipher,
        tls1_0=_accepts(host, port, name, "TLSv1", timeout),
        tls1_1=_accepts(host, port, name, "TLSv1_1", timeout),
    )
    if shake.leaf_der is None:
        return facts
    return _with_certificate(facts, shake.leaf_der)


def _with_certificate(facts: TlsFacts, der: bytes) -> TlsFacts:
    try:
        cert = x509.load_der_x509_certificate(der)
        try:
            san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            dns = tuple(san.get_values_for_type(x509.DNSName))
            ips = tuple(str(ip) for ip in san.get_values_for_type(x509.IPAddress))
        except x509.ExtensionNotFound:
            dns, ips = (), ()
        return replace(
            facts,
            not_before=cert.not_valid_before_utc,
            not_after=cert.not_valid_after_utc,
            subject=cert.subject.rfc4514_string(),
            issuer=cert.issuer.rfc4514_string(),
            san_dns=dns,
            san_ips=ips,
        )
    except ValueError as error:
        raise TlsProbeError(
            f"{facts.host}:{facts.port} presented a certificate that cannot be parsed: {error}"
        ) from error


def _unverified_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _legacy_context(version: str) -> ssl.SSLContext:
    context = _unverified_context()
    context.set_ciphers(_LEGACY_CIPHERS)
    # Naming TLSv1/TLSv1_1 is deprecated in Python; asking whether the server accepts them is
    # the point of the probe, and the warning would be an error under strict warning filters.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", r"ssl\.TLSVersion\.TLSv1", DeprecationWarning)
        pinned = ssl.TLSVersion[version]
        context.minimum_version = pinned
        context.maximum_version = pinned
    return context


def _accepts(host: str, port: int, name: str, version: str, timeout: float) -> bool | None:
    try:
        context = _legacy_context(version)
        _handshake(host, port, context, name, timeout)
    except (_ClientRefused, ValueError):
        return None
    except ssl.SSLError as error:
        return False if _server_refused(error) else None
    except (TimeoutError, ConnectionRefusedError):
        # Silence, or the listener gone between handshakes: not an answer about the protocol.
        return None
    except OSError:
        # Reset or aborted right after our ClientHello: the server's way of saying no.
        return False
    return True


# Client-side reasons that mean the server answered in another version than the one asked.
_OTHER_VERSION = frozenset({"UNSUPPORTED_PROTOCOL", "WRONG_VERSION_NUMBER", "VERSION_TOO_LOW"})


def _server_refused(error: ssl.SSLError) -> bool:
    """The server declined the handshake, as opposed to our client failing on its answer
    (say, a legacy signature our OpenSSL will not check): only then is the protocol refused."""
    if isinstance(error, ssl.SSLEOFError | ssl.SSLZeroReturnError):
        return True
    reason = error.reason or ""
    # An alert from the server (protocol_version, handshake_failure, ...) has ALERT in its name.
    return "ALERT" in reason or reason in _OTHER_VERSION


def _handshake(
    host: str, port: int, context: ssl.SSLContext, name: str, timeout: float
) -> _Handshake:
    deadline = time.monotonic() + timeout
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname=name)
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    except ssl.SSLError as error:
        raise _ClientRefused(str(error)) from error
    hello = outgoing.read()
    if not hello:
        raise _ClientRefused("the client produced no ClientHello")

    with socket.create_connection((host, port), timeout=_remaining(deadline)) as sock:
        sock.sendall(hello)
        while True:
            sock.settimeout(_remaining(deadline))
            data = sock.recv(_RECV_BYTES)
            if data:
                incoming.write(data)
            else:
                incoming.write_eof()
            try:
                tls.do_handshake()
            except ssl.SSLWantReadError:
                if not data:
                    raise ConnectionAbortedError("connection closed during the handshake") from None
                _flush(sock, outgoing, deadline)
                continue
            except ssl.SSLError:
                # Send our alert (e.g. bad_certificate) so the server logs why we left.
                _flush(sock, outgoing, deadline, best_effort=True)
                raise
            break
        _flush(sock, outgoing, deadline)
        cipher = tls.cipher()
        version = tls.version()
        result = _Handshake(
            version=version or "unknown",
            cipher=cipher[0] if cipher else "unknown",
            leaf_der=tls.getpeercert(binary_form=True),
        )
        # close_notify, so the server sees an orderly close rather than an EOF mid-session.
        with contextlib.suppress(ssl.SSLError):
            tls.unwrap()
        _flush(sock, outgoing, deadline, best_effort=True)
    return result


def _flush(
    sock: socket.socket, outgoing: ssl.MemoryBIO, deadline: float, *, best_effort: bool = False
) -> None:
    pending = outgoing.read()
    if not pending:
        return
    try:
        sock.settimeout(_remaining(deadline))
        sock.sendall(pending)
    except OSError:
        if not best_effort:
            raise


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("TLS handshake timed out")
    return left
