"""Secrets echoed encoded: the sweep's spellings on plain data, and a target on 127.0.0.1 that
echoes the credentials base64- and hex-encoded, whose every report must mask them."""

from __future__ import annotations

import base64
import json
import secrets
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from pytest_prodready.core.secrets import Redactor
from tests.faults.secret_scan import (
    BINARY,
    Spelling,
    base64_stable,
    occurrences,
    texts,
    variants,
)
from tests.servers import ThreadedServer, serve

LONG = "sweep-token-" + "Qv7?>>~Lp9Wx4"
SHORT = "pw?>>~x9Q!"


def found(text: str, value: str) -> bool:
    return bool(occurrences([("text", text)], {"V": value})[1])


@pytest.mark.parametrize("value", [LONG, SHORT], ids=["long", "short"])
@pytest.mark.parametrize("offset", range(6))
@pytest.mark.parametrize("encode", [base64.b64encode, base64.urlsafe_b64encode])
def test_sweep_finds_base64_at_any_offset(
    value: str, offset: int, encode: Callable[[bytes], bytes]
) -> None:
    blob = encode(b"headers: "[:offset] + value.encode() + b"xyz")
    assert found(f"debug {blob.decode()} end", value)


def test_base64_stable_keeps_exactly_the_characters_the_value_decides() -> None:
    raw = SHORT.encode()
    for before in range(3):
        first, end = -(-8 * before // 6), 8 * (before + len(raw)) // 6
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            assert encode(bytes(before) + raw).decode()[first:end] in base64_stable(raw)
    assert len(base64_stable(raw)) == 6  # "?>>~" differs between the two alphabets


@pytest.mark.parametrize("value", [LONG, SHORT], ids=["long", "short"])
def test_sweep_finds_hex_and_bearer_base64(value: str) -> None:
    hexed = value.encode().hex()
    assert found(hexed, value)
    assert found(hexed.upper(), value)
    assert found(base64.b64encode(f"Bearer {value}".encode()).decode(), value)
    assert found(base64.urlsafe_b64encode(f"Bearer {value}".encode()).decode(), value)


def test_sweep_finds_long_values_in_any_case_and_short_ones_as_written() -> None:
    assert found(f"echo {LONG.upper()}", LONG)
    assert Spelling(LONG.lower(), caseless=True) in variants(LONG)
    assert not found(SHORT.upper(), SHORT)
    assert all(len(spelling.text) >= 8 for spelling in variants("abc123"))


@pytest.mark.parametrize("value", [LONG, SHORT], ids=["long", "short"])
def test_the_redactor_masks_every_spelling_the_sweep_knows(value: str) -> None:
    # Derived independently (secret_scan encodes between all-zero and all-one neighbours):
    # nothing the sweep would flag survives a scrub.
    redactor = Redactor()
    redactor.register("v", value)
    for spelling in variants(value):
        text = spelling.text.upper() if spelling.caseless else spelling.text
        assert not found(redactor.scrub(f"<{text}>"), value), spelling


def test_sweep_reads_screenshots_videos_and_trace_frames(tmp_path: Path) -> None:
    value = LONG
    noise = secrets.token_bytes(64) + b"\xe2\x82"  # and an unfinished UTF-8 sequence
    # A PNG text chunk and a stray buffer in a video: bytes a scan can see. (A value drawn
    # on a page is pixels; no byte scan sees that: see secret_scan.BINARY.)
    (tmp_path / "test-failed-1.png").write_bytes(
        b"\x89PNG\r\n\x1a\n" + noise + b"tEXtComment\x00" + value.encode() + noise
    )
    (tmp_path / "video.webm").write_bytes(b"\x1aE\xdf\xa3" + noise + value.encode().hex().encode())
    with zipfile.ZipFile(tmp_path / "trace.zip", "w") as trace:
        trace.writestr("screencast/page-1.jpeg", b"\xff\xd8" + noise + value.encode())
    scanned, hits = occurrences(texts(tmp_path), {"TOKEN": value})
    assert scanned == 3
    assert set(hits) == {
        "test-failed-1.png (TOKEN)",
        "video.webm (TOKEN)",
        "trace.zip!screencast/page-1.jpeg (TOKEN)",
    }
    assert {".png", ".webm", ".jpeg"} <= BINARY


async def _debug_echo(request: Request) -> PlainTextResponse:
    """What a hostile debug endpoint does: echoes the credentials encoded, on a 500 page."""
    authorization = request.headers.get("authorization", "")
    token = authorization.removeprefix("Bearer ").encode()
    dump = json.dumps({"path": request.url.path, "headers": dict(request.headers)})
    body = "\n".join(
        [
            f"authorization (base64): {base64.b64encode(authorization.encode()).decode()}",
            f"authorization (base64url): {base64.urlsafe_b64encode(token).decode()}",
            f"token (hex): {token.hex()}",
            f"TOKEN (HEX): {token.hex().upper()}",
            f"token (upper): {token.decode().upper()}",
            f"request (base64): {base64.b64encode(dump.encode()).decode()}",
        ]
    )
    return PlainTextResponse(body, status_code=500)


@pytest.fixture
def echo_server() -> Iterator[ThreadedServer]:
    with serve(Starlette(routes=[Route("/debug/echo", _debug_echo)])) as server:
        yield server


ECHO_TESTS = """
from pytest_prodready import Finding, Severity


def echo(http, secret):
    token = secret("api_token").reveal()
    return http.get("/debug/echo", headers={"Authorization": f"Bearer {token}"})


def test_echo_in_a_finding(http, secret, assert_no_findings):
    response = echo(http, secret)
    assert_no_findings([
        Finding(
            id="leak.debug-echo",
            severity=Severity.HIGH,
            title="Debug endpoint echoes credentials",
            evidence=response.text,
            remediation="Turn debug off.",
            url=str(response.url),
        )
    ])


def test_echo_in_an_assertion(http, secret):
    # pytest quotes, diffs and shortens the body: pieces of each spelling reach the report.
    assert echo(http, secret).text == "a quiet error page"
"""


def test_a_target_echoing_encoded_credentials_leaves_no_spelling_in_any_report(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, echo_server: ThreadedServer
) -> None:
    value = "enc-" + secrets.token_urlsafe(30)
    monkeypatch.setenv("ENC_API_TOKEN", value)
    (pytester.path / "prodready.toml").write_text(
        f'[envs.qa]\nbase_url = "{echo_server.url}"\nsecrets = {{ api_token = "ENC_API_TOKEN" }}\n'
    )
    pytester.makepyfile(ECHO_TESTS)
    result = pytester.runpytest(
        "--target-env", "qa", "--junitxml=out.xml", "--prodready-json=summary.json"
    )
    result.assert_outcomes(failed=2)
    reports = {
        "terminal": result.stdout.str() + result.stderr.str(),
        "junit": (pytester.path / "out.xml").read_text(),
        "summary": (pytester.path / "summary.json").read_text(),
    }
    # The target did echo every spelling, and the reports quote it, masked.
    evidence = json.loads(reports["summary"])["findings"][0]["evidence"]
    for label in ("authorization (base64)", "token (hex)", "TOKEN (HEX)", "token (upper)"):
        assert f"{label}: [masked:api_token]" in evidence
    assert "authorization (base64): [masked:api_token]" in reports["terminal"]
    assert "token (hex): [masked:api_token]" in reports["junit"]

    assert occurrences(reports.items(), {"ENC_API_TOKEN": value}) == (3, {})
    # Nor a piece long enough to be sure of (15 characters: see core/secrets.py) of what the
    # secret alone decides: the value, its hex, its base64 at each alignment.
    raw = value.encode()
    own = {value.lower(), raw.hex(), *(form.lower() for form in base64_stable(raw))}
    pieces = {form[i : i + 15] for form in own for i in range(len(form) - 14)}
    for where, text in reports.items():
        assert not [p for p in pieces if p in text.lower()], f"a piece of the secret in {where}"
