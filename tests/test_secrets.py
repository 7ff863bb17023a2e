"""Secrets and the redactor, on plain data."""

from __future__ import annotations

import base64
import json
import pickle
from collections.abc import Callable
from pathlib import Path

import pytest

from pytest_prodready.core.evidence import clip
from pytest_prodready.core.secrets import MASK, Redactor, Secret, SecretStore, load_dotenv

VALUE = "s3cr3t/va+lue&more"
# Long (caseless, pieces masked) and short; "?>>~" puts "+" and "/" (std) or "-" and "_"
# (URL-safe) into their base64 at some alignments.
LONG = "sk_live_?>>~Ab3dEf6hIj9kLm2nOp5q"
SHORT = "pw?>>~x9Q!"
Encode = Callable[[bytes], bytes]
ALPHABETS = pytest.mark.parametrize(
    "encode", [base64.b64encode, base64.urlsafe_b64encode], ids=["std", "urlsafe"]
)


def redactor(value: str, name: str = "tok") -> Redactor:
    r = Redactor()
    r.register(name, value)
    return r


def test_secret_is_masked_everywhere_but_reveal() -> None:
    s = Secret("api_token", "API_TOKEN", VALUE)
    assert str(s) == MASK
    assert VALUE not in repr(s)
    assert VALUE not in f"{s} {s!r} {s:>20}"
    assert s.reveal() == VALUE
    assert s.value == VALUE


def test_secret_refuses_pickle() -> None:
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(Secret("a", "A", VALUE))


def test_redactor_scrubs_raw_and_encoded_forms() -> None:
    r = Redactor()
    r.register("api_token", VALUE)
    text = f"raw {VALUE} url {VALUE.replace('/', '%2F').replace('+', '%2B').replace('&', '%26')}"
    scrubbed = r.scrub(text)
    assert VALUE not in scrubbed
    assert "%2F" not in scrubbed
    assert scrubbed.count("[masked:api_token]") == 2
    assert r.leaks(text) == ["api_token"]
    assert r.leaks(scrubbed) == []


def test_redactor_masks_longest_value_first() -> None:
    r = Redactor()
    r.register("short", "abcdef")
    r.register("long", "abcdef-ghijkl")
    assert r.scrub("x abcdef-ghijkl y abcdef") == "x [masked:long] y [masked:short]"


def test_empty_redactor_is_falsy_and_passes_text_through() -> None:
    r = Redactor()
    r.register("empty", "")
    assert not r
    assert r.scrub("anything") == "anything"


def test_store_resolves_from_sources_in_order() -> None:
    r = Redactor()
    store = SecretStore(
        "staging",
        {"token": "TOKEN", "password": "PASSWORD", "gone": "GONE"},
        [{"TOKEN": "from-env", "PASSWORD": ""}, {"TOKEN": "from-dotenv", "PASSWORD": "pw-dotenv"}],
        r,
    )
    assert store.resolved == ["token", "password"]
    assert store.missing == ["gone"]
    assert store.get("token").reveal() == "from-env"
    assert store.get("password").reveal() == "pw-dotenv"
    assert r.scrub("from-env pw-dotenv") == "[masked:token] [masked:password]"


def test_store_missing_secret_fails_with_names() -> None:
    store = SecretStore("staging", {"token": "STAGING_TOKEN"}, [{}], Redactor())
    with pytest.raises(pytest.fail.Exception) as excinfo:
        store.get("token")
    message = str(excinfo.value)
    assert "'token'" in message
    assert "STAGING_TOKEN" in message
    assert "'staging'" in message


def test_store_undeclared_secret_lists_declared() -> None:
    store = SecretStore("staging", {"token": "T"}, [{"T": "x" * 10}], Redactor())
    with pytest.raises(pytest.fail.Exception, match="declared: token"):
        store.get("tokn")


