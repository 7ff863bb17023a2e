"""Run history: each run's JSON summary kept in a directory (the last N per environment), and
what is new, fixed and still open since the previous run of the same environment."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Drift", "append", "drift", "load_runs"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _file_stem(env: str) -> str:
    return _UNSAFE.sub("_", env) or "env"


def load_runs(directory: Path, env: str) -> list[dict[str, Any]]:
    """The environment's earlier summaries, oldest first (unreadable files are skipped: a
    history is a convenience, never a reason to fail a run)."""
    runs: list[dict[str, Any]] = []
    for path in sorted(directory.glob(f"{_file_stem(env)}--*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and (data.get("env") or {}).get("name") == env:
            runs.append(data)
    return runs


def append(directory: Path, summary: dict[str, Any], text: str, keep: int) -> Path:
    """Write this run's (already scrubbed) summary text and drop the environment's oldest runs
    beyond ``keep``."""
    directory.mkdir(parents=True, exist_ok=True)
    env = summary["env"]["name"]
    stamp = re.sub(r"[^0-9T]", "", summary["started"])[:15]
    stem = _file_stem(env)
    path = directory / f"{stem}--{stamp}.json"
    n = 1
    while path.exists():
        n += 1
        path = directory / f"{stem}--{stamp}-{n}.json"
    path.write_text(text + "\n", encoding="utf-8")
    for old in sorted(directory.glob(f"{stem}--*.json"))[:-keep]:
        old.unlink(missing_ok=True)
    return path


def _key(finding: dict[str, Any]) -> tuple[str, str]:
    # By test, not URL: the test id names the page it checks, while some URLs differ on every
    # run (a probe for a random missing path) and would read as one fixed and one new.
    return finding["id"], finding.get("test") or finding.get("url") or ""


@dataclass(frozen=True)
class Drift:
    """Failing findings, keyed by id and test, against the previous run (None: no previous)."""

    new: list[dict[str, Any]]
    fixed: list[dict[str, Any]]
    still_open: list[dict[str, Any]]
    previous: dict[str, Any] | None


def _failing(summary: dict[str, Any] | None) -> dict[tuple[str, str], dict[str, Any]]:
    if summary is None:
        return {}
    keyed: dict[tuple[str, str], dict[str, Any]] = {}
    for finding in summary.get("findings", []):
        if finding.get("status", "failing") == "failing":
            keyed.setdefault(_key(finding), finding)
    return keyed


def drift(previous: dict[str, Any] | None, current: dict[str, Any]) -> Drift:
    before, now = _failing(previous), _failing(current)
    return Drift(
        new=[now[k] for k in sorted(set(now) - set(before))],
        fixed=[before[k] for k in sorted(set(before) - set(now))],
        still_open=[now[k] for k in sorted(set(now) & set(before))],
        previous=previous,
    )
