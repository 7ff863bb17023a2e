"""TLS probe: the handshake a client makes, the leaf certificate, and which legacy protocols
the server still accepts. The only I/O behind :mod:`pytest_prodready.checks.tls`.

Handshakes run over :class:`ssl.MemoryBIO` rather than a wrapped socket: the ClientHello is
produced *before* the TCP connection is opened, so "our OpenSSL refuses to even offer TLS 1.0"
(nothing to send) is told apart from "the server refused TLS 1.0" without parsing messages.

When no handshake is possible, :class:`TlsProbeError` says why in one line a user can act on
(timed out, reset, plain HTTP on the port, the name does not resolve, ...).
"""

from __future__ import annotations

import contextlib
import re
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


@dataclass(frozen=True)
class _Verdict:
    verified: bool
    code: int | None = None
    message: str | None = None


class _ClientRefused(Exception):
    """Our OpenSSL produced no ClientHello for this context: the server was never asked."""


class _NotTls(OSError):
    """The server answered our ClientHello with bytes that are not a TLS record."""


# Failures of the verifying handshake after which a TLS 1.0/1.1 one is worth a try: the server
# answered (or hung up) rather than stayed silent, so the retry costs a round trip, not a timeout.
_MAYBE_LEGACY_ONLY = (ssl.SSLError, ConnectionResetError, ConnectionAbortedError)


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
    does not verify, to read the certificate anyway. When the server refuses that handshake,
    the same again with only TLS 1.0 and 1.1 allowed: a server that speaks nothing newer is
    reported through ``protocol`` rather than as unreachable. Then one TLS 1.0 and one TLS 1.1
    handshake (skipped for the version already negotiated).
    Every connect, send and receive is bounded by ``timeout`` seconds per handshake.
    Raises :class:`TlsProbeError` when no handshake can be completed at all; its message is
    one line, ``no TLS handshake with HOST:PORT: <why>``.
    """
    name = server_hostname or host
    try:
        try:
            verdict, shake = _read_certificate(
                host, port, ssl_context(ca_bundle), _unverified_context(), name, timeout
            )
        except _MAYBE_LEGACY_ONLY:
            legacy = _legacy_handshake(host, port, ca_bundle, name, timeout)
            if legacy is None:
                raise  # the first failure says more than the legacy retry's
            verdict, shake = legacy
    except (OSError, _ClientRefused) as error:
        where = f"{host}:{port}" if name == host else f"{host}:{port} (SNI {name})"
        raise TlsProbeError(f"no TLS handshake with {where}: {_why(error, timeout)}") from error

    def accepts(version: str) -> bool | None:
        if shake.version == version.replace("_", "."):
            return True
        return _accepts(host, port, name, version, timeout)

    facts = TlsFacts(
        host=host,
        port=port,
        server_hostname=name,
        verified=verdict.verified,
        verify_code=verdict.code,
        verify_message=verdict.message,
        protocol=shake.version,
        cipher=shake.cipher,
        tls1_0=accepts("TLSv1"),
        tls1_1=accepts("TLSv1_1"),
    )
    if shake.leaf_der is None:
        return facts
    return _with_certificate(facts, shake.leaf_der)


def _read_certificate(
    host: str,
    port: int,
    verifying: ssl.SSLContext,
    unverified: ssl.SSLContext,
    name: str,
    timeout: float,
) -> tuple[_Verdict, _Handshake]:
    """A verifying handshake; when verification fails, an unverified one (same protocols and
    ciphers), to read the certificate anyway."""
    try:
        return _Verdict(True), _handshake(host, port, verifying, name, timeout)
    except ssl.SSLCertVerificationError as error:
        verdict = _Verdict(False, error.verify_code, error.verify_message)
    return verdict, _handshake(host, port, unverified, name, timeout)


def _legacy_handshake(
    host: str, port: int, ca_bundle: Path | None, name: str, timeout: float
) -> tuple[_Verdict, _Handshake] | None:
    """The certificate and protocol of a server that speaks only TLS 1.0/1.1; None when it
    refuses those too (or our OpenSSL cannot offer them)."""
    try:
        verifying = _legacy_context(ssl_context(ca_bundle), "TLSv1", "TLSv1_1")
        unverified = _legacy_context(_unverified_context(), "TLSv1", "TLSv1_1")
        return _read_certificate(host, port, verifying, unverified, name, timeout)
    except (OSError, _ClientRefused, ValueError):
        return None


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


def _legacy_context(context: ssl.SSLContext, lowest: str, highest: str) -> ssl.SSLContext:
    context.set_ciphers(_LEGACY_CIPHERS)
    # Naming TLSv1/TLSv1_1 is deprecated in Python; asking whether the server accepts them is
    # the point of the probe, and the warning would be an error under strict warning filters.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", r"ssl\.TLSVersion\.TLSv1", DeprecationWarning)
        context.minimum_version = ssl.TLSVersion[lowest]
        context.maximum_version = ssl.TLSVersion[highest]
    return context


def _accepts(host: str, port: int, name: str, version: str, timeout: float) -> bool | None:
    try:
        context = _legacy_context(_unverified_context(), version, version)
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

    try:
        sock = socket.create_connection((host, port), timeout=_remaining(deadline))
    except TimeoutError:
        raise TimeoutError("the server did not accept the TCP connection") from None
    with sock:
        sock.sendall(hello)
        _negotiate(sock, tls, incoming, outgoing, deadline)
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


def _negotiate(
    sock: socket.socket,
    tls: ssl.SSLObject,
    incoming: ssl.MemoryBIO,
    outgoing: ssl.MemoryBIO,
    deadline: float,
) -> None:
    """Feed the server's bytes to OpenSSL until the handshake completes; a failure says
    whether the server had answered at all (see :func:`_why`)."""
    answer = b""  # the server's first bytes: enough to tell TLS from anything else
    while True:
        data = _receive(sock, deadline, answered=bool(answer))
        answer = answer or data[:16]
        if data:
            incoming.write(data)
        else:
            incoming.write_eof()
        try:
            tls.do_handshake()
        except ssl.SSLWantReadError:
            if not data:
                raise ConnectionAbortedError(_lost(bool(answer), "closed the connection")) from None
            _flush(sock, outgoing, deadline)
            continue
        except ssl.SSLEOFError:
            raise ConnectionAbortedError(_lost(bool(answer), "closed the connection")) from None
        except ssl.SSLError as error:
            # Send our alert (e.g. bad_certificate) so the server logs why we left.
            _flush(sock, outgoing, deadline, best_effort=True)
            if answer and not _is_tls_record(answer):
                raise _NotTls(_not_tls(answer, error)) from None
            raise
        return


def _receive(sock: socket.socket, deadline: float, *, answered: bool) -> bytes:
    try:
        sock.settimeout(_remaining(deadline))
        return sock.recv(_RECV_BYTES)
    except TimeoutError:
        silence = (
            "stopped answering partway through" if answered else "never answered our ClientHello"
        )
        raise TimeoutError(f"the server {silence}") from None
    except ConnectionResetError:
        raise ConnectionResetError(_lost(answered, "reset the connection")) from None


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
        raise TimeoutError("out of time")
    return left


def _lost(answered: bool, what: str) -> str:
    return f"the server {what} " + ("partway through" if answered else "on our ClientHello")


def _is_tls_record(data: bytes) -> bool:
    # content type (change_cipher_spec .. heartbeat) and protocol major version 3
    return len(data) >= 2 and 20 <= data[0] <= 24 and data[1] == 3


def _not_tls(answer: bytes, error: ssl.SSLError) -> str:
    reason = (error.reason or "not TLS").lower().replace("_", " ")
    if answer.startswith(b"HTTP/"):
        return f"the server answered plain HTTP on a TLS port ({reason})"
    return f"the server answered something other than TLS, starting {answer!r} ({reason})"


def _why(error: BaseException, timeout: float) -> str:
    """What stopped the handshake, in words that name the fault rather than an errno."""
    if isinstance(error, _ClientRefused):
        return f"our OpenSSL would not offer one with these settings ({error})"
    if isinstance(error, _NotTls | ConnectionResetError | ConnectionAbortedError):
        return str(error)
    if isinstance(error, TimeoutError):
        detail = str(error)
        plain = detail in ("", "timed out", "out of time")
        return f"timed out after {timeout:g} s" + ("" if plain else f": {detail}")
    if isinstance(error, ConnectionRefusedError):
        return "connection refused (nothing listens on the port)"
    if isinstance(error, socket.gaierror):
        return f"the name does not resolve ({error.strerror})"
    text = re.sub(r" \(_ssl\.c:\d+\)$", "", str(error))
    if isinstance(error, ssl.SSLError):
        if "ALERT" in (error.reason or ""):
            return f"the server refused with a TLS alert: {text}"
        return f"TLS error: {text}"
    return text
