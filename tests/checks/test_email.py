"""The pure SPF, DKIM and DMARC checks on plain TXT records, both ways."""

from __future__ import annotations

import pytest

from pytest_prodready.checks.email import (
    TxtLookup,
    dkim_name,
    dmarc_name,
    dmarc_names,
    evaluate_dkim,
    evaluate_dmarc,
    evaluate_spf,
)
from pytest_prodready.core.findings import Finding, Severity

KEY = (
    "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC1TaNgLlSyQMNWVLNLvyY/neDgaL2oqQE8T5illKqC"
    "gDtFHc8eHVAU+nlcaGmrKmDMw9dbgiGk1ocgZ56NR4ycfUHwQhvQPMUZw0cveel/8EAGoi/UyPmqfcPi"
    "bytH81NFtTMAxUeM4Op8A6iHkvAMj5qLf4YRNsTkKAV5aQIDAQAB"
)


def ids(findings: list[Finding]) -> list[tuple[str, Severity]]:
    return sorted((f.id, f.severity) for f in findings)


def spf(*records: str, providers: tuple[str, ...] = ("amazonses.com",)) -> list[Finding]:
    return evaluate_spf(TxtLookup("example.com", records), providers=providers)


@pytest.mark.parametrize(
    "record",
    [
        "v=spf1 include:amazonses.com ~all",
        "v=spf1 include:amazonses.com -all",
        "v=spf1 ip4:192.0.2.0/24 +include:AmazonSES.com. ~all",
        "V=SPF1 include:_spf.google.com include:amazonses.com -all",
        "v=spf1 redirect=amazonses.com",
        "v=spf1 include:amazonses.com -all +all",  # receivers stop at the first all
    ],
)
def test_one_spf_record_with_the_provider_and_a_strict_all_passes(record: str) -> None:
    assert spf(record, "google-site-verification=x") == []


@pytest.mark.parametrize(
    ("records", "expected"),
    [
        ((), [("email.spf-missing", Severity.HIGH)]),
        (
            ("google-site-verification=x", "v=spf10 nonsense"),
            [("email.spf-missing", Severity.HIGH)],
        ),
        (
            ("v=spf1 include:amazonses.com ~all", "v=spf1 include:_spf.google.com ~all"),
            [("email.spf-multiple", Severity.HIGH)],
        ),
        (
            ("v=spf1 include:_spf.google.com ~all",),
            [("email.spf-provider-missing", Severity.MEDIUM)],
        ),
        (
            ("v=spf1 ~include:amazonses.com ~all",),
            [("email.spf-provider-missing", Severity.MEDIUM)],
        ),
        # Nothing after the first all counts, and a redirect= beside an all is ignored.
        (("v=spf1 -all include:amazonses.com",), [("email.spf-provider-missing", Severity.MEDIUM)]),
        (
            ("v=spf1 redirect=amazonses.com -all",),
            [("email.spf-provider-missing", Severity.MEDIUM)],
        ),
        (("v=spf1 include:amazonses.com +all",), [("email.spf-permissive", Severity.HIGH)]),
        (("v=spf1 include:amazonses.com all",), [("email.spf-permissive", Severity.HIGH)]),
        (("v=spf1 include:amazonses.com ?all",), [("email.spf-permissive", Severity.MEDIUM)]),
        (("v=spf1 include:amazonses.com",), [("email.spf-permissive", Severity.MEDIUM)]),
        (
            ("v=spf1 +all",),
            [
                ("email.spf-permissive", Severity.HIGH),
                ("email.spf-provider-missing", Severity.MEDIUM),
            ],
        ),
    ],
)
def test_spf_flaws(records: tuple[str, ...], expected: list[tuple[str, Severity]]) -> None:
    assert ids(spf(*records)) == expected


def test_spf_evidence_names_the_domain_and_quotes_the_record() -> None:
    (finding,) = spf("v=spf1 include:_spf.google.com ~all")
    assert finding.evidence == (
        'no include:amazonses.com in example.com TXT "v=spf1 include:_spf.google.com ~all"'
    )
    (missing,) = spf("google-site-verification=" + "x" * 200)
    assert missing.evidence.startswith("no v=spf1 record among the TXT records at example.com: ")
    assert len(missing.evidence) < 140, "a long record is clipped"
    assert spf(providers=())[0].evidence == "no TXT record at example.com"


def test_spf_without_a_declared_provider_judges_only_the_record() -> None:
    assert spf("v=spf1 include:_spf.google.com -all", providers=()) == []


def dkim(*records: str) -> list[Finding]:
    return evaluate_dkim([TxtLookup(dkim_name("resend", "example.com"), records)])


@pytest.mark.parametrize(
    "record",
    [
        f"p={KEY}",
        f"v=DKIM1; k=rsa; p={KEY}",
        f"v=DKIM1;k=rsa;t=s;p={KEY[:60]} {KEY[60:]};",  # whitespace inside p= is allowed
        "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
    ],
)
def test_a_published_dkim_key_passes(record: str) -> None:
    assert dkim(record) == []


@pytest.mark.parametrize(
    ("records", "evidence"),
    [
        ((), "no TXT record at resend._domainkey.example.com"),
        (
            ("v=DKIM1; k=rsa; p=",),
            'the key is revoked (empty p=): resend._domainkey.example.com TXT "v=DKIM1; k=rsa; p="',
        ),
        (
            ("v=DKIM1; p=not base64!",),
            'p= is not base64: resend._domainkey.example.com TXT "v=DKIM1; p=not base64!"',
        ),
        (
            ("v=spf1 -all",),
            "no DKIM key (p=) among the TXT records at resend._domainkey.example.com: "
            '"v=spf1 -all"',
        ),
        ((f"v=DKIM2; p={KEY}",), "no DKIM key (p=) among the TXT records"),
    ],
)
def test_a_missing_or_revoked_dkim_key_is_high(records: tuple[str, ...], evidence: str) -> None:
    (finding,) = dkim(*records)
    assert (finding.id, finding.severity) == ("email.dkim-missing", Severity.HIGH)
    assert finding.evidence.startswith(evidence)


