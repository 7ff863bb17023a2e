"""Rate-limit suite end to end: the demo's real limiter, the broken demo, nginx limit_req, and
the safety rules on protected environments."""

from __future__ import annotations

import fnmatch
import json
import time
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from pytest_prodready.demo import read_request_log
from tests.nginx import nginx
from tests.servers import serve

ROOT = Path(__file__).resolve().parent.parent
SUITE = str(ROOT / "suites" / "test_rate_limits.py")
LOGIN = """
[[envs.{env}.rate_limits]]
name = "login"
path = "{path}"
method = "POST"
json = {{ email = "probe@example.com", password = "wrong" }}
limit = 5
window_s = 60
{extra}
"""


def run(pytester: pytest.Pytester, env: str, *args: str) -> pytest.RunResult:
    config = pytester.path / "prodready.toml"
    return pytester.runpytest(
        SUITE,
        "--prodready-config",
        str(config),
        "--target-env",
        env,
        "-m",
        "not slow",
        # The declared policies' tests (the probe for undeclared ones has tests of its own;
        # a later -k in ``args`` wins).
        "-k",
        "not observed",
        "-p",
        "no:cacheprovider",
        *args,
    )


def config(pytester: pytest.Pytester, text: str) -> None:
    (pytester.path / "prodready.toml").write_text(text)


def test_demo_limiter_passes_and_states_the_figure(pytester: pytest.Pytester) -> None:
    config(
        pytester,
        '[envs.d]\nembedded = "demo"\n' + LOGIN.format(env="d", path="/api/auth/login", extra=""),
    )
    summary = pytester.path / "summary.json"
    result = run(pytester, "d", f"--prodready-json={summary}")
    result.assert_outcomes(passed=1)
    # On a passing run, without -rP: the figure is in the terminal and in the JSON summary.
    figure = "login: declared 5/60s, first 429 at request 6, Retry-After 6? s"
    result.stdout.fnmatch_lines([f"rate limit: {figure}"])
    assert "PASSES" not in result.stdout.str()
    (figures,) = json.loads(summary.read_text())["figures"].values()
    assert fnmatch.fnmatch(figures["ratelimit"], figure), figures


def test_demo_broken_limiter_is_not_enforced(pytester: pytest.Pytester) -> None:
    config(
        pytester,
        '[envs.b]\nembedded = "demo-broken"\n'
        + LOGIN.format(env="b", path="/api/auth/login", extra=""),
    )
    result = run(pytester, "b")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*ratelimit.not-enforced*login: declared 5/60s, no 429 in 8 requests (statuses: 401 x8)*"]
    )


NGINX_LIMITED = """
limit_req_zone $binary_remote_addr zone=strict:1m rate=1r/m;
limit_req_zone $binary_remote_addr zone=bare:1m rate=1r/m;
limit_req_status 429;
server {
    listen 127.0.0.1:{port};
    # `return` runs before limit_req (rewrite phase): limited routes proxy to the app.
    location = /api/strict {
        limit_req zone=strict burst=4 nodelay;
        error_page 429 = @limited;
        proxy_pass http://127.0.0.1:{port}/app;
    }
    location = /api/bare {
        limit_req zone=bare burst=2 nodelay;
        proxy_pass http://127.0.0.1:{port}/app;
    }
    location = /app {
        return 401 '{"detail": "bad credentials"}';
    }
    location @limited {
        add_header Retry-After 60 always;
        return 429 '{"detail": "slow down"}';
    }
}
"""


def test_nginx_limit_req(pytester: pytest.Pytester, tmp_path: Path) -> None:
    with nginx(tmp_path / "nginx", NGINX_LIMITED) as port:
        config(
            pytester,
            f'[envs.n]\nbase_url = "http://127.0.0.1:{port}"\n'
            + LOGIN.format(env="n", path="/api/strict", extra="")
            + LOGIN.format(env="n", path="/api/bare", extra="").replace('"login"', '"bare"'),
        )
        result = run(pytester, "n")
    result.assert_outcomes(passed=1, failed=1)
    out = result.stdout.str()
    assert "login: declared 5/60s, first 429 at request 6, Retry-After 60 s" in out
    assert "ratelimit.too-early" in out
    assert "bare: declared 5/60s, first 429 at request 4" in out
    assert "ratelimit.no-retry-after" in out


