"""The mail suite end to end against a real DNS server (NSD on 127.0.0.1): config → TXT probe →
SPF/DKIM/DMARC checks → findings in the report, on a correct domain and on broken ones, and
one line when the DNS server does not answer."""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pytest_prodready.config.email import Nameserver
from pytest_prodready.probes.dns import DnsUnanswered, lookup_txt
from tests.nsd import nsd
from tests.servers import free_port

ROOT = Path(__file__).resolve().parent.parent
SUITE = str(ROOT / "suites" / "test_email.py")

# DKIM public keys' shape: base64 of a DER blob. A 2048-bit RSA key (392 characters) is longer
# than one TXT string (255), so zones publish it in two strings that receivers join.
KEY = base64.b64encode(bytes(range(150))).decode()
LONG_KEY = base64.b64encode(bytes(range(256)) + bytes(range(38))).decode()
HALF = len(LONG_KEY) // 2

ZONES = {
    # What Resend asks for: SPF on the send. subdomain (SES is its envelope sender), a DKIM
    # key at resend._domainkey, plus a second provider's key behind a CNAME, and DMARC.
    "good.test": f"""
        @ IN TXT "google-site-verification=4f2b9c"
        @ IN TXT "v=spf1 include:_spf.google.com -all"
        send IN TXT "v=spf1 include:amazonses.com ~all"
        resend._domainkey IN TXT "p={LONG_KEY[:HALF]}" "{LONG_KEY[HALF:]}"
        google._domainkey IN CNAME google.keys.good.test.
        google.keys IN TXT "v=DKIM1; k=rsa; p={KEY}"
        ses._domainkey IN CNAME key.provider.test.
        _dmarc IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@good.test"
    """,
    # Nothing published but a site verification.
    "bad.test": """
        @ IN TXT "google-site-verification=4f2b9c"
        www IN A 127.0.0.1
    """,
    # Two SPF records (permerror), a revoked DKIM key, DMARC in monitoring mode.
    "multi.test": """
        @ IN TXT "v=spf1 include:amazonses.com ~all"
        @ IN TXT "v=spf1 include:_spf.google.com ~all"
        resend._domainkey IN TXT "v=DKIM1; k=rsa; p="
        _dmarc IN TXT "v=DMARC1; p=none; rua=mailto:dmarc@multi.test"
    """,
    # Anyone may send, the provider is not named, DMARC has no policy.
    "open.test": f"""
        @ IN TXT "v=spf1 +all"
        resend._domainkey IN TXT "v=DKIM1; p={KEY}"
        _dmarc IN TXT "v=DMARC1; rua=mailto:dmarc@open.test"
    """,
}


# A provider's DNS, on a server of its own: good.test's ses._domainkey points into it.
PROVIDER = {"provider.test": f'key IN TXT "v=DKIM1; k=rsa; p={KEY}"\n'}


@pytest.fixture(scope="module")
def dns_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    with nsd(tmp_path_factory.mktemp("nsd"), ZONES) as port:
        yield port


def config(port: int, dead_port: int) -> str:
    server = f'nameservers = ["127.0.0.1:{port}"]'
    return f"""
[envs.good]
base_url = "https://127.0.0.1:9"
[envs.good.email]
domain = "good.test"
spf_domain = "send.good.test"
provider_spf = "amazonses.com"
dkim_selectors = ["resend", "google"]
{server}

[envs.bad]
base_url = "https://127.0.0.1:9"
[envs.bad.email]
domain = "bad.test"
provider_spf = "amazonses.com"
dkim_selectors = ["resend", "google"]
{server}

[envs.multi]
base_url = "https://127.0.0.1:9"
[envs.multi.email]
domain = "multi.test"
provider_spf = "amazonses.com"
dkim_selectors = ["resend"]
{server}

[envs.open]
base_url = "https://127.0.0.1:9"
[envs.open.email]
domain = "open.test"
provider_spf = "_spf.resend.com"
dkim_selectors = ["resend"]
{server}

[envs.sub]
base_url = "https://127.0.0.1:9"
[envs.sub.email]
domain = "news.good.test"
{server}

[envs.multisub]
base_url = "https://127.0.0.1:9"
[envs.multisub.email]
domain = "news.multi.test"
{server}

[envs.down]
base_url = "https://127.0.0.1:9"
timeout_s = 1
[envs.down.email]
domain = "good.test"
dkim_selectors = ["resend"]
nameservers = ["127.0.0.1:{dead_port}"]

[envs.nomail]
base_url = "https://127.0.0.1:9"
"""


