"""A synthetic minified bundle with no key in it: the false-positive corpus of the secret rules.

Shared by ``tests/checks/test_bundle.py`` and ``benchmarks/bundle_secrets.py``. Besides
minified-looking code (identifiers, numbers, content hashes, base64 data URIs, URLs, upper-case
constants, JWT-shaped strings) it holds the public-by-design keys of the seed apps' vendors,
assembled here so the repository holds no string that looks like a live key.
"""

from __future__ import annotations

import base64
import json
import random
import string


def _b64(data: dict[str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


_ANON = f"{_b64({'alg': 'HS256'})}.{_b64({'role': 'anon', 'iss': 'supabase'})}.c2lnbmF0dXJl"
_PUBLIC = (
    "pk" + "_live_51AbCdEfGhIjKlMnOpQrStUvWxYz",
    "sb" + "_publishable_AbCdEfGhIjKlMnOpQrStUvWxYz01",
    "https://" + "0123456789abcdef" * 2 + "@o123456.ingest.sentry.io/7654321",
    _ANON,
    "AC" + "0123456789abcdef" * 2,  # a Twilio account SID: an identifier, not a credential
    "https://eu2-fancy-cat-12345.upstash.io",
)

_WORDS = (
    "function", "return", "const", "let", "var", "this", "new", "typeof", "undefined", "null",
    "useState", "useEffect", "createElement", "props", "children", "className", "onClick",
    "Promise", "resolve", "reject", "then", "catch", "Object", "assign", "prototype", "length",
    "AbortController", "fetch", "headers", "Authorization", "Bearer", "token", "apiKey", "key",
    "secret", "public", "supabaseUrl", "anonKey", "stripe", "sentry", "dsn", "integrity",
)  # fmt: skip


def _ident(rng: random.Random) -> str:
    return rng.choice(string.ascii_letters + "$_") + "".join(
        rng.choices(string.ascii_letters + string.digits, k=rng.randint(0, 3))
    )


def _chunk(rng: random.Random) -> str:
    pick = rng.random()
    if pick < 0.35:
        return f"{_ident(rng)}.{rng.choice(_WORDS)}({_ident(rng)},{rng.randint(0, 99999)})"
    if pick < 0.55:
        return f'{rng.choice(_WORDS)}:"{rng.choice(_WORDS)}-{_ident(rng)}"'
    if pick < 0.65:
        return f'"{rng.getrandbits(128):032x}"'  # content hashes, ids
    if pick < 0.72:
        blob = base64.b64encode(rng.randbytes(rng.randint(30, 300))).decode()
        return f'"data:image/png;base64,{blob}"'
    if pick < 0.80:
        return f'"https://cdn.example.com/{_ident(rng)}/{rng.getrandbits(64):x}.js"'
    if pick < 0.86:
        return "".join(rng.choices(string.ascii_uppercase + "_", k=rng.randint(8, 30)))
    if pick < 0.90:
        part = base64.urlsafe_b64encode(rng.randbytes(40)).decode().rstrip("=")
        return f'"eyJhbGciOiJIUzI1NiJ9.eyJ{part}.{part[:20]}"'
    if pick < 0.95:
        return "".join(rng.choices(string.ascii_lowercase + string.digits, k=rng.randint(20, 60)))
    if pick < 0.99:
        return f"{rng.randint(10**7, 10**10)}:{_ident(rng)}"
    return f'{rng.choice(_WORDS)}:"{rng.choice(_PUBLIC)}"'


def synthetic_bundle(size: int, seed: int = 17) -> str:
    """About ``size`` characters of minified-looking JavaScript on one line, with no key."""
    rng = random.Random(seed)
    parts: list[str] = []
    total = 0
    while total < size:
        chunk = _chunk(rng)
        parts.append(chunk)
        total += len(chunk) + 1
    return ";".join(parts)
