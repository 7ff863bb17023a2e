"""``[envs.X.email]``: the mail domain's settings in, one-paragraph errors for bad values."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pytest_prodready.config import load_config
from pytest_prodready.config.email import EmailSpec, Nameserver
from pytest_prodready.core.catalogue import catalogue


def email(tmp_path: Path, body: str) -> EmailSpec | None:
    path = tmp_path / "prodready.toml"
    text = '[envs.staging]\nbase_url = "https://example.com"\n' + textwrap.dedent(body)
    path.write_text(text, encoding="utf-8")
    cfg = load_config(path, "test", known_ids=catalogue())
    assert cfg is not None
    return cfg.envs["staging"].email


def usage_error(tmp_path: Path, body: str) -> str:
    with pytest.raises(pytest.UsageError) as excinfo:
        email(tmp_path, body)
    message = str(excinfo.value)
    assert "\n" not in message, "errors are one paragraph"
    assert str(tmp_path / "prodready.toml") in message, "errors name the file"
    assert "[envs.staging.email]" in message, "errors name the table"
    return message


def test_no_table_means_no_mail_checks(tmp_path: Path) -> None:
    assert email(tmp_path, "") is None


def test_a_full_table_parses(tmp_path: Path) -> None:
    spec = email(
        tmp_path,
        """
        [envs.staging.email]
        domain = "Example.COM."
        spf_domain = "send.example.com"
        dkim_selectors = ["resend", "google", "resend"]
        provider_spf = ["include:amazonses.com", "_spf.google.com"]
        dmarc_policy_min = "reject"
        nameservers = ["1.1.1.1", "127.0.0.1:5353", "[::1]:5300", "2606:4700:4700::1111"]
        """,
    )
    assert spec == EmailSpec(
        domain="example.com",
        spf_domain="send.example.com",
        dkim_selectors=("resend", "google"),
        provider_spf=("amazonses.com", "_spf.google.com"),
        dmarc_policy_min="reject",
        nameservers=(
            Nameserver("1.1.1.1"),
            Nameserver("127.0.0.1", 5353),
            Nameserver("::1", 5300),
            Nameserver("2606:4700:4700::1111"),
        ),
    )
    assert [str(n) for n in spec.nameservers] == [
        "1.1.1.1:53",
        "127.0.0.1:5353",
        "[::1]:5300",
        "[2606:4700:4700::1111]:53",
    ]


def test_defaults_spf_at_the_domain_and_the_system_resolver(tmp_path: Path) -> None:
    spec = email(tmp_path, '[envs.staging.email]\ndomain = "bücher.example"\n')
    assert spec == EmailSpec(domain="xn--bcher-kva.example", spf_domain="xn--bcher-kva.example")
    assert spec.provider_spf == ()
    assert spec.nameservers == ()
    assert spec.dmarc_policy_min == "quarantine"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            'provider_spf = "amazonses.com"',
            "[envs.staging.email] key 'domain' is missing. Add domain = \"...\"",
        ),
        (
            'domain = "https://example.com"',
            "key 'domain' is 'https://example.com', which is not a bare domain name. "
            'Write it like "example.com".',
        ),
        (
            'domain = "exa mple.com"',
            "key 'domain' is 'exa mple.com', which is not a valid DNS name. Use letters, digits",
        ),
        (
            'domain = "example.com"\ndkim_selectors = "resend"',
            "key 'dkim_selectors' must be a list of strings, got 'resend'. Use [\"a\", \"b\"].",
        ),
        (
            'domain = "example.com"\ndkim_selectors = ["resend._domainkey"]',
            "key 'dkim_selectors' has 'resend._domainkey', a record name rather than a selector. "
            'Write only the selector (e.g. "resend"): the check asks for '
            "<selector>._domainkey.example.com itself.",
        ),
        (
            'domain = "example.com"\nprovider_spf = 5',
            "key 'provider_spf' must be a list of strings, got 5.",
        ),
        (
            'domain = "example.com"\ndmarc_policy_min = "strict"',
            "key 'dmarc_policy_min' is 'strict'. Valid values: none, quarantine, reject.",
        ),
        (
            'domain = "example.com"\nnameservers = ["dns.google"]',
            "key 'nameservers' has 'dns.google', which is not an IP address with an optional "
            'port. Write each server as "IP" or "IP:PORT"',
        ),
        (
            'domain = "example.com"\nnameservers = ["127.0.0.1:99999"]',
            "key 'nameservers' has '127.0.0.1:99999', which is not an IP address",
        ),
        (
            'domain = "example.com"\nnameservers = ["[::1]x"]',
            "key 'nameservers' has '[::1]x', which is not an IP address",
        ),
        (
            'domain = "example.com"\ndkim_selector = ["resend"]',
            "has unknown key 'dkim_selector'. Did you mean 'dkim_selectors'?",
        ),
    ],
)
def test_bad_values_are_one_paragraph_naming_the_fix(
    tmp_path: Path, body: str, expected: str
) -> None:
    assert expected in usage_error(tmp_path, f"[envs.staging.email]\n{body}\n")
