"""TLS: is the certificate trusted, current and for this host, and are old protocols off?

Reads :class:`TlsFacts`, gathered by :func:`pytest_prodready.probes.tls.probe`. OpenSSL stops
at the first verification error it meets (an untrusted chain hides an expiry), so expiry and
hostname are also judged from the certificate's own fields, not only from the verify code.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta

from pytest_prodready.core.findings import Finding, Severity, rule

__all__ = [
    "EXPIRED",
    "EXPIRES_SOON",
    "HOSTNAME_MISMATCH",
    "PROTOCOL_OUTDATED",
    "UNTRUSTED",
    "TlsFacts",
    "evaluate",
    "hostname_matches",
]


@dataclass(frozen=True)
class TlsFacts:
    """What one TLS endpoint presented, as plain values (no ``ssl`` objects)."""

    host: str
    port: int
    server_hostname: str
    verified: bool
    """The verifying handshake (SNI, CA store or the env's bundle, hostname check) succeeded."""
    verify_code: int | None
    """OpenSSL's ``X509_V_ERR_*`` when verification failed (10 expired, 62 hostname, ...)."""
    verify_message: str | None
    protocol: str
    """The newest protocol the server agreed to, e.g. ``TLSv1.3``: negotiated with the
    client's defaults, or ``TLSv1``/``TLSv1.1`` when only a legacy handshake succeeded."""
    cipher: str
    not_before: datetime | None = None
    not_after: datetime | None = None
    subject: str | None = None
    issuer: str | None = None
    san_dns: tuple[str, ...] = ()
    san_ips: tuple[str, ...] = ()
    tls1_0: bool | None = None
    """TLS 1.0 handshake accepted; None when it could not be determined."""
    tls1_1: bool | None = None
    """TLS 1.1 handshake accepted; None when it could not be determined."""


NO_HTTPS = rule(
    "tls.no-https",
    Severity.HIGH,
    "The environment is served over plain HTTP",
    "Serve it over HTTPS (a certificate from Let's Encrypt or the platform), redirect plain "
    "HTTP to it, and set base_url to https://. An environment on plain HTTP on purpose (a "
    "local one) says so: plain_http = true in [envs.X].",
)
UNTRUSTED = rule(
    "tls.untrusted",
    Severity.HIGH,
    "Certificate is not trusted",
    "Serve the full chain (leaf then intermediates) issued by a publicly trusted CA; for a "
    "private CA, set the environment's ca_bundle",
)
EXPIRED = rule(
    "tls.expired",
    Severity.HIGH,
    "Certificate has expired",
    "Renew the certificate and reload the server; automate renewal (ACME) and monitor notAfter",
)
EXPIRES_SOON = rule(
    "tls.expires-soon",
    Severity.MEDIUM,
    "Certificate expires soon",
    "Renew now, then check that automated renewal runs and the server reloads the new certificate",
)
HOSTNAME_MISMATCH = rule(
    "tls.hostname-mismatch",
    Severity.HIGH,
    "Certificate does not cover this hostname",
    "Issue a certificate whose subjectAltName lists this exact name (or a matching *.wildcard), "
    "and serve it for this SNI name",
)
PROTOCOL_OUTDATED = rule(
    "tls.protocol-outdated",
    Severity.MEDIUM,
    "Server accepts TLS 1.0 / TLS 1.1",
    "Set the minimum protocol to TLS 1.2 (nginx: ssl_protocols TLSv1.2 TLSv1.3; "
    "Apache: SSLProtocol -all +TLSv1.2 +TLSv1.3); RFC 8996 deprecates 1.0 and 1.1",
)

# OpenSSL X509_V_ERR_* codes that have their own finding rather than tls.untrusted.
_CERT_HAS_EXPIRED = 10
_HOSTNAME_MISMATCH = 62
_IP_ADDRESS_MISMATCH = 64
_NOT_UNTRUSTED = frozenset({_CERT_HAS_EXPIRED, _HOSTNAME_MISMATCH, _IP_ADDRESS_MISMATCH})
# ``ssl`` version names of the protocols RFC 8996 deprecates.
_OUTDATED_NAMES = {"SSLv3": "SSL 3.0", "TLSv1": "TLS 1.0", "TLSv1.1": "TLS 1.1"}


def evaluate(
    facts: TlsFacts,
    *,
    now: datetime,
    warn_days: int = 30,
    critical_days: int = 7,
    url: str | None = None,
) -> list[Finding]:
    """Findings for one TLS endpoint: trust, expiry, hostname and legacy protocols.

    ``now`` must be timezone-aware. A certificate with ``warn_days`` or fewer days left is
    ``tls.expires-soon`` (medium), with ``critical_days`` or fewer it is high.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware, e.g. datetime.now(timezone.utc)")
    if not 0 <= critical_days <= warn_days:
        raise ValueError(
            f"expected 0 <= critical_days <= warn_days, got {critical_days} and {warn_days}"
        )
    findings: list[Finding] = []
    if not facts.verified and facts.verify_code not in _NOT_UNTRUSTED:
        findings.append(UNTRUSTED(_verify_evidence(facts), url=url))
    findings += _expiry(facts, now, warn_days, critical_days, url)
    if _mismatch(facts):
        findings.append(HOSTNAME_MISMATCH(_names_evidence(facts), url=url))
    findings += _outdated(facts, url)
    return findings


def hostname_matches(hostname: str, dns_names: tuple[str, ...], ips: tuple[str, ...]) -> bool:
    """RFC 6125 matching as browsers do it: subjectAltName only (no CN fallback), a wildcard
    only as the whole left-most label and never matching an IP address."""
    try:
        address = ipaddress.ip_address(hostname.strip("[]"))
    except ValueError:
        address = None
    if address is not None:
        return any(_same_ip(address, ip) for ip in ips)
    wanted = hostname.rstrip(".").lower().split(".")
    for name in dns_names:
        pattern = name.rstrip(".").lower().split(".")
        if len(pattern) != len(wanted):
            continue
        if pattern == wanted:
            return True
        # "*.example.com" needs at least two labels after the wildcard: "*.com" matches nothing.
        if pattern[0] == "*" and len(pattern) > 2 and pattern[1:] == wanted[1:]:
            return True
    return False


def _same_ip(address: ipaddress.IPv4Address | ipaddress.IPv6Address, text: str) -> bool:
    try:
        return ipaddress.ip_address(text) == address
    except ValueError:
        return False


def _expiry(
    facts: TlsFacts, now: datetime, warn_days: int, critical_days: int, url: str | None
) -> list[Finding]:
    if facts.not_after is None:
        if facts.verify_code == _CERT_HAS_EXPIRED:
            return [EXPIRED(_verify_evidence(facts), url=url)]
        return []
    left = facts.not_after - now
    stamp = facts.not_after.strftime("%Y-%m-%d %H:%M UTC")
    if left <= timedelta(0):
        return [EXPIRED(f"notAfter {stamp}, {_days(-left)} ago", url=url)]
    if facts.verify_code == _CERT_HAS_EXPIRED:
        # The verifier's clock disagrees with ours; its verdict is what clients will see.
        return [EXPIRED(f"notAfter {stamp}; {_verify_evidence(facts)}", url=url)]
    if left <= timedelta(days=warn_days):
        severity = Severity.HIGH if left <= timedelta(days=critical_days) else Severity.MEDIUM
        evidence = f"notAfter {stamp}, in {_days(left)} (warn at {warn_days} days)"
        return [EXPIRES_SOON(evidence, url=url, severity=severity)]
    return []


def _outdated(facts: TlsFacts, url: str | None) -> list[Finding]:
    outdated = [
        name
        for name, accepted in (("TLS 1.0", facts.tls1_0), ("TLS 1.1", facts.tls1_1))
        if accepted
    ]
    best = _OUTDATED_NAMES.get(facts.protocol)
    if best is not None:
        # Nothing newer: every current browser and TLS library fails to connect at all.
        evidence = f"{best} at best: a handshake offering TLS 1.2 and 1.3 is refused"
        if outdated:
            evidence += f"; handshake accepted: {', '.join(outdated)}"
        return [PROTOCOL_OUTDATED(evidence, url=url, severity=Severity.HIGH)]
    if outdated:
        return [PROTOCOL_OUTDATED(f"handshake accepted: {', '.join(outdated)}", url=url)]
    return []


def _mismatch(facts: TlsFacts) -> bool:
    if facts.verify_code in (_HOSTNAME_MISMATCH, _IP_ADDRESS_MISMATCH):
        return True
    if facts.verified or facts.not_after is None:
        # A verified handshake includes OpenSSL's own hostname check; trust it over ours.
        return False
    return not hostname_matches(facts.server_hostname, facts.san_dns, facts.san_ips)


def _verify_evidence(facts: TlsFacts) -> str:
    message = facts.verify_message or "verification failed"
    code = f" (X509 verify code {facts.verify_code})" if facts.verify_code is not None else ""
    issuer = f"; issuer {facts.issuer}" if facts.issuer else ""
    return f"{message}{code}{issuer}"


def _names_evidence(facts: TlsFacts) -> str:
    names = [f"DNS:{name}" for name in facts.san_dns] + [f"IP:{ip}" for ip in facts.san_ips]
    covered = ", ".join(names) if names else "no subjectAltName"
    return f"{facts.server_hostname!r} not in the certificate's names ({covered})"


def _days(delta: timedelta) -> str:
    days = delta.days
    if days == 0:
        hours = max(1, round(delta.total_seconds() / 3600))
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{days} day{'s' if days != 1 else ''}"


def no_https(base_url: str, *, plain_http: bool) -> list[Finding]:
    """``tls.no-https`` for a base URL on plain HTTP, unless the env declares it on purpose:
    a site without HTTPS has no TLS to check, and that is the finding, not a skip."""
    if plain_http or base_url.startswith("https://"):
        return []
    return [NO_HTTPS(f"base_url is {base_url}: nothing is encrypted", url=base_url)]
