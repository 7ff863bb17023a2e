"""The post-deploy gate: wait until the new release is live and healthy, then test it.

A half-deployed environment would produce a wall of unrelated failures; the gate polls the
version endpoint (then health) and stops the session with one clear message if the release
does not show up in time. Connection errors while waiting are expected (instances restart)
and are only reported if the time runs out.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from pytest_prodready.checks import health
from pytest_prodready.config import Environment
from pytest_prodready.http import describe_error, make_client

__all__ = ["GateResult", "wait_for_release"]


@dataclass(frozen=True)
class GateResult:
    ok: bool
    elapsed_s: float
    polls: int
    last_seen: str


def _poll(client: httpx.Client, env: Environment, expected: str) -> tuple[bool, str]:
    """One look: (ready, what was seen)."""
    try:
        response = client.get(env.release.path)
    except httpx.RequestError as exc:
        return False, describe_error(exc)
    seen = health.release_of(env.release, response)
    if seen is None:
        return False, f"version endpoint answered {response.status_code} without a release"
    if seen != expected:
        return False, f"version {seen!r}"
    for endpoint in env.health:
        try:
            answer = client.get(endpoint.path)
        except httpx.RequestError as exc:
            return False, f"version {seen!r}, health: {describe_error(exc)}"
        problems = [
            f for f in health.evaluate(endpoint, [answer], []) if f.id != health.CACHEABLE.id
        ]
        if problems:
            return False, f"version {seen!r}, health {endpoint.path}: {problems[0].evidence}"
    return True, f"version {seen!r}, healthy"


def wait_for_release(
    env: Environment,
    expected: str,
    *,
    timeout_s: float,
    interval_s: float,
    progress: Callable[[str], None],
    clock: Callable[[], float] = time.monotonic,
) -> GateResult:
    """Poll until ``env`` reports ``expected`` and is healthy, or ``timeout_s`` passes."""
    start = clock()
    polls = 0
    # No retries inside a poll: the poll loop is the retry, and its timing must stay honest.
    per_request = max(0.5, min(env.timeout_s, interval_s * 2))
    with make_client(env, retries=0, timeout_s=per_request) as client:
        while True:
            polls += 1
            ready, seen = _poll(client, env, expected)
            elapsed = clock() - start
            progress(f"prodready gate: {elapsed:5.1f} s, poll {polls}: {seen}")
            if ready:
                return GateResult(True, elapsed, polls, seen)
            remaining = timeout_s - elapsed
            if remaining <= 0:
                return GateResult(False, elapsed, polls, seen)
            time.sleep(min(interval_s, remaining))
