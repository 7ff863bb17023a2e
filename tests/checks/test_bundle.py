"""Public-asset secrets on plain text: each id both ways."""

from __future__ import annotations

import base64
import json

import pytest

from pytest_prodready.checks.bundle import Asset, evaluate, mask
from tests.checks.bundle_corpus import synthetic_bundle


def jwt(claims: dict[str, str]) -> str:
    def part(data: dict[str, str]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256'})}.{part(claims)}.c2lnbmF0dXJlLWJ5dGVz"


SERVICE_ROLE = jwt({"role": "service_role", "iss": "supabase"})
ANON = jwt({"role": "anon", "iss": "supabase"})


def ids(text: str, *, production: bool = True, **asset: object) -> list[str]:
    return sorted(
        f.id
        for f in evaluate([Asset("https://a.test/app.js", text, **asset)], production=production)
    )  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('const k = "sk_live_51AbCdEfGhIjKlMn";', ["bundle.secret-key"]),
        ('const k = "rk_live_51AbCdEfGhIjKlMn";', ["bundle.secret-key"]),
        ('const k = "whsec_AbCdEfGhIjKlMnOp";', ["bundle.secret-key"]),
        ('const k = "AKIAABCDEFGHIJKLMNOP";', ["bundle.secret-key"]),
        ("-----BEGIN PRIVATE KEY-----\nMIIE", ["bundle.secret-key"]),
        (f'const supabase = "{SERVICE_ROLE}";', ["bundle.secret-key"]),
        ('const k = "pk_test_51AbCdEfGhIjKlMn";', ["bundle.test-mode-key"]),
        # Public by design: live publishable keys, the Supabase anon key, look-alikes.
        ('const k = "pk_live_51AbCdEfGhIjKlMn";', []),
        (f'const supabase = "{ANON}";', []),
        ('const doc = "see sk_live_ in the docs";', []),
        ("const ask_live_stream = 1;", []),
    ],
)
def test_secrets_and_test_keys(text: str, expected: list[str]) -> None:
    assert ids(text) == expected


def test_test_mode_key_is_fine_outside_production() -> None:
    assert ids('const k = "pk_test_51AbCdEfGhIjKlMn";', production=False) == []


def test_public_source_map_both_ways() -> None:
    assert ids("x", source_map_url="https://a.test/app.js.map", source_map_public=True) == [
        "bundle.source-map"
    ]
    assert ids("x", source_map_url="https://a.test/app.js.map", source_map_public=False) == []


def test_evidence_never_repeats_the_key_whole() -> None:
    key = "sk_live_51AbCdEfGhIjKlMnOpQrStUv"
    [finding] = evaluate([Asset("https://a.test/app.js", f'"{key}"')], production=True)
    assert key not in finding.evidence
    assert mask(key) in finding.evidence


def test_same_key_in_two_assets_is_one_finding() -> None:
    text = 'const k = "sk_live_51AbCdEfGhIjKlMn";'
    assets = [Asset("https://a.test/", text), Asset("https://a.test/app.js", text)]
    assert len(evaluate(assets, production=True)) == 1


def test_a_jwt_whose_payload_nests_past_the_stack_is_not_a_crash() -> None:
    import base64

    payload = base64.urlsafe_b64encode(b'{"a":' * 100_000).decode().rstrip("=")
    token = f"eyJhbGciOiJIUzI1NiJ9.eyJ{payload[3:]}.c2lnbmF0dXJlLXZhbHVl"
    assert evaluate([Asset("https://a.test/app.js", f'"{token}"')], production=True) == []


