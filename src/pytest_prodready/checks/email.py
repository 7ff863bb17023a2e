"""Mail domain authentication: one SPF record naming the provider, a DKIM key at each selector,
and a DMARC policy that tells receivers to act on failures.

Reads :class:`TxtLookup` facts (the TXT records at one name), gathered by
:func:`pytest_prodready.probes.dns.lookup_txt`. Grammars: SPF RFC 7208, DKIM RFC 6376 §3.6.1,
DMARC RFC 7489 §6.3.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pytest_prodready.core.evidence import clip
from pytest_prodready.core.findings import Finding, Severity, rule

__all__ = [
    "DKIM_MISSING",
    "DMARC_INVALID",
    "DMARC_MISSING",
    "DMARC_NONE",
    "DMARC_WEAK",
    "SPF_MISSING",
    "SPF_MULTIPLE",
    "SPF_PERMISSIVE",
    "SPF_PROVIDER_MISSING",
    "TxtLookup",
    "dkim_name",
    "dmarc_name",
    "dmarc_names",
    "evaluate_dkim",
    "evaluate_dmarc",
    "evaluate_spf",
    "publishes_dmarc",
]

POLICIES = ("none", "quarantine", "reject")


@dataclass(frozen=True)
class TxtLookup:
    """The TXT records published at one name; each record's strings joined, as receivers
    read them. No records: the name does not exist or has no TXT."""

    name: str
    records: tuple[str, ...] = ()


SPF_MISSING = rule(
    "email.spf-missing",
    Severity.HIGH,
    "The mail domain publishes no SPF record",
    'Publish one TXT record at the sending domain: "v=spf1 include:<provider> ~all" (your mail '
    "provider's domain setup page names the include, e.g. amazonses.com for Resend and SES).",
)
SPF_MULTIPLE = rule(
    "email.spf-multiple",
    Severity.HIGH,
    "The mail domain publishes more than one SPF record",
    "Merge them into one TXT record: one v=spf1, every include in it, one all at the end. "
    "With two, receivers return permerror and SPF fails for all mail.",
)
SPF_PROVIDER_MISSING = rule(
    "email.spf-provider-missing",
    Severity.MEDIUM,
    "The SPF record does not include the mail provider",
    "Add include:<provider> (the provider_spf of [envs.X.email]) before the record's all, "
    'e.g. "v=spf1 include:amazonses.com ~all".',
)
SPF_PERMISSIVE = rule(
    "email.spf-permissive",
    Severity.HIGH,
    "The SPF record does not turn away other senders",
    "End the record with ~all (or -all once every sender is listed): +all (high) lets any "
    "server send as the domain, ?all or no all (medium) tells receivers nothing.",
)
DKIM_MISSING = rule(
    "email.dkim-missing",
    Severity.HIGH,
    "No usable DKIM key at a selector",
    "Publish the record your mail provider gives for <selector>._domainkey.<domain> (TXT "
    '"v=DKIM1; k=rsa; p=<public key>", or the CNAME it names); an empty p= revokes the key.',
)
DMARC_MISSING = rule(
    "email.dmarc-missing",
    Severity.HIGH,
    "The mail domain publishes no DMARC record",
    'Publish a TXT record at _dmarc.<domain>: "v=DMARC1; p=quarantine; '
    'rua=mailto:dmarc@<domain>" (p=none only while you read the first reports).',
)
DMARC_NONE = rule(
    "email.dmarc-none",
    Severity.LOW,
    "The DMARC policy is p=none: receivers deliver mail that fails authentication",
    "Once the rua reports show only your own senders, raise it to p=quarantine, then p=reject.",
)
DMARC_WEAK = rule(
    "email.dmarc-weak",
    Severity.LOW,
    "The DMARC policy is weaker than the environment requires",
    "Raise p= in the _dmarc record to the dmarc_policy_min of [envs.X.email], or lower that "
    "setting if the weaker policy is intended.",
)
DMARC_INVALID = rule(
    "email.dmarc-invalid",
    Severity.MEDIUM,
    "The DMARC record is not valid",
    'Publish exactly one TXT record at _dmarc.<domain>, tags separated by ";", starting '
    '"v=DMARC1;" and with p=none, quarantine or reject.',
)

_SPF = re.compile(r"v=spf1(?:\s|$)", re.IGNORECASE)
_DMARC_LIKE = re.compile(r"\s*v\s*=\s*dmarc", re.IGNORECASE)


def dkim_name(selector: str, domain: str) -> str:
    """Where a DKIM selector's key is published."""
    return f"{selector}._domainkey.{domain}"