@dataclass(frozen=True)
class Suite:
    """The shipped mail suite, run in-process against the environments of :func:`config`."""

    pytester: pytest.Pytester
    config: Path
    dead_port: int

    def __call__(self, env: str, *more: str) -> pytest.RunResult:
        args = ["--target-env", env, "--prodready-config", str(self.config), *more]
        return self.pytester.runpytest(SUITE, *args, "-rs", "-p", "no:cacheprovider")


@pytest.fixture
def run(pytester: pytest.Pytester, dns_port: int) -> Suite:
    dead = free_port()
    path = pytester.path / "prodready.toml"
    path.write_text(config(dns_port, dead))
    return Suite(pytester, path, dead)


def findings(result: pytest.RunResult) -> list[str]:
    """``[SEVERITY] id`` of every finding line, sorted."""
    return sorted(re.findall(r"^- (\[[A-Z]+\] \S+)", result.stdout.str(), re.MULTILINE))


def test_a_correctly_published_domain_passes(run: Suite) -> None:
    result = run("good")
    result.assert_outcomes(passed=3)
    assert findings(result) == []


def test_a_domain_that_publishes_nothing_fails_each_check(run: Suite) -> None:
    result = run("bad")
    result.assert_outcomes(failed=3)
    assert findings(result) == [
        "[HIGH] email.dkim-missing",
        "[HIGH] email.dkim-missing",
        "[HIGH] email.dmarc-missing",
        "[HIGH] email.spf-missing",
    ]
    out = result.stdout.str()
    assert "(evidence: no TXT record at resend._domainkey.bad.test)" in out
    assert "(evidence: no TXT record at _dmarc.bad.test)" in out
    assert (
        "(evidence: no v=spf1 record among the TXT records at bad.test: "
        '"google-site-verification=4f2b9c")'
    ) in out
    assert 'fix: Publish one TXT record at the sending domain: "v=spf1 include:<provider>' in out


def test_two_spf_records_a_revoked_key_and_p_none_are_reported(run: Suite) -> None:
    result = run("multi")
    result.assert_outcomes(failed=3)
    assert findings(result) == [
        "[HIGH] email.dkim-missing",
        "[HIGH] email.spf-multiple",
        "[LOW] email.dmarc-none",
    ]
    out = result.stdout.str()
    spf = re.search(r"\(evidence: 2 records at multi\.test: (.*?)\) →", out)
    assert spf is not None, out
    quoted = {'"v=spf1 include:amazonses.com ~all"', '"v=spf1 include:_spf.google.com ~all"'}
    assert set(spf.group(1).split(" and ")) == quoted  # in the server's order
    assert (
        "the key is revoked (empty p=): "
        'resend._domainkey.multi.test TXT "v=DKIM1; k=rsa; p="' in out
    )
    assert '_dmarc.multi.test TXT "v=DMARC1; p=none; rua=mailto:dmarc@multi.test"' in out


def test_a_pass_all_spf_and_a_dmarc_without_policy_are_reported(run: Suite) -> None:
    result = run("open")
    result.assert_outcomes(passed=1, failed=2)
    assert findings(result) == [
        "[HIGH] email.spf-permissive",
        "[MEDIUM] email.dmarc-invalid",
        "[MEDIUM] email.spf-provider-missing",
    ]
    out = result.stdout.str()
    assert 'no include:_spf.resend.com in open.test TXT "v=spf1 +all"' in out
    assert '+all passes any sender: open.test TXT "v=spf1 +all"' in out
    assert "no p= (valid: none, quarantine, reject)" in out


