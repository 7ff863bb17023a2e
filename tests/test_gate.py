"""The post-deploy gate against real servers: a release that flips, one that never does, and
one whose listener is down at first."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.servers import ThreadedServer, free_port, serve

SUITE = """
def test_release(expected_version, fetch, target):
    assert fetch(target.release.path).json()["version"] == expected_version
"""


def release_app(flip_after_s: float | None, health: dict[str, object] | None = None) -> Starlette:
    """Reports "old" until ``flip_after_s`` has passed (never, if None), then "new"; its
    health endpoint answers ``health`` (default ``{"status": "ok"}``)."""
    born = time.monotonic()

    def version() -> str:
        flipped = flip_after_s is not None and time.monotonic() - born >= flip_after_s
        return "new" if flipped else "old"

    async def version_route(request: Request) -> JSONResponse:
        return JSONResponse({"version": version()}, headers={"Cache-Control": "no-store"})

    async def health_route(request: Request) -> JSONResponse:
        body = health or {"status": "ok"}
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    return Starlette(
        routes=[Route("/api/version", version_route), Route("/api/health", health_route)]
    )


ConfigFor = Callable[[int], None]


@pytest.fixture
def config_for(pytester: pytest.Pytester) -> ConfigFor:
    def write(port: int) -> None:
        pytester.makefile(".toml", prodready=f'[envs.qa]\nbase_url = "http://127.0.0.1:{port}"\n')
        pytester.makepyfile(SUITE)

    return write


def run_gate(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, float]:
    start = time.monotonic()
    result = pytester.runpytest("--target-env", "qa", "--wait-for-version", "new", *args)
    return result, time.monotonic() - start


def test_gate_waits_for_the_flip_then_runs_the_suites(
    pytester: pytest.Pytester, config_for: ConfigFor
) -> None:
    with serve(release_app(flip_after_s=1.2)) as server:
        config_for(server.port)
        result, _ = run_gate(pytester, "--wait-interval", "0.4", "--wait-timeout", "20")
    result.assert_outcomes(passed=1)
    out = result.stdout.str()
    polls = re.findall(r"prodready gate: +[\d.]+ s, poll (\d+): (.*)", out)
    assert len(polls) >= 2, out
    assert polls[0][1] == "version 'old'"
    assert polls[-1][1] == "version 'new', healthy"


def test_gate_times_out_without_running_suites(
    pytester: pytest.Pytester, config_for: ConfigFor
) -> None:
    with serve(release_app(flip_after_s=None)) as server:
        config_for(server.port)
        result, wall = run_gate(pytester, "--wait-interval", "0.5", "--wait-timeout", "2")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert wall < 2 + 0.5 + 2.0, f"gate overran: {wall:.1f} s"
    out = result.stdout.str()
    assert "did not report release 'new' and healthy within 2 s" in out
    assert "last seen: version 'old'" in out
    assert "No suite was run" in out
    assert "passed" not in out
    assert "collected" not in out, "the gate stops the session before collection"
    assert "Traceback" not in out


@pytest.fixture
def late_server() -> Iterator[int]:
    """A port refused for ~1.5 s, then served by an app that already reports "new"."""
    port = free_port()
    holder: list[ThreadedServer] = []

    def start_later() -> None:
        time.sleep(1.5)
        holder.append(ThreadedServer(release_app(flip_after_s=0), port).start())

    starter = threading.Thread(target=start_later)
    starter.start()
    yield port
    starter.join()
    for server in holder:
        server.stop()


def test_gate_rides_out_refused_connections(
    pytester: pytest.Pytester, config_for: ConfigFor, late_server: int
) -> None:
    config_for(late_server)
    result, _ = run_gate(pytester, "--wait-interval", "0.3", "--wait-timeout", "15")
    result.assert_outcomes(passed=1)
    out = result.stdout.str()
    assert "cannot connect on GET" in out
    assert "version 'new', healthy" in out


@pytest.mark.parametrize("value", ["0", "-3", "soon", "99999"])
def test_bad_wait_values_are_usage_errors(pytester: pytest.Pytester, value: str) -> None:
    result = pytester.runpytest("--wait-timeout", value)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "must be a number of seconds greater than 0 and at most 3600" in result.stderr.str()


def test_wait_without_target_env_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--wait-for-version", "abc")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--wait-for-version needs a target environment" in result.stderr.str()


@pytest.mark.parametrize(
    ("database", "ready"), [("operational", True), ("down", False)], ids=["up", "down"]
)
def test_gate_judges_a_detailed_health_body_as_the_suites_do(
    pytester: pytest.Pytester, config_for: ConfigFor, database: str, ready: bool
) -> None:
    """The seeds' documented body: the new release with its database down is not healthy."""
    body = {"status": "operational", "database": database, "stripe": "operational"}
    with serve(release_app(flip_after_s=0, health=body)) as server:
        config_for(server.port)
        result, _ = run_gate(pytester, "--wait-interval", "0.3", "--wait-timeout", "1.5")
    out = result.stdout.str()
    if ready:
        result.assert_outcomes(passed=1)
        assert "version 'new', healthy" in out
    else:
        assert result.ret == pytest.ExitCode.TESTS_FAILED
        assert "last seen: version 'new', health /api/health: database: 'down'" in out
        assert "No suite was run" in out
