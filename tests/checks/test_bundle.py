"""Public-asset secrets on plain text: each id both ways."""

from __future__ import annotations

import base64
import json

import pytest

from pytest_prodready.checks.bundle import Asset, evaluate, mask


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