def test_a_subdomain_is_judged_by_its_parents_dmarc_policy(run: Suite) -> None:
    run("sub", "-k", "dmarc").assert_outcomes(passed=1, deselected=2)
    result = run("multisub", "-k", "dmarc")
    result.assert_outcomes(failed=1, deselected=2)
    assert findings(result) == ["[LOW] email.dmarc-none"]
    assert (
        "(evidence: news.multi.test inherits p=none from "
        '_dmarc.multi.test TXT "v=DMARC1; p=none; rua=mailto:dmarc@multi.test")'
    ) in result.stdout.str()


def test_an_unreachable_dns_server_fails_in_one_line_without_findings(run: Suite) -> None:
    started = time.monotonic()
    result = run("down")
    elapsed = time.monotonic() - started
    result.assert_outcomes(failed=3)
    out = result.stdout.str()
    lines = result.stdout.lines
    for test, name in (
        ("test_spf", "good.test"),
        ("test_dkim", "resend._domainkey.good.test"),
        ("test_dmarc", "_dmarc.good.test"),
    ):
        header = next(i for i, line in enumerate(lines) if re.fullmatch(rf"_+ {test} _+", line))
        # The test's whole failure section is this one line.
        assert lines[header + 1] == (
            f"prodready email: DNS server 127.0.0.1:{run.dead_port} did not answer for {name} "
            "within 1 s; check nameservers in [envs.down.email] and that this machine reaches it"
        ), out
        assert lines[header + 2].startswith(("___", "---")), out
    assert findings(result) == []
    assert "Traceback" not in out
    assert "dns.resolver" not in out
    assert elapsed < 10, "each lookup is bounded by timeout_s"


def test_an_environment_without_a_mail_table_skips_with_the_reason(run: Suite) -> None:
    result = run("nomail")
    result.assert_outcomes(skipped=3)
    result.stdout.fnmatch_lines(["*[[]envs.nomail.email[]] is not declared: no mail domain*"])


# The probe alone: what counts as "no record", and what proves nothing.


def test_no_such_name_and_no_txt_at_a_name_are_no_records(dns_port: int) -> None:
    server = [Nameserver("127.0.0.1", dns_port)]
    assert lookup_txt("_dmarc.bad.test", nameservers=server, timeout=5).records == ()
    assert lookup_txt("www.bad.test", nameservers=server, timeout=5).records == ()  # A, no TXT
    good = lookup_txt("resend._domainkey.good.test", nameservers=server, timeout=5)
    assert good.records == (f"p={LONG_KEY}",), "a record's strings are joined without a space"


def test_a_server_that_refuses_the_domain_proves_nothing(dns_port: int) -> None:
    server = [Nameserver("127.0.0.1", dns_port)]
    with pytest.raises(DnsUnanswered) as excinfo:
        lookup_txt("_dmarc.example.org", nameservers=server, timeout=5, setting="the servers")
    assert str(excinfo.value) == (
        f"prodready email: DNS server 127.0.0.1:{dns_port} could not answer for "
        "_dmarc.example.org (REFUSED); check the servers: the server must resolve the domain "
        "(a recursive resolver, or the domain's authoritative server)"
    )


def test_a_cname_into_another_servers_zone_is_followed(dns_port: int, tmp_path: Path) -> None:
    name = "ses._domainkey.good.test"
    main = Nameserver("127.0.0.1", dns_port)
    with nsd(tmp_path / "provider", PROVIDER) as provider_port:
        provider = Nameserver("127.0.0.1", provider_port)
        # good.test's server answers the CNAME alone; the provider's answers its target.
        followed = lookup_txt(name, nameservers=[main, provider], timeout=5)
        assert followed.records == (f"v=DKIM1; k=rsa; p={KEY}",)
    with pytest.raises(DnsUnanswered) as excinfo:
        lookup_txt(name, nameservers=[main], timeout=5)
    assert "could not answer for key.provider.test (REFUSED)" in str(excinfo.value)


def test_a_dead_first_server_leaves_time_to_ask_the_next(dns_port: int) -> None:
    servers = [Nameserver("127.0.0.1", free_port()), Nameserver("127.0.0.1", dns_port)]
    found = lookup_txt("_dmarc.good.test", nameservers=servers, timeout=2)
    assert found.records == ("v=DMARC1; p=reject; rua=mailto:dmarc@good.test",)
