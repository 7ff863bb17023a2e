"""The Next.js field target's build-time configuration: ``NEXT_PUBLIC_*`` values, which
``next build`` inlines into the client chunks, for its two builds.

The production build (``.next``) gets what a correct production deploy ships: public keys
only (Stripe live publishable key, Supabase URL, anon and publishable keys of the declared
project, a Sentry DSN, the production API). The leaky build (``.next-leaky``) gets the
mistakes: every seed vendor's server key, Stripe in test mode, staging's Supabase project,
Sentry's development environment, a staging API, and a catalog that blows the weight budgets.
Every key is format-valid and obviously fake (FAKE, fake, deadbeef).
"""

from __future__ import annotations

import base64
import json
import random

__all__ = [
    "API_ORIGIN",
    "LEAKED_VENDORS",
    "LEAKY",
    "PRODUCTION",
    "SUPABASE_REF",
    "catalog_module",
]

SUPABASE_REF = "fieldfakeprojectref0"
STAGING_REF = "stagingfakeprojref00"
API_ORIGIN = "https://api.field.example"


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _anon_key(ref: str) -> str:
    claims = {"iss": "supabase", "ref": ref, "role": "anon", "iat": 1700000000}
    return f"{_b64({'alg': 'HS256', 'typ': 'JWT'})}.{_b64(claims)}.RkFLRS1zaWduYXR1cmUtZmFrZQ"


PRODUCTION: dict[str, str] = {
    "NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY": "pk_live_FAKEfake0000FAKEfake0000FAKE",
    "NEXT_PUBLIC_SUPABASE_URL": f"https://{SUPABASE_REF}.supabase.co",
    "NEXT_PUBLIC_SUPABASE_ANON_KEY": _anon_key(SUPABASE_REF),
    "NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY": "sb_publishable_FAKEfake0000FAKEfake_0000",
    "NEXT_PUBLIC_SENTRY_DSN": "https://deadbeefdeadbeefdeadbeefdeadbeef@o0.ingest.sentry.io/0",
    "NEXT_PUBLIC_SENTRY_ENVIRONMENT": "production",
    "NEXT_PUBLIC_API_URL": API_ORIGIN,
}

# Each seed vendor's server key, and the vendor name bundle.secret-key's evidence gives it.
_SERVER_KEYS: dict[str, tuple[str, str]] = {
    "NEXT_PUBLIC_STRIPE_SECRET_KEY": ("Stripe secret key", "sk_test_FAKEfake0000FAKEfake0000FAKE"),
    "NEXT_PUBLIC_STRIPE_RESTRICTED_KEY": (
        "Stripe secret key",
        "rk_test_FAKEfake0000FAKEfake0000FAKE",
    ),
    "NEXT_PUBLIC_RESEND_API_KEY": ("Resend API key", "re_FAKEfake_FAKEfakeFAKEfakeFAKEfake"),
    "NEXT_PUBLIC_SENDGRID_API_KEY": (
        "SendGrid API Key",
        "SG.FAKEfakeFAKEfake000000." + "FAKEfake" * 5 + "000",
    ),
    "NEXT_PUBLIC_SENTRY_AUTH_TOKEN": (
        "Sentry auth token",
        "sntrys_" + _b64({"iat": 1700000000, "url": "https://sentry.io", "org": "fake-org"}),
    ),
    "NEXT_PUBLIC_SUPABASE_SECRET_KEY": (
        "Supabase secret key",
        "sb_secret_FAKEfake0000FAKEfake0000",
    ),
    "NEXT_PUBLIC_UPSTASH_REDIS_REST_TOKEN": ("Upstash token", "AXfakeFAKEfakeFAKEfakeFAKEfake0000"),
    "NEXT_PUBLIC_TWILIO_AUTH_TOKEN": ("Twilio auth token", "deadbeef" * 4),
}
LEAKED_VENDORS = frozenset(kind for kind, _ in _SERVER_KEYS.values())

LEAKY: dict[str, str] = {
    **PRODUCTION,
    "NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY": "pk_test_FAKEfake0000FAKEfake0000FAKE",
    "NEXT_PUBLIC_SUPABASE_URL": f"https://{STAGING_REF}.supabase.co",
    "NEXT_PUBLIC_SUPABASE_ANON_KEY": _anon_key(STAGING_REF),
    "NEXT_PUBLIC_SENTRY_ENVIRONMENT": "development",
    "NEXT_PUBLIC_API_URL": "https://staging-api.field.example",
    "NEXT_PUBLIC_UPSTASH_REDIS_REST_URL": "https://fake-field-00000.upstash.io",
    **{name: value for name, (_, value) in _SERVER_KEYS.items()},
}

CATALOG_PRODUCTS = 14_000


def catalog_module() -> str:
    """The leaky build's catalog: ~1.6 MB of product records that compress poorly (seeded,
    so the build's inputs, and its stamp, stay the same)."""
    rng = random.Random(17)
    rows = [
        {"id": i, "sku": base64.b64encode(rng.randbytes(72)).decode()}
        for i in range(CATALOG_PRODUCTS)
    ]
    return "const catalog = " + json.dumps(rows) + "\n\nexport default catalog\n"
