"""DNS TXT lookups: the only I/O behind :mod:`pytest_prodready.checks.email`.

A name without records (NXDOMAIN, or no TXT at it) is a fact the checks judge. A server that
does not answer, or answers with an error (SERVFAIL, REFUSED), proves nothing about the
records: :class:`DnsUnanswered` says so in one line instead of reporting a missing record.
"""

from __future__ import annotations

from collections.abc import Sequence

import dns.exception
import dns.name
import dns.nameserver
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.resolver

from pytest_prodready.checks.email import TxtLookup
from pytest_prodready.config.email import Nameserver

__all__ = ["DnsUnanswered", "lookup_txt"]

# CNAMEs followed beyond what the server itself resolved (as a recursive resolver would).
MAX_CNAMES = 8


class DnsUnanswered(Exception):
    """No DNS server gave an answer that says whether the name has records."""


def _resolver(nameservers: Sequence[Nameserver], timeout: float) -> dns.resolver.Resolver:
    resolver = dns.resolver.Resolver(configure=not nameservers)
    if nameservers:
        resolver.nameservers = [dns.nameserver.Do53Nameserver(n.host, n.port) for n in nameservers]
    # One bound for the whole query, retries and TCP fallback included; each server gets its
    # share, so a dead first server leaves time to ask the next.
    resolver.lifetime = timeout
    resolver.timeout = timeout / max(1, len(resolver.nameservers))
    return resolver


def _servers(nameservers: Sequence[Nameserver], resolver: dns.resolver.Resolver | None) -> str:
    """``DNS server 127.0.0.1:53``, ``DNS servers 1.1.1.1:53, 8.8.8.8:53 (the system
    resolver)``: who was asked, for messages."""
    if nameservers:
        names = [str(n) for n in nameservers]
        suffix = ""
    else:
        names = [str(n) for n in resolver.nameservers] if resolver else []
        suffix = " (the system resolver)"
    return f"DNS server{'s' if len(names) > 1 else ''} {', '.join(names) or 'none'}{suffix}"


def _why(error: dns.resolver.NoNameservers) -> str:
    """What each server answered instead, e.g. ``REFUSED`` or ``SERVFAIL``."""
    reasons = []
    for entry in error.kwargs.get("errors") or []:
        response = entry[4] if len(entry) > 4 else None
        if response is not None:
            reasons.append(dns.rcode.to_text(response.rcode()))
        else:
            reasons.append(str(entry[3]) or type(entry[3]).__name__)
    return ", ".join(dict.fromkeys(reasons)) or "no usable answer"


def _cname_target(error: dns.resolver.NoAnswer, qname: dns.name.Name) -> str | None:
    """Where the CNAME chain in a TXT-less answer ends, or None when there is no chain."""
    response = error.kwargs.get("response")
    current = qname
    for _ in range(MAX_CNAMES):
        try:
            rrset = response.find_rrset(
                response.answer, current, dns.rdataclass.IN, dns.rdatatype.CNAME
            )
        except (KeyError, AttributeError):
            break
        current = rrset[0].target
    return None if current == qname else current.to_text(omit_final_dot=True)


def lookup_txt(
    name: str,
    *,
    nameservers: Sequence[Nameserver] = (),
    timeout: float,
    setting: str = "nameservers",
) -> TxtLookup:
    """The TXT records at ``name``, asked of ``nameservers`` (the system resolver when empty),
    each query bounded by ``timeout`` seconds.

    Raises :class:`DnsUnanswered` (one line naming the server, the name and ``setting`` to
    check) when no server answers or every one answers with an error.
    """
    return _lookup(name, nameservers, timeout, setting, depth=0)


def _lookup(
    name: str, nameservers: Sequence[Nameserver], timeout: float, setting: str, *, depth: int
) -> TxtLookup:
    resolver: dns.resolver.Resolver | None = None
    qname = dns.name.from_text(name)
    try:
        resolver = _resolver(nameservers, timeout)
        answer = resolver.resolve(qname, "TXT", search=False)
    except dns.resolver.NXDOMAIN:
        return TxtLookup(name)
    except dns.resolver.NoAnswer as error:
        # An authoritative server answers a CNAME into a zone it does not serve (a provider's
        # DKIM key) with the CNAME alone: follow it, as a recursive resolver would.
        target = _cname_target(error, qname)
        if target is None or depth >= MAX_CNAMES:
            return TxtLookup(name)
        followed = _lookup(target, nameservers, timeout, setting, depth=depth + 1)
        return TxtLookup(name, followed.records)
    except dns.resolver.NoResolverConfiguration:
        raise DnsUnanswered(
            f"prodready email: this machine has no DNS server configured to ask for {name} "
            f'(/etc/resolv.conf names none); set {setting}, e.g. nameservers = ["1.1.1.1"]'
        ) from None
    except dns.exception.Timeout:
        raise DnsUnanswered(
            f"prodready email: {_servers(nameservers, resolver)} did not answer for "
            f"{name} within {timeout:g} s; check {setting} and that this machine reaches it"
        ) from None
    except dns.resolver.NoNameservers as error:
        raise DnsUnanswered(
            f"prodready email: {_servers(nameservers, resolver)} could not answer "
            f"for {name} ({_why(error)}); check {setting}: the server must resolve the domain "
            "(a recursive resolver, or the domain's authoritative server)"
        ) from None
    except dns.exception.DNSException as error:
        raise DnsUnanswered(
            f"prodready email: the DNS lookup of {name} failed ({type(error).__name__}: "
            f"{error}); check {setting} and the domain"
        ) from None
    return TxtLookup(
        name,
        tuple(
            b"".join(rdata.strings).decode("utf-8", "replace")
            for rdata in answer
            if hasattr(rdata, "strings")
        ),
    )
