"""The pure header parsers: HSTS, Set-Cookie and its dates, Cache-Control, structured items."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from pytest_prodready.checks.grammar import (
    Hsts,
    joined,
    media_type,
    parse_cache_control,
    parse_cookie_date,
    parse_hsts,
    parse_set_cookie,
    parse_sf_item,
    request_of,
    response_date,
    split_list,
)
from pytest_prodready.core.evidence import clip


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("max-age=31536000", Hsts(31536000), id="plain"),
        pytest.param(
            "max-age=63072000; includeSubDomains; preload",
            Hsts(63072000, include_subdomains=True, preload=True),
            id="full",
        ),
        pytest.param('max-age="31536000"', Hsts(31536000), id="quoted-max-age"),
        pytest.param(
            "MAX-AGE=31536000; INCLUDESUBDOMAINS; Preload",
            Hsts(31536000, include_subdomains=True, preload=True),
            id="uppercase-names",
        ),
        pytest.param(
            " max-age = 300 ;includeSubDomains; ", Hsts(300, include_subdomains=True), id="spacing"
        ),
        pytest.param("max-age=0", Hsts(0), id="zero"),
        pytest.param("max-age=1;;", Hsts(1), id="empty-directives"),
        pytest.param('max-age=1; report-uri="https://r.test/"', Hsts(1), id="unknown-quoted"),
    ],
)
def test_parse_hsts_valid(value: str, expected: Hsts) -> None:
    assert parse_hsts(value) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        pytest.param("", "no max-age", id="empty"),
        pytest.param("includeSubDomains", "no max-age", id="no-max-age"),
        pytest.param("max-age=abc", "not a number", id="non-numeric"),
        pytest.param("max-age=-1", "not a number", id="negative"),
        pytest.param("max-age", "not a number", id="no-value"),
        pytest.param('max-age=""', "not a number", id="empty-quoted"),
        pytest.param("max-age=1; max-age=2", "more than once", id="duplicate"),
        pytest.param("max-age=1; includeSubDomains; includesubdomains", "more than once", id="dup"),
        pytest.param("max-age=31536000, includeSubDomains", "malformed value", id="comma"),
        pytest.param("max-age=\u201c31536000\u201d", "malformed value", id="curly-quotes"),
        pytest.param("max-age=1; includeSubDomains=yes", "takes no value", id="flag-value"),
        pytest.param("max age=1", "malformed directive", id="space-in-name"),
    ],
)
def test_parse_hsts_invalid(value: str, reason: str) -> None:
    parsed = parse_hsts(value)
    assert not parsed.valid
    assert parsed.max_age is None
    assert parsed.error is not None
    assert reason in parsed.error


def test_parse_set_cookie_attributes_case_and_spacing() -> None:
    cookie = parse_set_cookie(
        "sid = abc123 ;  SECURE;httponly ; SameSite = lax; Path=/; DOMAIN=app.test; max-age=60"
    )
    assert (cookie.name, cookie.value) == ("sid", "abc123")
    assert cookie.secure
    assert cookie.http_only
    assert cookie.same_site == "lax"
    assert cookie.max_age == 60
    assert cookie.domain == "app.test"
    assert cookie.path == "/"
    assert cookie.attributes["secure"] == ""


def test_parse_set_cookie_minimal() -> None:
    cookie = parse_set_cookie("theme=dark")
    assert (cookie.name, cookie.value, cookie.secure, cookie.http_only) == (
        "theme",
        "dark",
        False,
        False,
    )
    assert cookie.same_site is None
    assert cookie.max_age is None
    assert cookie.expires is None
    assert cookie.prefix is None


def test_parse_set_cookie_without_equals_has_empty_name() -> None:
    cookie = parse_set_cookie("justavalue; Secure")
    assert (cookie.name, cookie.value, cookie.secure) == ("", "justavalue", True)


def test_parse_set_cookie_value_may_contain_equals() -> None:
    assert parse_set_cookie("jwt=a.b=c==; Secure").value == "a.b=c=="


def test_parse_set_cookie_bare_samesite_and_last_attribute_wins() -> None:
    assert parse_set_cookie("a=1; SameSite").same_site == ""
    assert parse_set_cookie("a=1; SameSite=None; SameSite=Strict").same_site == "Strict"
    assert parse_set_cookie("a=1; Max-Age=60; Max-Age=0").max_age == 0


@pytest.mark.parametrize(
    ("attribute", "expected"),
    [
        ("Max-Age=0", 0),
        ("Max-Age=-5", -5),
        ("Max-Age=abc", None),
        ("Max-Age=+5", None),
        ("Max-Age=1.5", None),
        ("Max-Age=", None),
    ],
)
def test_parse_set_cookie_max_age(attribute: str, expected: int | None) -> None:
    assert parse_set_cookie(f"a=1; {attribute}").max_age == expected


@pytest.mark.parametrize(
    ("name", "prefix"),
    [
        ("__Host-id", "__Host-"),
        ("__Secure-id", "__Secure-"),
        ("__host-id", "__Host-"),
        ("_Host-id", None),
    ],
)
def test_cookie_prefix(name: str, prefix: str | None) -> None:
    assert parse_set_cookie(f"{name}=1").prefix == prefix


def test_cookie_deletion() -> None:
    now = datetime(2025, 6, 1, tzinfo=UTC)
    assert parse_set_cookie("a=; Max-Age=0").is_deletion(now)
    assert parse_set_cookie("a=; Expires=Thu, 01 Jan 1970 00:00:00 GMT").is_deletion(now)
    assert not parse_set_cookie("a=1; Expires=Fri, 01 Jan 2100 00:00:00 GMT").is_deletion(now)
    # Max-Age takes precedence over Expires either way.
    assert not parse_set_cookie(
        "a=1; Max-Age=60; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
    ).is_deletion(now)
    assert parse_set_cookie("a=1; Max-Age=0; Expires=Fri, 01 Jan 2100 00:00:00 GMT").is_deletion(
        now
    )
    assert not parse_set_cookie("a=1").is_deletion(now)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Thu, 01 Jan 1970 00:00:00 GMT", datetime(1970, 1, 1, tzinfo=UTC)),
        ("Thu, 01-Jan-1970 00:00:01 GMT", datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC)),
        ("Wed, 21-Oct-15 07:28:00 GMT", datetime(2015, 10, 21, 7, 28, tzinfo=UTC)),
        ("Sun Nov  6 08:49:37 1994", datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)),
        ("sunday, 06-november-94 08:49:37 gmt", datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)),
        ("Fri, 31 Dec 9999 23:59:59 GMT", datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)),
    ],
)
def test_parse_cookie_date(value: str, expected: datetime) -> None:
    assert parse_cookie_date(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "tomorrow",
        "Thu, 32 Jan 1970 00:00:00 GMT",
        "Thu, 30 Feb 2020 00:00:00 GMT",
        "Thu, 01 Jan 1970 24:00:00 GMT",
        "Thu, 01 Jan 1600 00:00:00 GMT",
        "Thu, 01 Jan 1970",
    ],
)
def test_parse_cookie_date_rejects(value: str) -> None:
    assert parse_cookie_date(value) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", {}),
        ("no-store", {"no-store": None}),
        ("public, max-age=600", {"public": None, "max-age": "600"}),
        ("PUBLIC, MAX-AGE=600", {"public": None, "max-age": "600"}),
        ('max-age="600" ,  s-maxage = 60', {"max-age": "600", "s-maxage": "60"}),
        (
            'private="set-cookie, x-user", max-age=60',
            {"private": "set-cookie, x-user", "max-age": "60"},
        ),
        ("max-age=60, max-age=0", {"max-age": "60"}),
        ("public,, ,immutable", {"public": None, "immutable": None}),
        ("max-age=60 junk, no-cache", {"no-cache": None}),
        ("no-cache,", {"no-cache": None}),
    ],
)
def test_parse_cache_control(value: str, expected: dict[str, str | None]) -> None:
    assert parse_cache_control(value) == expected


@pytest.mark.parametrize(
    ("value", "token", "params"),
    [
        ("same-origin", "same-origin", {}),
        ("  require-corp  ", "require-corp", {}),
        ('same-origin; report-to="coop"', "same-origin", {"report-to": "coop"}),
        (
            'same-origin;report-to="a";x;n=5;d=1.5;b=?0',
            "same-origin",
            {
                "report-to": "a",
                "x": True,
                "n": 5,
                "d": 1.5,
                "b": False,
            },
        ),
    ],
)
def test_parse_sf_item_tokens(value: str, token: str, params: dict[str, object]) -> None:
    item = parse_sf_item(value)
    assert item is not None
    assert item.is_token
    assert item.value == token
    assert item.params == params


def test_parse_sf_item_non_tokens() -> None:
    string = parse_sf_item('"same-origin"')
    assert string is not None
    assert (string.value, string.is_token) == ("same-origin", False)
    number = parse_sf_item("42")
    assert number is not None
    assert (number.value, number.is_token) == (42, False)
    assert parse_sf_item(":aGk=:") is not None


@pytest.mark.parametrize(
    "value",
    [
        "",
        "same-origin, same-origin",
        "same-origin junk",
        "same-origin; Report-To=x",
        "same-origin;",
        "-same-origin",
        '"unterminated',
        "1234567890123.5",
    ],
)
def test_parse_sf_item_rejects(value: str) -> None:
    assert parse_sf_item(value) is None


def test_clip_flattens_and_cuts() -> None:
    assert clip("a\n  b\tc") == "a b c"
    assert clip("x" * 200, 10) == "x" * 9 + "…"


def test_split_list_and_joined() -> None:
    assert split_list(" a, ,b ,") == ["a", "b"]
    response = httpx.Response(200, headers=[("x-a", "1"), ("X-A", "2")])
    assert joined(response, "x-a") == "1, 2"
    assert joined(response, "x-b") is None


def test_media_type() -> None:
    assert media_type(
        httpx.Response(200, headers={"content-type": "Text/HTML; charset=utf-8"})
    ) == ("text/html")
    assert media_type(httpx.Response(200)) == ""


def test_request_of() -> None:
    request = httpx.Request("GET", "https://app.test/")
    assert request_of(httpx.Response(200, request=request)) is request
    assert request_of(httpx.Response(200)) is None


def test_response_date() -> None:
    dated = httpx.Response(200, headers={"date": "Sun, 06 Nov 1994 08:49:37 GMT"})
    assert response_date(dated) == datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)
    undated = response_date(httpx.Response(200, headers={"date": "garbage"}))
    assert abs((undated - datetime.now(UTC)).total_seconds()) < 60