def dmarc_name(domain: str) -> str:
    """Where a domain's DMARC policy is published."""
    return f"_dmarc.{domain}"


def _quote(lookup: TxtLookup, record: str) -> str:
    return f'{lookup.name} TXT "{clip(record, 100)}"'


def _absent(lookup: TxtLookup, what: str) -> str:
    if not lookup.records:
        return f"no TXT record at {lookup.name}"
    others = "; ".join(f'"{clip(r, 60)}"' for r in lookup.records[:3])
    return f"no {what} among the TXT records at {lookup.name}: {others}"


def _tags(record: str) -> dict[str, str] | None:
    """A DKIM/DMARC tag list as {lower-case tag: value}; None when a part is not ``tag=value``."""
    tags: dict[str, str] = {}
    for part in record.split(";"):
        if not part.strip():
            continue  # a trailing ";" is allowed
        tag, sep, value = part.partition("=")
        if not sep or not tag.strip():
            return None
        tags.setdefault(tag.strip().lower(), value.strip())
    return tags


def _host(name: str) -> str:
    return name.lower().rstrip(".")


def evaluate_spf(lookup: TxtLookup, *, providers: Iterable[str] = ()) -> list[Finding]:
    """``email.spf-*``: exactly one ``v=spf1`` record, each provider included, an ``all``
    that turns other senders away."""
    spf = [r for r in lookup.records if _SPF.match(r.strip())]
    if not spf:
        return [SPF_MISSING(_absent(lookup, "v=spf1 record"))]
    if len(spf) > 1:
        quoted = " and ".join(f'"{clip(r, 70)}"' for r in spf)
        return [SPF_MULTIPLE(f"{len(spf)} records at {lookup.name}: {quoted}")]
    record = spf[0].strip()
    included: set[str] = set()
    redirect: str | None = None
    ending: str | None = None
    for term in record.split()[1:]:
        qualifier, mechanism = (term[0], term[1:]) if term[0] in "+-~?" else ("+", term)
        name, _, value = mechanism.partition(":")
        name = name.lower()
        if name == "include" and qualifier == "+":
            included.add(_host(value))
        elif name.startswith("redirect="):
            redirect = _host(mechanism.partition("=")[2])
        elif name == "all":
            # Receivers stop at the first all: later mechanisms never count, and a redirect=
            # is ignored wherever it stands (RFC 7208 §6.1).
            ending, redirect = qualifier, None
            break
    findings = [
        SPF_PROVIDER_MISSING(f"no include:{p} in {_quote(lookup, record)}")
        for p in providers
        if _host(p) not in included and _host(p) != redirect
    ]
    if ending == "+":
        findings.append(SPF_PERMISSIVE(f"+all passes any sender: {_quote(lookup, record)}"))
    elif ending == "?":
        findings.append(
            SPF_PERMISSIVE(
                f"?all is neutral for any sender: {_quote(lookup, record)}",
                severity=Severity.MEDIUM,
            )
        )
    elif ending is None and redirect is None:
        findings.append(
            SPF_PERMISSIVE(
                f"no all: other senders get neutral: {_quote(lookup, record)}",
                severity=Severity.MEDIUM,
            )
        )
    return findings