def test_dotenv_file(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text('# comment\nexport API_TOKEN="quoted value"\nEMPTY=\n')
    assert load_dotenv(path) == {"API_TOKEN": "quoted value", "EMPTY": ""}
    with pytest.raises(pytest.UsageError, match="does not exist"):
        load_dotenv(tmp_path / "missing.env")


def test_redactor_masks_pieces_of_long_secrets() -> None:
    redactor = Redactor()
    value = "sk_live_" + "Ab3dEf6hIj9kLm2nOp5qRs8tUv"
    redactor.register("stripe", value)
    # pytest's shortened repr of a long string keeps its head and tail.
    shortened = f"assert '{value[:20]}...{value[-14:]}' == 'x'"
    assert redactor.scrub(shortened) == "assert '[masked:stripe]...[masked:stripe]' == 'x'"
    assert redactor.scrub("https://example.com/ and ordinary words") == (
        "https://example.com/ and ordinary words"
    )
    short = Redactor()
    short.register("pin", "hunter2-hunter2")  # under 20 characters: whole values only
    assert short.scrub("hunter2-hunt") == "hunter2-hunt"


def test_a_shortened_secret_in_an_assertion_leaves_no_piece_in_any_report(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    value = "tok-" + "Qv7Zr2Lp9Wx4" * 12
    monkeypatch.setenv("QA_LONG_TOKEN", value)
    (pytester.path / "prodready.toml").write_text(
        '[envs.qa]\nbase_url = "https://qa.test"\nsecrets = { token = "QA_LONG_TOKEN" }\n'
    )
    pytester.makepyfile(
        "def test_t(secret):\n    assert secret('token').reveal() == 'something else'\n"
    )
    result = pytester.runpytest(
        "--target-env", "qa", "--junitxml=out.xml", "--html=out.html", "--self-contained-html"
    )
    result.assert_outcomes(failed=1)
    texts = {
        "terminal": result.stdout.str() + result.stderr.str(),
        "junit": (pytester.path / "out.xml").read_text(),
        "html": (pytester.path / "out.html").read_text(),
    }
    assert "[masked:token]" in texts["terminal"]
    pieces = {value[i : i + 12] for i in range(len(value) - 11)}
    for where, text in texts.items():
        assert not [p for p in pieces if p in text], f"a piece of the secret is in the {where}"


@ALPHABETS
@pytest.mark.parametrize("value", [LONG, SHORT], ids=["long", "short"])
@pytest.mark.parametrize("offset", range(6))
def test_base64_of_a_secret_anywhere_in_a_blob_is_masked(
    value: str, offset: int, encode: Encode
) -> None:
    # Other bytes before and after it: a debug dump, an encoded JSON document. The byte after
    # it ("x", 0x78) has non-zero top bits, so the character after the secret's is never the
    # one a blob ending with the secret would have (that longer form would be masked too).
    blob = encode(b'{"h": "Bearer '[:offset] + value.encode() + b'xyz", "n": 1}').decode()
    scrubbed = redactor(value).scrub(f"debug: {blob} end")
    # Exactly the characters all of whose 6 bits are the secret's: from ceil(8*offset/6) to
    # floor(8*(offset+n)/6); the edge characters mix in the neighbours' bits.
    first, end = -(-8 * offset // 6), 8 * (offset + len(value)) // 6
    assert scrubbed == f"debug: {blob[:first]}[masked:tok]{blob[end:]} end"


@pytest.mark.parametrize("scheme", ["Bearer ", "Basic ", "token ", "Token "])
@ALPHABETS
def test_base64_of_an_authorization_header_value_is_masked_whole(
    scheme: str, encode: Encode
) -> None:
    header = encode(f"{scheme}{LONG}".encode()).decode()
    padding = "=" * header.count("=")  # says only the length modulo 3
    assert redactor(LONG).scrub(f"auth={header};") == f"auth=[masked:tok]{padding};"


@pytest.mark.parametrize("value", [LONG, SHORT], ids=["long", "short"])
def test_base64_of_a_request_dump_holding_the_header_is_masked(value: str) -> None:
    dump = json.dumps({"method": "GET", "headers": {"authorization": f"Bearer {value}"}})
    blob = base64.b64encode(dump.encode()).decode()
    at = dump.encode().index(value.encode())  # the secret sits at any offset in the blob
    first, end = -(-8 * at // 6), 8 * (at + len(value)) // 6
    head, mask, tail = redactor(value).scrub(blob).partition("[masked:tok]")
    assert mask
    # One mask over at least the secret's own characters (more when "Bearer <value>" falls
    # on a 3-byte boundary: its base64 is masked whole); the rest is the blob's, as it was.
    assert blob.startswith(head)
    assert blob.endswith(tail)
    assert len(head) <= first
    assert len(blob) - len(tail) >= end


@pytest.mark.parametrize("value", [LONG, SHORT], ids=["long", "short"])
def test_hex_of_a_secret_is_masked_in_either_case(value: str) -> None:
    hexed = value.encode().hex()
    text = f"lower {hexed} upper {hexed.upper()} in 0x{hexed}."
    assert redactor(value).scrub(text) == (
        "lower [masked:tok] upper [masked:tok] in 0x[masked:tok]."
    )


def test_a_long_secret_is_masked_in_any_case() -> None:
    r = redactor(LONG)
    text = f"echo: {LONG.upper()} {LONG.lower()} {LONG.swapcase()}"
    assert r.scrub(text) == "echo: [masked:tok] [masked:tok] [masked:tok]"
    quoted = "sk_live_%3f%3e%3e~Ab3dEf6hIj9kLm2nOp5q"  # a server's lower-case escapes
    assert r.scrub(f"/cb?t={quoted}") == "/cb?t=[masked:tok]"
    assert r.leaks(LONG.upper()) == ["tok"]
    # Characters that lower-case to two ("İ") keep the text's offsets for the pieces.
    assert r.scrub(f"İ {LONG.upper()[:18]}") == "İ [masked:tok]"


def test_a_short_secret_is_masked_only_as_written_and_encoded() -> None:
    # Whatever its case, "Admin1" would mask the word "ADMIN1" in any page title.
    r = redactor("hunter2")
    text = "HUNTER2 Hunter2 hunter hunted"
    assert r.scrub(text) == text
    assert r.scrub("pw=hunter2") == "pw=[masked:tok]"


def test_short_secrets_encodings_mask_no_unrelated_text() -> None:
    r = Redactor()
    r.register("pin", "hunter2")
    r.register("tiny", "abc")
    r.register("five", "ab3de")
    unrelated = [
        base64.b64encode(b"hunter").decode(),  # "aHVudGVy": a prefix word's, not the secret's
        base64.b64encode(b"xhunt").decode(),
        base64.b64encode(b"abcdef").decode(),  # holds "YWJj", base64 of "abc"
        b"abcdef".hex(),  # holds "616263", hex of "abc"
        # Another token that starts like the 5-character secret: base64("Bearer ab3de")
        # is its first 16 characters, too short a secret to mask by.
        base64.b64encode(b"Bearer ab3deOTHER-TOKEN-xyz").decode(),
        "the quick brown fox, 200 OK, content-type: application/json",
    ]
    for text in unrelated:
        assert r.scrub(text) == text
    assert r.scrub(base64.b64encode(b"hunter2").decode()) == "[masked:pin]=="


def test_pieces_of_a_long_secrets_encodings_are_masked() -> None:
    # Evidence is clipped at 120 characters and pytest shortens long strings: what is left
    # of a hex or base64 spelling is still most of the secret.
    r = redactor(LONG)
    hexed = LONG.encode().hex()
    assert r.scrub(clip(f"debug dump {hexed}", 60)) == "debug dump [masked:tok]…"
    assert r.scrub(f"'{hexed.upper()[:30]}...{hexed[-20:]}'") == "'[masked:tok]...[masked:tok]'"
    blob = base64.b64encode(b"Bearer " + LONG.encode()).decode()
    # "QmVhcmVyIH": base64 of "Bearer " and 2 bits of the secret's first byte.
    assert r.scrub(f"auth {blob[:30]}...") == "auth QmVhcmVyIH[masked:tok]..."


def test_scrub_masks_thousands_of_spellings_in_a_long_text() -> None:
    # Every spelling is computed at register; a scrub is a fixed number of linear passes and
    # one join, however many hits (no timing asserted: the figures are for a benchmark).
    r = Redactor()
    values = {f"s{i}": f"{LONG}-{i}" for i in range(5)} | {"pin": SHORT}
    for name, value in values.items():
        r.register(name, value)
    spellings = [
        spelling
        for value in values.values()
        for spelling in (
            value,
            value.upper() if len(value) >= 20 else f"({value})",
            value.encode().hex(),
            base64.b64encode(value.encode()).decode(),
            base64.urlsafe_b64encode(b"Bearer " + value.encode()).decode(),
        )
    ]
    text = "\n".join(f"line {i}: {spellings[i % len(spellings)]} ok" for i in range(3000))
    scrubbed = r.scrub(text)
    assert scrubbed.count("[masked:") == 3000
    assert r.leaks(scrubbed) == []
