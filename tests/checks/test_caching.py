"""Caching and compression findings on plain responses: every id both ways, soft cases."""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from typing import Any

import httpx
import pytest

from pytest_prodready.checks import caching
from pytest_prodready.checks.grammar import parse_cache_control
from pytest_prodready.core.findings import CATALOGUE, Finding, Rule

IDS = {"cache.sensitive-cacheable", "cache.static-not-immutable", "compression.missing"}
HTML = "text/html; charset=utf-8"
BIG = b"<p>" + b"x" * 4096 + b"</p>"
GZIP = "gzip, deflate, br"


def respond(
    headers: Sequence[tuple[str, str]] = (),
    *,
    path: str = "/",
    content: bytes = b"",
    status: int = 200,
    method: str = "GET",
    request_headers: Sequence[tuple[str, str]] = (),
) -> httpx.Response:
    request = httpx.Request(method, f"https://app.test{path}", headers=list(request_headers))
    return httpx.Response(status, headers=list(headers), content=content, request=request)


def page(cache_control: str | None, *, content_type: str = HTML, cookie: bool = True) -> Any:
    headers = [("content-type", content_type)]
    if cache_control is not None:
        headers.append(("cache-control", cache_control))
    if cookie:
        headers.append(("set-cookie", "sessionid=abc; Secure; HttpOnly; SameSite=Lax"))
    return respond(headers)


def asset(path: str, cache_control: str | None, status: int = 200) -> httpx.Response:
    headers = [("content-type", "text/css")]
    if cache_control is not None:
        headers.append(("cache-control", cache_control))
    return respond(headers, path=path, status=status)


def text(
    content_type: str = HTML,
    *,
    accept: str | None = GZIP,
    encoding: str | None = None,
    content: bytes = BIG,
    status: int = 200,
    method: str = "GET",
) -> httpx.Response:
    headers = [("content-type", content_type), ("cache-control", "no-store")]
    if encoding is not None:
        headers.append(("content-encoding", encoding))
        content = gzip.compress(content) if encoding == "gzip" else content
    request_headers = [("accept-encoding", accept)] if accept is not None else []
    return respond(
        headers, content=content, status=status, method=method, request_headers=request_headers
    )


def ids(findings: list[Finding]) -> set[str]:
    return {f.id for f in findings}


def test_every_id_is_declared_in_the_catalogue() -> None:
    declared = {v.id: v for v in vars(caching).values() if isinstance(v, Rule)}
    assert set(declared) == IDS
    assert all(CATALOGUE[id_] is declared_rule for id_, declared_rule in declared.items())


SENSITIVE = "cache.sensitive-cacheable"
STATIC = "cache.static-not-immutable"
COMPRESSION = "compression.missing"