@pytest.mark.parametrize(
    ("extra", "allow", "bursts"),
    [
        ("", None, 0),
        ("", "--allow-destructive=prod", 0),
        ("safe_on_protected = true", "--allow-destructive=prod", 1),
    ],
)
def test_protected_env_sends_no_burst_unless_allowed_and_safe(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    extra: str,
    allow: str | None,
    bursts: int,
) -> None:
    log = pytester.path / "requests.jsonl"
    monkeypatch.setenv("PRODREADY_DEMO_LOG", str(log))
    config(
        pytester,
        '[envs.prod]\nembedded = "demo"\n'
        + LOGIN.format(env="prod", path="/api/auth/login", extra=extra),
    )
    result = run(pytester, "prod", *([allow] if allow else []))
    if bursts:
        result.assert_outcomes(passed=1)
    else:
        result.assert_outcomes(skipped=1)
    posts = [r for r in read_request_log(log) if r["method"] == "POST"]
    assert len(posts) == (6 if bursts else 0)


def tiered_app() -> Starlette:
    """Guests get 3 requests a minute, the premium token 6; /api/short allows 2 per 2 s."""
    from limits import RateLimitItemPerMinute, RateLimitItemPerSecond
    from limits.storage import MemoryStorage
    from limits.strategies import MovingWindowRateLimiter

    limiter = MovingWindowRateLimiter(MemoryStorage())
    guest, premium, short = (
        RateLimitItemPerMinute(3),
        RateLimitItemPerMinute(6),
        RateLimitItemPerSecond(2, 2),
    )

    async def search(request: Request) -> JSONResponse:
        token = request.headers.get("authorization", "")
        item, key = (premium, "premium") if token == f"Bearer {PREMIUM}" else (guest, "guest")
        if not limiter.hit(item, key):
            return JSONResponse({"detail": "slow down"}, 429, headers={"Retry-After": "60"})
        return JSONResponse({"results": []})

    async def short_route(request: Request) -> JSONResponse:
        if not limiter.hit(short, "short"):
            return JSONResponse({"detail": "slow down"}, 429, headers={"Retry-After": "2"})
        return JSONResponse({"ok": True})

    return Starlette(routes=[Route("/api/search", search), Route("/api/short", short_route)])


PREMIUM = "premium-" + "k3y" * 5


