"""Mail domain authentication: one SPF record naming the provider, a DKIM key at each
selector, a DMARC policy. DNS TXT queries only."""

from __future__ import annotations

import pytest

from pytest_prodready import AssertNoFindings
from pytest_prodready.checks import email
from pytest_prodready.checks.email import TxtLookup
from pytest_prodready.config import Environment

pytestmark = [pytest.mark.smoke, pytest.mark.security]


def lookup(target: Environment, name: str) -> TxtLookup:
    """The TXT records at ``name``; a DNS server that gives no answer fails the test in one
    line (it proves nothing about the records)."""
    # Here, not at the top: dnspython costs every smoke run its import, mail declared or not.
    from pytest_prodready.probes import dns

    assert target.email is not None
    unanswered = None
    try:
        return dns.lookup_txt(
            name,
            nameservers=target.email.nameservers,
            timeout=target.timeout_s,
            setting=f"nameservers in [envs.{target.name}.email]",
        )
    except dns.DnsUnanswered as exc:
        unanswered = str(exc)
    # Outside the except block: the probe's message says it all, without its chain.
    pytest.fail(unanswered, pytrace=False)


@pytest.fixture
def mail(target: Environment) -> Environment:
    if target.email is None:
        pytest.skip(f"[envs.{target.name}.email] is not declared: no mail domain to check")
    return target


def test_spf(mail: Environment, assert_no_findings: AssertNoFindings) -> None:
    assert mail.email is not None
    spf = lookup(mail, mail.email.spf_domain)
    assert_no_findings(email.evaluate_spf(spf, providers=mail.email.provider_spf))


def test_dkim(mail: Environment, assert_no_findings: AssertNoFindings) -> None:
    assert mail.email is not None
    spec = mail.email
    if not spec.dkim_selectors:
        pytest.skip(
            f"[envs.{mail.name}.email] declares no dkim_selectors (DNS cannot list them): "
            'add your provider\'s, e.g. dkim_selectors = ["resend"]'
        )
    keys = [lookup(mail, email.dkim_name(s, spec.domain)) for s in spec.dkim_selectors]
    assert_no_findings(email.evaluate_dkim(keys))


def test_dmarc(mail: Environment, assert_no_findings: AssertNoFindings) -> None:
    assert mail.email is not None
    # The domain's own _dmarc, then its parents' until one publishes a policy.
    walked: list[TxtLookup] = []
    for name in email.dmarc_names(mail.email.domain):
        walked.append(lookup(mail, name))
        if email.publishes_dmarc(walked[-1]):
            break
    assert_no_findings(email.evaluate_dmarc(walked, policy_min=mail.email.dmarc_policy_min))