# (response, evaluate options, id, expected present)
CASES: list[Any] = [
    pytest.param(page("public, max-age=600"), {}, SENSITIVE, True, id="public-with-cookie"),
    pytest.param(page("max-age=600"), {}, SENSITIVE, True, id="max-age-with-cookie"),
    pytest.param(page("s-maxage=60"), {}, SENSITIVE, True, id="s-maxage-with-cookie"),
    pytest.param(page("PUBLIC, MAX-AGE=600"), {}, SENSITIVE, True, id="uppercase"),
    pytest.param(
        page('private="set-cookie", max-age=600'), {}, SENSITIVE, True, id="qualified-private"
    ),
    pytest.param(
        page("public, max-age=60", content_type="application/json"),
        {},
        SENSITIVE,
        True,
        id="json-with-cookie",
    ),
    pytest.param(
        page("public, max-age=60", content_type="application/problem+json"),
        {},
        SENSITIVE,
        True,
        id="problem-json-with-cookie",
    ),
    pytest.param(page("private, max-age=600"), {}, SENSITIVE, False, id="private"),
    pytest.param(page("no-store"), {}, SENSITIVE, False, id="no-store"),
    pytest.param(page("public, no-store"), {}, SENSITIVE, False, id="public-no-store"),
    pytest.param(page("max-age=0"), {}, SENSITIVE, False, id="max-age-zero"),
    pytest.param(page(None), {}, SENSITIVE, False, id="no-cache-control"),
    pytest.param(page("public, max-age=600", cookie=False), {}, SENSITIVE, False, id="no-cookie"),
    pytest.param(
        page("public, max-age=600", content_type="text/css"), {}, SENSITIVE, False, id="css"
    ),
    pytest.param(
        page("public, max-age=600", content_type="text/css"),
        {"sensitive": True},
        SENSITIVE,
        True,
        id="marked-sensitive",
    ),
    pytest.param(
        page("public, max-age=600", cookie=False),
        {"sensitive": True},
        SENSITIVE,
        True,
        id="marked-sensitive-no-cookie",
    ),
    pytest.param(
        page("public, max-age=600"), {"sensitive": False}, SENSITIVE, False, id="marked-public"
    ),
    pytest.param(
        respond(
            [("content-type", "application/json"), ("cache-control", "public, max-age=60")],
            request_headers=[("authorization", "Bearer x")],
        ),
        {},
        SENSITIVE,
        True,
        id="authorized-request",
    ),
    pytest.param(
        respond(
            [
                ("content-type", HTML),
                ("cache-control", "private, no-store"),
                ("cdn-cache-control", "max-age=600"),
                ("set-cookie", "a=1; Secure"),
            ]
        ),
        {},
        SENSITIVE,
        True,
        id="cdn-cache-control",
    ),
    pytest.param(asset("/static/app.css", "max-age=3600"), {}, STATIC, True, id="static-short"),
    pytest.param(asset("/static/app.css", None), {}, STATIC, True, id="static-no-cc"),
    pytest.param(asset("/assets/index-BQ8xk2Lz.js", "no-cache"), {}, STATIC, True, id="vite-hash"),
    pytest.param(asset("/dist/index-BQ8xk2Lz.js", None), {}, STATIC, True, id="vite-hash-dist"),
    pytest.param(asset("/js/main.3f2a9c1b.js", "max-age=60"), {}, STATIC, True, id="hex-hash"),
    pytest.param(asset("/js/app.js?v=123", "max-age=60"), {}, STATIC, True, id="query-version"),
    pytest.param(
        asset("/static/app.css", "public, immutable, no-store"),
        {},
        STATIC,
        True,
        id="immutable-but-no-store",
    ),
    pytest.param(
        asset("/static/app.css", "public, max-age=31536000, immutable"),
        {},
        STATIC,
        False,
        id="static-immutable",
    ),
    pytest.param(
        asset("/static/app.css", "public, max-age=2592000"), {}, STATIC, False, id="static-30-days"
    ),
    pytest.param(asset("/js/main.js", "max-age=60"), {}, STATIC, False, id="unversioned"),
    pytest.param(asset("/css/bootstrap.css", "max-age=60"), {}, STATIC, False, id="word-not-hash"),
    pytest.param(asset("/static/app.css", None, status=404), {}, STATIC, False, id="static-404"),
    pytest.param(asset("/static/report.html", None), {}, STATIC, False, id="static-html"),
    pytest.param(text(), {}, COMPRESSION, True, id="html-uncompressed"),
    pytest.param(text(accept="br"), {}, COMPRESSION, True, id="br-accepted"),
    pytest.param(text("application/ld+json"), {}, COMPRESSION, True, id="json-suffix"),
    pytest.param(text("image/svg+xml"), {}, COMPRESSION, True, id="svg"),
    pytest.param(text(encoding="gzip"), {}, COMPRESSION, False, id="gzipped"),
    pytest.param(text(encoding="identity"), {}, COMPRESSION, True, id="identity"),
    pytest.param(text(content=b"x" * 1024), {}, COMPRESSION, False, id="small"),
    pytest.param(text(accept=None), {}, COMPRESSION, False, id="no-accept-encoding"),
    pytest.param(text(accept="identity"), {}, COMPRESSION, False, id="identity-accepted"),
    pytest.param(text(accept="gzip;q=0, br;q=0"), {}, COMPRESSION, False, id="q-zero"),
    pytest.param(text(accept="zstd"), {}, COMPRESSION, False, id="zstd-only"),
    pytest.param(text(status=304, content=b""), {}, COMPRESSION, False, id="not-modified"),
    pytest.param(text(status=206), {}, COMPRESSION, False, id="partial"),
    pytest.param(text(method="HEAD", content=b""), {}, COMPRESSION, False, id="head"),
    pytest.param(text("image/png"), {}, COMPRESSION, False, id="binary"),
]


@pytest.mark.parametrize(("response", "options", "rule_id", "expected"), CASES)
def test_rule(
    response: httpx.Response, options: dict[str, Any], rule_id: str, expected: bool
) -> None:
    findings = caching.evaluate(response, **options)
    assert (rule_id in ids(findings)) is expected, findings


def test_every_id_is_tested_both_ways() -> None:
    tested = {(case.values[2], case.values[3]) for case in CASES}
    for rule_id in IDS:
        assert (rule_id, True) in tested, rule_id
        assert (rule_id, False) in tested, rule_id


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("public", True),
        ("max-age=1", True),
        ("s-maxage=1, max-age=0", True),
        ("private", False),
        ('private="set-cookie", public', True),
        ("public, no-store", False),
        ("no-cache", False),
        ("max-age=abc", False),
    ],
)
def test_is_publicly_cacheable(value: str, expected: bool) -> None:
    assert caching.is_publicly_cacheable(parse_cache_control(value)) is expected


def test_sensitive_evidence_quotes_header_and_cookie() -> None:
    (finding,) = caching.evaluate(page("public, max-age=600"))
    assert finding.evidence == (
        "Cache-Control: public, max-age=600 on a text/html response that sets cookie 'sessionid'"
    )
    assert finding.url == "https://app.test/"


def test_compression_evidence_names_size_and_type() -> None:
    (finding,) = caching.evaluate(text())
    assert finding.evidence.startswith(f"{len(BIG)} bytes of text/html without Content-Encoding")


def test_unread_stream_uses_content_length() -> None:
    request = httpx.Request("GET", "https://app.test/", headers={"accept-encoding": "gzip"})
    response = httpx.Response(
        200,
        headers={"content-type": "text/html", "content-length": "5000"},
        stream=httpx.ByteStream(b"x" * 5000),
        request=request,
    )
    assert ids(caching.evaluate(response)) == {"compression.missing"}


def test_response_without_request_checks_only_cacheability() -> None:
    response = httpx.Response(
        200,
        headers=[("content-type", HTML), ("cache-control", "public"), ("set-cookie", "a=1")],
        content=BIG,
    )
    assert ids(caching.evaluate(response)) == {"cache.sensitive-cacheable"}