# Format-valid fakes, assembled at test time so this file holds nothing a scanner takes for
# a live key. Each seed vendor both ways: its secret fires and names it, its public key does not.
ALNUM = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
HEX = "0123456789abcdef" * 4
SENTRY_CLAIMS = base64.b64encode(
    json.dumps({"iat": 1700000000, "url": "https://sentry.io", "org": "demo"}).encode()
).decode()
FAKE_SECRETS = {
    "Resend": "re" + "_" + ALNUM[:8] + "_" + ALNUM[10:34],
    "SendGrid": "SG" + "." + ALNUM[:22] + "." + (ALNUM + ALNUM)[:43],
    "Sentry": "sntrys" + "_" + SENTRY_CLAIMS + "_" + (ALNUM + ALNUM)[:43],
    "Supabase": "sb" + "_secret_" + ALNUM[:22] + "_" + ALNUM[22:30],
    "Upstash": "https://x-12345.upstash.io" + '",token:"' + "AX" + ALNUM + ALNUM[:20],
    "Twilio": "TWILIO_AUTH_TOKEN" + ':"' + HEX[:32],
    "Stripe": "sk" + "_test_" + ALNUM[:30],
}
FAKE_EXTRA = {
    # Other shapes of the same vendors.
    "Stripe restricted live": ("Stripe", "rk" + "_live_" + ALNUM[:30]),
    "Stripe restricted test": ("Stripe", "rk" + "_test_" + ALNUM[:30]),
    "Sentry user token": ("Sentry", "sntryu" + "_" + HEX),
    "Upstash Redis URL": ("Upstash", "rediss://default:" + "AX" + ALNUM + "@x-1.upstash.io:6379"),
    "Upstash env name": ("Upstash", "UPSTASH_REDIS_REST_TOKEN" + '="' + "AX" + ALNUM),
    "Upstash url after token": (
        "Upstash",
        "token:" + '"' + "AX" + ALNUM + '",url:"https://x.upstash.io',
    ),
    "Upstash QStash": ("Upstash", "eyJVc2VySUQiOi" + "JhYmMiLCJQYXNzd29yZCI6Inh5eiJ9"),
    "Twilio client": ("Twilio", "twilio(" + '"AC' + HEX[:32] + '","' + HEX[32:64]),
    "Twilio minified client": ("Twilio", "n.default(" + '"AC' + HEX[:32] + '", "' + HEX[32:64]),
    "Twilio options": ("Twilio", '{accountSid:"AC' + HEX[:32] + '",authToken:"' + HEX[32:64]),
    "Twilio public env": ("Twilio", "NEXT_PUBLIC_TWILIO_AUTH_TOKEN" + ':"' + HEX[32:64]),
    "Upstash public env": ("Upstash", "NEXT_PUBLIC_UPSTASH_REDIS_REST_TOKEN" + ':"' + "AX" + ALNUM),
    "Supabase service role": ("Supabase", SERVICE_ROLE),
}
FAKE_PUBLIC = {
    "Stripe publishable live": "pk" + "_live_" + ALNUM[:30],
    "Supabase anon JWT": ANON,
    "Supabase publishable": "sb" + "_publishable_" + ALNUM[:31],
    "Sentry DSN": "https://" + HEX[:32] + "@o123456.ingest.sentry.io/7654321",
    "Sentry DSN (us region)": "https://" + HEX[:32] + "@o1.ingest.us.sentry.io/2",
    "Twilio account SID": "AC" + HEX[:32],
    "Upstash URL alone": "https://x-12345.upstash.io",
    "a 32-hex hash": 'integrity:"' + HEX[:32] + '"',
    "a token that is not Twilio's": 'authToken:"' + HEX[:32] + '"',
    "an identifier that ends in re_": "pre" + "_" + ALNUM[:8] + "_" + ALNUM[10:34],
    "a token that is not Upstash's": 'token:"' + "AX" + ALNUM + '"',
}


def secret_findings(text: str) -> list[str]:
    return [
        f.evidence
        for f in evaluate([Asset("https://a.test/app.js", f'x="{text}";')], production=False)
    ]


@pytest.mark.parametrize("vendor", sorted(FAKE_SECRETS))
def test_each_seed_vendor_secret_fires_masked_and_named(vendor: str) -> None:
    key = FAKE_SECRETS[vendor]
    [evidence] = secret_findings(key)
    assert vendor in evidence
    assert key not in evidence
    assert key.split('"')[-1] not in evidence


@pytest.mark.parametrize("name", sorted(FAKE_EXTRA))
def test_other_key_shapes_of_the_seed_vendors_fire(name: str) -> None:
    vendor, key = FAKE_EXTRA[name]
    [evidence] = secret_findings(key)
    assert vendor in evidence


@pytest.mark.parametrize("name", sorted(FAKE_PUBLIC))
def test_public_by_design_keys_do_not_fire(name: str) -> None:
    assert secret_findings(FAKE_PUBLIC[name]) == []


def test_a_key_two_rules_know_is_one_finding() -> None:
    # The ruleset's Stripe detector and ours both match a long live key.
    key = "sk" + "_live_" + ALNUM[:30]
    [evidence] = secret_findings(key)
    assert "Stripe" in evidence


def test_minified_javascript_without_keys_is_quiet() -> None:
    assert secret_findings(synthetic_bundle(200_000)) == []