def _dkim_problem(lookup: TxtLookup) -> str | None:
    """Why ``lookup`` holds no usable DKIM key, or None when it holds one."""
    reasons: list[str] = []
    for record in lookup.records:
        tags = _tags(record)
        if tags is None or "p" not in tags or tags.get("v", "DKIM1").upper() != "DKIM1":
            continue
        key = re.sub(r"\s+", "", tags["p"])
        if not key:
            reasons.append(f"the key is revoked (empty p=): {_quote(lookup, record)}")
            continue
        try:
            base64.b64decode(key, validate=True)
        except (binascii.Error, ValueError):
            reasons.append(f"p= is not base64: {_quote(lookup, record)}")
            continue
        return None
    return reasons[0] if reasons else _absent(lookup, "DKIM key (p=)")


def evaluate_dkim(lookups: Iterable[TxtLookup]) -> list[Finding]:
    """``email.dkim-missing`` for each selector's name without a usable ``p=`` key."""
    return [
        DKIM_MISSING(problem)
        for lookup in lookups
        if (problem := _dkim_problem(lookup)) is not None
    ]


def publishes_dmarc(lookup: TxtLookup) -> bool:
    """Whether a record at ``lookup`` reads as a DMARC policy (receivers stop looking there)."""
    return any(_DMARC_LIKE.match(r) for r in lookup.records)


def dmarc_names(domain: str) -> tuple[str, ...]:
    """Where receivers look for ``domain``'s DMARC policy, in order: its own ``_dmarc`` name,
    then each parent's up to the one below the top-level domain (the DMARCbis tree walk; RFC
    7489's organizational domain is among them), at most 8."""
    labels = domain.split(".")
    return tuple(dmarc_name(".".join(labels[i:])) for i in range(max(1, len(labels) - 1)))[:8]


def evaluate_dmarc(
    lookups: Sequence[TxtLookup], *, policy_min: str = "quarantine"
) -> list[Finding]:
    """``email.dmarc-*`` from the lookups of :func:`dmarc_names` (the walk may stop at the
    first that :func:`publishes_dmarc`): one valid ``v=DMARC1`` record whose policy for the
    domain is at least ``policy_min`` (``none`` accepts monitoring only). A parent's record
    applies its ``sp=`` (else its ``p=``) to the domain, as receivers do."""
    if not lookups:
        return []
    found = next((lookup for lookup in lookups if publishes_dmarc(lookup)), None)
    if found is None:
        evidence = _absent(lookups[0], "v=DMARC1 record")
        if len(lookups) > 1:
            evidence += f" (nor at {', '.join(lookup.name for lookup in lookups[1:])})"
        return [DMARC_MISSING(evidence)]
    dmarc = [r for r in found.records if _DMARC_LIKE.match(r)]
    if len(dmarc) > 1:
        quoted = " and ".join(f'"{clip(r, 70)}"' for r in dmarc)
        return [
            DMARC_INVALID(f"{len(dmarc)} records at {found.name}, receivers apply none: {quoted}")
        ]
    record = dmarc[0]
    quote = _quote(found, record)
    tags = _tags(record)
    if tags is None or next(iter(tags), None) != "v" or tags["v"].upper() != "DMARC1":
        return [DMARC_INVALID(f"not a v=DMARC1; tag list: {quote}")]
    policy = tags.get("p", "").lower()
    if policy not in POLICIES:
        shown = f"p={tags['p']}" if "p" in tags else "no p="
        return [DMARC_INVALID(f"{shown} (valid: {', '.join(POLICIES)}): {quote}")]
    tag = "p"
    if found is not lookups[0]:
        domain = lookups[0].name.removeprefix("_dmarc.")
        if tags.get("sp", "").lower() in POLICIES:
            tag, policy = "sp", tags["sp"].lower()
        quote = f"{domain} inherits {tag}={policy} from {quote}"
    if POLICIES.index(policy) >= POLICIES.index(policy_min):
        return []
    if policy == "none":
        return [DMARC_NONE(quote)]
    return [DMARC_WEAK(f"{tag}={policy}, below dmarc_policy_min {policy_min}: {quote}")]