def test_dkim_is_judged_per_selector() -> None:
    found = evaluate_dkim(
        [
            TxtLookup("resend._domainkey.example.com", (f"p={KEY}",)),
            TxtLookup("google._domainkey.example.com", ()),
        ]
    )
    assert [f.evidence for f in found] == ["no TXT record at google._domainkey.example.com"]


def dmarc(*records: str, policy_min: str = "quarantine") -> list[Finding]:
    return evaluate_dmarc([TxtLookup(dmarc_name("example.com"), records)], policy_min=policy_min)


@pytest.mark.parametrize(
    ("record", "policy_min"),
    [
        ("v=DMARC1; p=reject; rua=mailto:d@example.com", "quarantine"),
        ("v=DMARC1; p=quarantine", "quarantine"),
        ("v=DMARC1;p=Reject;", "reject"),
        ("v=DMARC1; p=none; rua=mailto:d@example.com", "none"),
    ],
)
def test_a_dmarc_policy_at_least_the_minimum_passes(record: str, policy_min: str) -> None:
    assert dmarc(record, "some-other-verification=1", policy_min=policy_min) == []


@pytest.mark.parametrize(
    ("records", "policy_min", "expected"),
    [
        ((), "quarantine", ("email.dmarc-missing", Severity.HIGH)),
        (("some-verification=1",), "quarantine", ("email.dmarc-missing", Severity.HIGH)),
        (("v=DMARC1; p=none",), "quarantine", ("email.dmarc-none", Severity.LOW)),
        (("v=DMARC1; p=quarantine",), "reject", ("email.dmarc-weak", Severity.LOW)),
        (("v=DMARC1; rua=mailto:d@example.com",), "none", ("email.dmarc-invalid", Severity.MEDIUM)),
        (("v=DMARC1; p=block",), "none", ("email.dmarc-invalid", Severity.MEDIUM)),
        (("v=DMARC1 p=reject",), "none", ("email.dmarc-invalid", Severity.MEDIUM)),
        (("p=reject; v=DMARC1",), "none", ("email.dmarc-missing", Severity.HIGH)),
        (
            ("v=DMARC1; p=reject", "v=DMARC1; p=none"),
            "none",
            ("email.dmarc-invalid", Severity.MEDIUM),
        ),
    ],
)
def test_dmarc_flaws(
    records: tuple[str, ...], policy_min: str, expected: tuple[str, Severity]
) -> None:
    (finding,) = dmarc(*records, policy_min=policy_min)
    assert (finding.id, finding.severity) == expected
    assert "_dmarc.example.com" in finding.evidence


def test_dmarc_evidence_quotes_the_record() -> None:
    (finding,) = dmarc("v=DMARC1; p=none; rua=mailto:d@example.com")
    assert finding.evidence == '_dmarc.example.com TXT "v=DMARC1; p=none; rua=mailto:d@example.com"'
    (invalid,) = dmarc("v=DMARC1; p=block")
    assert invalid.evidence.startswith("p=block (valid: none, quarantine, reject): ")


def test_dmarc_is_looked_up_at_the_domain_then_its_parents_never_the_tld() -> None:
    assert dmarc_names("example.com") == ("_dmarc.example.com",)
    assert dmarc_names("mail.eu.example.co.uk") == (
        "_dmarc.mail.eu.example.co.uk",
        "_dmarc.eu.example.co.uk",
        "_dmarc.example.co.uk",
        "_dmarc.co.uk",
    )
    assert len(dmarc_names(".".join("abcdefghijkl"))) == 8


def walk(
    *records_by_name: tuple[str, tuple[str, ...]], policy_min: str = "quarantine"
) -> list[Finding]:
    lookups = [TxtLookup(name, records) for name, records in records_by_name]
    return evaluate_dmarc(lookups, policy_min=policy_min)


def test_a_subdomain_inherits_its_parents_policy_sp_first() -> None:
    own = ("_dmarc.mail.example.com", ())
    assert walk(own, ("_dmarc.example.com", ("v=DMARC1; p=reject",))) == []
    (weak,) = walk(own, ("_dmarc.example.com", ("v=DMARC1; p=reject; sp=none",)))
    assert (weak.id, weak.evidence) == (
        "email.dmarc-none",
        "mail.example.com inherits sp=none from "
        '_dmarc.example.com TXT "v=DMARC1; p=reject; sp=none"',
    )
    (weak,) = walk(own, ("_dmarc.example.com", ("v=DMARC1; p=quarantine",)), policy_min="reject")
    assert weak.id == "email.dmarc-weak"
    assert weak.evidence.startswith(
        "p=quarantine, below dmarc_policy_min reject: mail.example.com inherits"
    )
    # The domain's own record wins over its parent's, and its p= applies, not its sp=.
    own_record = ("_dmarc.mail.example.com", ("v=DMARC1; p=none; sp=reject",))
    (none,) = walk(own_record, ("_dmarc.example.com", ("v=DMARC1; p=reject",)))
    assert none.evidence == '_dmarc.mail.example.com TXT "v=DMARC1; p=none; sp=reject"'


def test_dmarc_missing_everywhere_names_every_name_asked() -> None:
    (missing,) = walk(("_dmarc.mail.example.com", ()), ("_dmarc.example.com", ("verify=1",)))
    assert missing.evidence == (
        "no TXT record at _dmarc.mail.example.com (nor at _dmarc.example.com)"
    )
