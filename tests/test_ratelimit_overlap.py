"""Rate-limit resets overlap the run's other work and each other, without a lockout ever
reaching another check: against a real limiter (uvicorn on 127.0.0.1) that logs every request.

Two policies, ``/api/a`` and ``/api/b``, 2 requests per 3 s each with ``Retry-After``; the
health endpoints ``/api/health`` and ``/api/a`` (the latter locked out by the burst of ``a``).
Per path, the health checks run while the windows are open and the two resets come together;
with one bucket for every path (6 per 3 s), the run waits each lockout out before anything
else.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.servers import serve

ROOT = Path(__file__).resolve().parent.parent
SUITES = [str(ROOT / "suites" / name) for name in ("test_rate_limits.py", "test_health.py")]
WINDOW_S = 3
LIMITED = ("/api/a", "/api/b")


@dataclass
class Limiter:
    """Fixed windows of WINDOW_S seconds, LIMIT requests each: one bucket per LIMITED path,
    or one for every path (``shared``). Every request is logged: (time, path, status)."""

    shared: bool
    limit: int
    log: list[tuple[float, str, int]] = field(default_factory=list)
    windows: dict[str, tuple[float, int]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, path: str) -> int | None:
        """None when allowed, else the seconds until the window ends."""
        if not self.shared and path not in LIMITED:
            return None
        key = "all" if self.shared else path
        now = time.monotonic()
        with self.lock:
            start, count = self.windows.get(key, (now, 0))
            if now - start >= WINDOW_S:
                start, count = now, 0
            self.windows[key] = (start, count + 1)
        if count + 1 <= self.limit:
            return None
        return max(1, round(WINDOW_S - (now - start)))

    def app(self) -> Starlette:
        async def limited(request: Request) -> JSONResponse:
            path = request.url.path
            wait = self.take(path)
            status = 200 if wait is None else 429
            self.log.append((time.monotonic(), path, status))
            if wait is not None:
                return JSONResponse({"detail": "slow down"}, 429, {"Retry-After": str(wait)})
            return JSONResponse({"status": "ok"}, headers={"Cache-Control": "no-store"})

        routes = [Route(p, limited) for p in ("/api/a", "/api/b", "/api/health", "/")]
        return Starlette(routes=routes)


def _config(url: str, limit: int) -> str:
    policies = "".join(
        f"""
[[envs.x.rate_limits]]
name = "{name}"
path = "/api/{name}"
method = "GET"
limit = {limit}
window_s = {WINDOW_S}
"""
        for name in ("a", "b")
    )
    return f"""
[envs.x]
base_url = "{url}"
[[envs.x.health.endpoints]]
path = "/api/health"
json = {{ status = "ok" }}
[[envs.x.health.endpoints]]
path = "/api/a"
json = {{ status = "ok" }}
{policies}"""


def _run(pytester: pytest.Pytester, shared: bool) -> tuple[pytest.RunResult, Limiter]:
    # One bucket for everything must leave room for the other checks' few requests.
    limiter = Limiter(shared=shared, limit=6 if shared else 2)
    with serve(limiter.app()) as server:
        (pytester.path / "prodready.toml").write_text(_config(server.url, limiter.limit))
        result = pytester.runpytest(
            *SUITES,
            "--prodready-config",
            str(pytester.path / "prodready.toml"),
            "--target-env",
            "x",
            "-k",
            "enforced or resets or health_endpoint",
            "-p",
            "no:cacheprovider",
            "-v",
        )
    return result, limiter


def _order(result: pytest.RunResult) -> list[str]:
    return [
        line.split("::")[1].split("[")[0]
        for line in result.outlines
        if "::" in line and ("PASSED" in line or "FAILED" in line)
    ]


def test_resets_run_last_and_wait_together_while_other_checks_run(
    pytester: pytest.Pytester,
) -> None:
    result, limiter = _run(pytester, shared=False)
    result.assert_outcomes(passed=6)
    assert _order(result) == [
        *["test_rate_limit_is_enforced"] * 2,
        *["test_health_endpoint"] * 2,
        *["test_rate_limit_resets_after_retry_after"] * 2,
    ]
    first_429 = {p: t for t, p, s in limiter.log if s == 429 and p in ("/api/a", "/api/b")}
    health = [t for t, p, s in limiter.log if p == "/api/health"]
    # /api/health is its own bucket: checked during the windows, not after them.
    assert health
    assert max(health) < first_429["/api/a"] + WINDOW_S
    # /api/a is locked out: the client held its health check back until the reset.
    a_after = [(t, s) for t, p, s in limiter.log if p == "/api/a" and t > first_429["/api/a"]]
    assert a_after
    assert all(s == 200 for _, s in a_after), a_after
    assert min(t for t, _ in a_after) >= first_429["/api/a"] + WINDOW_S - 1
    # The two resets waited together: sequential waits would put a window between them.
    resets = {p: max(t for t, q, _ in limiter.log if q == p) for p in ("/api/a", "/api/b")}
    assert abs(resets["/api/a"] - resets["/api/b"]) < WINDOW_S - 1, resets


def test_a_lockout_of_every_path_is_waited_out_before_anything_else(
    pytester: pytest.Pytester,
) -> None:
    result, limiter = _run(pytester, shared=True)
    result.assert_outcomes(passed=6)
    health = [(t, s) for t, p, s in limiter.log if p == "/api/health"]
    # Right after each burst one GET of /api/health met the lockout: the probe that found it
    # global, and the run waited the window out there. The health check itself came after.
    assert [s for _, s in health].count(429) == 2, health
    last_429 = max(t for t, _, s in limiter.log if s == 429)
    checked_at, status = health[-1]
    assert status == 200
    assert checked_at >= last_429 + WINDOW_S - 1