def test_tiers_get_their_own_limit_and_the_window_resets(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIER_PREMIUM_TOKEN", PREMIUM)
    with serve(tiered_app()) as server:
        config(
            pytester,
            f"""
[envs.t]
base_url = "{server.url}"
secrets = {{ premium_token = "TIER_PREMIUM_TOKEN" }}
[envs.t.tiers.premium]
secret = "premium_token"
[[envs.t.rate_limits]]
name = "guest"
path = "/api/search"
method = "GET"
limit = 3
window_s = 60
[[envs.t.rate_limits]]
name = "premium"
path = "/api/search"
method = "GET"
limit = 6
window_s = 60
tier = "premium"
[[envs.t.rate_limits]]
name = "short"
path = "/api/short"
method = "GET"
limit = 2
window_s = 2
""",
        )
        result = pytester.runpytest(
            SUITE,
            "--prodready-config",
            str(pytester.path / "prodready.toml"),
            "--target-env",
            "t",
            "-k",
            "enforced or short",
            "-p",
            "no:cacheprovider",
        )
    result.assert_outcomes(passed=4)
    out = result.stdout.str()
    assert "guest: declared 3/60s, first 429 at request 4" in out
    assert "premium: declared 6/60s, first 429 at request 7" in out
    assert "short: declared 2/2s, first 429 at request 3, Retry-After 2 s" in out
    assert PREMIUM not in out


def ietf_app(quota: int) -> Starlette:
    """5 a minute, told in draft-ietf-httpapi-ratelimit-headers-08+ structured fields that
    advertise ``quota``; a 429 says when to retry as an HTTP-date, 54 s ahead."""
    from email.utils import formatdate

    from limits import RateLimitItemPerMinute
    from limits.storage import MemoryStorage
    from limits.strategies import MovingWindowRateLimiter

    limiter, item = MovingWindowRateLimiter(MemoryStorage()), RateLimitItemPerMinute(5)

    async def login(request: Request) -> JSONResponse:
        allowed = limiter.hit(item, "login")
        _, remaining = limiter.get_window_stats(item, "login")
        headers = {
            "RateLimit-Policy": f'"default";q={quota};w=60',
            "RateLimit": f'"default";r={remaining};t=54',
        }
        if not allowed:
            headers["Retry-After"] = formatdate(time.time() + 54, usegmt=True)
            return JSONResponse({"detail": "slow down"}, 429, headers=headers)
        return JSONResponse({"detail": "bad credentials"}, 401, headers=headers)

    return Starlette(routes=[Route("/api/auth/login", login, methods=["POST"])])


@pytest.mark.parametrize(("quota", "outcome"), [(5, "passed"), (10, "failed")])
def test_ietf_structured_fields_and_an_http_date_retry_after(
    pytester: pytest.Pytester, quota: int, outcome: str
) -> None:
    with serve(ietf_app(quota)) as server:
        config(
            pytester,
            f'[envs.i]\nbase_url = "{server.url}"\n'
            + LOGIN.format(env="i", path="/api/auth/login", extra=""),
        )
        result = run(pytester, "i")
    result.assert_outcomes(**{outcome: 1})
    result.stdout.fnmatch_lines(
        ["rate limit: login: declared 5/60s, first 429 at request 6, Retry-After 5? s"]
    )
    out = result.stdout.str()
    assert "ratelimit.no-retry-after" not in out
    if outcome == "failed":
        assert "request 1 advertises 10/60s (RateLimit-Policy 'default')" in out


def guest_app(retry_after_s: int) -> Starlette:
    """A guest limiter of 5 a minute with X-RateLimit headers (the seeds' shape); a 429 asks
    for ``retry_after_s`` (a login lockout of the seeds: 900)."""
    from limits import RateLimitItemPerMinute
    from limits.storage import MemoryStorage
    from limits.strategies import MovingWindowRateLimiter

    limiter, item = MovingWindowRateLimiter(MemoryStorage()), RateLimitItemPerMinute(5)

    async def login(request: Request) -> JSONResponse:
        allowed = limiter.hit(item, "login")
        _, remaining = limiter.get_window_stats(item, "login")
        headers = {"X-RateLimit-Limit": "5", "X-RateLimit-Remaining": str(remaining)}
        if not allowed:
            headers["Retry-After"] = str(retry_after_s)
            return JSONResponse({"detail": "slow down"}, 429, headers=headers)
        return JSONResponse({"detail": "bad credentials"}, 401, headers=headers)

    return Starlette(routes=[Route("/api/auth/login", login, methods=["POST"])])


@pytest.mark.parametrize("earlier", [0, 3], ids=["fresh", "budget-spent-by-earlier-traffic"])
def test_a_budget_spent_by_earlier_traffic_is_inconclusive_never_too_early(
    pytester: pytest.Pytester, earlier: int
) -> None:
    """Issue 14, defect 6: a correct limiter whose budget other traffic spent first."""
    import httpx

    with serve(guest_app(60)) as server:
        for _ in range(earlier):
            httpx.post(f"{server.url}/api/auth/login", json={})
        config(
            pytester,
            f'[envs.g]\nbase_url = "{server.url}"\n'
            + LOGIN.format(env="g", path="/api/auth/login", extra=""),
        )
        result = run(pytester, "g", "--fail-on", "info")
    out = result.stdout.str()
    assert "ratelimit.too-early" not in out
    if earlier:
        result.assert_outcomes(failed=1)  # --fail-on info: the info finding is shown
        result.stdout.fnmatch_lines(
            ["*ratelimit.inconclusive*first 429 at request 3*advertised 1 remaining of 5*"]
        )
    else:
        result.assert_outcomes(passed=1)


@pytest.mark.parametrize(("retry_after", "cap"), [(900, 120), (2, 120)], ids=["lockout", "short"])
def test_a_lockout_longer_than_the_wait_allowed_is_unverified_not_broken(
    pytester: pytest.Pytester, retry_after: int, cap: int
) -> None:
    """Issue 14, defect 7: the seeds' 15-minute login lockout (Retry-After: 900)."""
    with serve(guest_app(retry_after)) as server:
        config(
            pytester,
            f'[envs.g]\nbase_url = "{server.url}"\n'
            + LOGIN.format(env="g", path="/api/auth/login", extra=f"max_reset_wait_s = {cap}"),
        )
        start = time.monotonic()
        result = pytester.runpytest(
            SUITE,
            "--prodready-config",
            str(pytester.path / "prodready.toml"),
            "--target-env",
            "g",
            "-k",
            "resets",
            "-p",
            "no:cacheprovider",
        )
        took = time.monotonic() - start
    out = result.stdout.str()
    if retry_after > cap:
        result.assert_outcomes(passed=1)  # info: reported, not failed
        result.stdout.fnmatch_lines(["*1 below --fail-on*"])
        assert "ratelimit.no-reset" not in out
        assert took < 30, "no 900 s wait"
    else:
        # The window of 5 a minute outlives a 2 s Retry-After: the limiter's word is wrong.
        result.assert_outcomes(failed=1)
        assert "ratelimit.no-reset" in out


def reads_app(limited: bool) -> Starlette:
    """A JSON API whose reads are limited (20 a minute, X-RateLimit headers) or not at all."""
    from limits import RateLimitItemPerMinute
    from limits.storage import MemoryStorage
    from limits.strategies import MovingWindowRateLimiter

    limiter, item = MovingWindowRateLimiter(MemoryStorage()), RateLimitItemPerMinute(20)

    async def health(request: Request) -> JSONResponse:
        if not limited:
            return JSONResponse({"status": "ok"})
        allowed = limiter.hit(item, "reads")
        _, remaining = limiter.get_window_stats(item, "reads")
        headers = {"X-RateLimit-Limit": "20", "X-RateLimit-Remaining": str(remaining)}
        if not allowed:
            return JSONResponse({"detail": "slow down"}, 429, headers={"Retry-After": "60"})
        return JSONResponse({"status": "ok"}, headers=headers)

    return Starlette(routes=[Route("/api/health", health)])


@pytest.mark.parametrize("limited", [True, False], ids=["limited", "unlimited"])
def test_an_api_with_no_declared_policy_is_probed_for_any_limiter(
    pytester: pytest.Pytester, limited: bool
) -> None:
    """Issue 14, defect 8: no policy declared used to mean nothing checked."""
    with serve(reads_app(limited)) as server:
        config(
            pytester,
            f'[envs.n]\nbase_url = "{server.url}"\n'
            "[envs.n.ratelimit_probe]\nrequests = 40\nwithin_s = 5\n",
        )
        result = run(pytester, "n", "-k", "observed")
    if limited:
        result.assert_outcomes(passed=1)
    else:
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines(
            [
                "*[[]MEDIUM[]] ratelimit.none-observed*(evidence: 40 requests in 5 s: no 429 and "
                "no rate-limit header*statuses: 200 x40. A limiter above 40 per 5 s*"
            ]
        )
