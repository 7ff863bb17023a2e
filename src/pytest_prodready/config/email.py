"""``[envs.X.email]``: the mail domain whose SPF, DKIM and DMARC records are checked.

Same rules as :mod:`pytest_prodready.config.sections`: a frozen dataclass per table, a parser per
dataclass, every mistake a one-paragraph ``pytest.UsageError``.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from pytest_prodready.config._table import Table

__all__ = ["DMARC_POLICIES", "EmailSpec", "Nameserver", "parse_email"]

# Weakest first: a policy's index is its strength.
DMARC_POLICIES = ("none", "quarantine", "reject")
DNS_PORT = 53
_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)")


@dataclass(frozen=True)
class Nameserver:
    """A DNS server to ask, by IP address (no name: resolving it would need DNS itself)."""

    host: str
    port: int = DNS_PORT

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


@dataclass(frozen=True)
class EmailSpec:
    """``[envs.X.email]``: the sending domain and what its DNS must publish."""

    domain: str
    # Where SPF is read: the envelope sender's domain (Resend and SES send from a subdomain
    # such as send.example.com), the domain itself by default.
    spf_domain: str
    dkim_selectors: tuple[str, ...] = ()
    provider_spf: tuple[str, ...] = ()
    dmarc_policy_min: str = "quarantine"
    # Empty: the system resolver (/etc/resolv.conf).
    nameservers: tuple[Nameserver, ...] = ()


def _dns_name(t: Table, key: str, value: str, example: str) -> str:
    """``value`` as a lower-case ASCII DNS name without the trailing dot."""
    if "://" in value or "/" in value or "@" in value:
        raise t.error(
            key, f"is {value!r}, which is not a bare domain name", f'Write it like "{example}".'
        )
    try:
        name = value.rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError:
        name = ""
    labels = name.split(".")
    if not name or len(name) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise t.error(
            key,
            f"is {value!r}, which is not a valid DNS name",
            f'Use letters, digits and hyphens between dots, like "{example}".',
        )
    return name


def _selector(t: Table, value: str, domain: str) -> str:
    if "._domainkey" in value.lower():
        raise t.error(
            "dkim_selectors",
            f"has {value!r}, a record name rather than a selector",
            f'Write only the selector (e.g. "resend"): the check asks for '
            f"<selector>._domainkey.{domain} itself.",
        )
    return _dns_name(t, "dkim_selectors", value, "resend")


def _nameserver(t: Table, value: str) -> Nameserver:
    text = value.strip()
    host, port_text = text, ""
    if text.startswith("["):
        bracketed = re.fullmatch(r"\[([^\]]+)\](?::(\d+))?", text)
        host, port_text = (bracketed.group(1), bracketed.group(2) or "") if bracketed else ("", "")
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    try:
        address = ipaddress.ip_address(host)
        port = int(port_text) if port_text else DNS_PORT
        if not 0 < port < 65536:
            raise ValueError(port)
    except ValueError:
        raise t.error(
            "nameservers",
            f"has {value!r}, which is not an IP address with an optional port",
            'Write each server as "IP" or "IP:PORT", e.g. ["1.1.1.1", "127.0.0.1:5353", '
            '"[2606:4700:4700::1111]:53"]; leave the key out to use the system resolver.',
        ) from None
    return Nameserver(str(address), port)


def _providers(t: Table) -> tuple[str, ...]:
    key = "provider_spf"
    if isinstance(t.data.get(key), str):
        given: tuple[str, ...] = (t.string(key) or "",)
    else:
        given = t.string_list(key, ())
    return tuple(_dns_name(t, key, v.removeprefix("include:"), "_spf.resend.com") for v in given)


def parse_email(t: Table) -> EmailSpec | None:
    if not t.data:
        t.finish()
        return None
    domain = _dns_name(t, "domain", t.string("domain", required=True) or "", "example.com")
    spf_domain = t.string("spf_domain")
    selectors = t.string_list("dkim_selectors", ())
    spec = EmailSpec(
        domain=domain,
        spf_domain=domain
        if spf_domain is None
        else _dns_name(t, "spf_domain", spf_domain, f"send.{domain}"),
        dkim_selectors=tuple(dict.fromkeys(_selector(t, s, domain) for s in selectors)),
        provider_spf=_providers(t),
        dmarc_policy_min=t.choice("dmarc_policy_min", "quarantine", DMARC_POLICIES),
        nameservers=tuple(_nameserver(t, v) for v in t.string_list("nameservers", ())),
    )
    t.finish()
    return spec
