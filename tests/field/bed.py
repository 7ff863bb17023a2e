"""The field test bed's runner: the shipped suites, in their own pytest process, against a
real third-party stack on 127.0.0.1, read back from the JSON summary and JUnit XML.

A stack module describes its target as a :class:`Target` (the ``[envs.field]`` table and the
secrets it names) and its expectations as two sets per selection: the finding ids the
misconfigured variant must raise (a missing one is a *miss*), and nothing at all on the good
variant (any failing finding or failed test there is a *false alarm*). Findings reported
below the failing threshold (info, by default) are neither: they are advice.
"""

from __future__ import annotations

import dataclasses
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tests.faults import harness

__all__ = [
    "ENV",
    "GROUPS",
    "Ledger",
    "Run",
    "Target",
    "false_alarms",
    "misses",
    "run_suites",
    "without_defects",
]

ROOT = Path(__file__).resolve().parents[2]
ENV = "field"


# The suites' groups the docs' table reports on: security (TLS, headers, CSP, cookies,
# CORS, exposure, bundle), health (health, release, pages), rate limits, flows (browser and
# flows suites) and contracts.
GROUPS = ("security", "health", "rate limits", "flows", "contracts")


@dataclass(frozen=True)
class Ledger:
    """One stack's expectations: per group, the finding ids its misconfigured variant must
    fail on. The good variant must fail on none (asserted, so the docs' false-alarm
    column is 0 by construction, and so is the miss column)."""

    stack: str
    misconfigured: Mapping[str, frozenset[str]]

    def __post_init__(self) -> None:
        unknown = set(self.misconfigured) - set(GROUPS)
        if unknown:
            raise ValueError(f"unknown groups {sorted(unknown)}: use {GROUPS}")

    @property
    def expected(self) -> frozenset[str]:
        return frozenset().union(*self.misconfigured.values())


@dataclass(frozen=True)
class Target:
    """A field target as the suites see it.

    ``env_toml`` is the body of ``[envs.field]`` after ``base_url`` (its sub-tables may follow,
    spelled ``[envs.field.…]``); ``secrets`` are the environment variables the run gets.
    """

    base_url: str
    env_toml: str = ""
    secrets: Mapping[str, str] = field(default_factory=dict)

    def config(self) -> str:
        return f'[envs.{ENV}]\nbase_url = "{self.base_url}"\n' + self.env_toml.strip("\n") + "\n"


@dataclass(frozen=True)
class Run:
    """What one run of the suites said."""

    failing: Mapping[str, tuple[str, ...]]  # finding id -> where it failed (url or test)
    below: frozenset[str]  # ids reported below the threshold (advice)
    failed_tests: Mapping[str, str]  # node id -> first line of its failure
    outcomes: Mapping[str, int]
    output: str
    skipped_tests: Mapping[str, str] = field(default_factory=dict)  # node id -> its reason

    @property
    def fired(self) -> frozenset[str]:
        return frozenset(self.failing)

    def explain(self) -> str:
        lines = [f"outcomes: {dict(self.outcomes)}"]
        lines += [f"  {fid}: {', '.join(where[:3])}" for fid, where in sorted(self.failing.items())]
        lines += [f"  FAILED {node}: {why}" for node, why in sorted(self.failed_tests.items())]
        return "\n".join(lines) + "\n--- output tail ---\n" + self.output[-4000:]


def run_suites(
    target: Target,
    workdir: Path,
    *,
    marks: str,
    suites: Iterable[str] = ("suites",),
    watchdog_s: float = 300,
    extra_args: Iterable[str] = (),
) -> Run:
    """Run ``suites`` with ``-m marks`` against ``target``; SIGKILL after ``watchdog_s``."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "prodready.toml"
    config.write_text(target.config(), encoding="utf-8")
    summary, junit = workdir / "summary.json", workdir / "junit.xml"
    args = [
        *(str(ROOT / s) for s in suites),
        "--prodready-config",
        str(config),
        "--target-env",
        ENV,
        "-m",
        marks,
        "-p",
        "no:cacheprovider",
        "-rfE",
        "--prodready-json",
        str(summary),
        "--junitxml",
        str(junit),
        *extra_args,
    ]
    result = harness.launch(
        args, cwd=workdir, watchdog_s=watchdog_s, env=harness.child_env(dict(target.secrets))
    )
    if result.ret is None:
        raise AssertionError(f"the suites hung past {watchdog_s:g} s:\n{result.output[-4000:]}")
    if not summary.exists():
        raise AssertionError(f"no JSON summary (exit {result.ret}):\n{result.output[-4000:]}")
    data = json.loads(summary.read_text(encoding="utf-8"))
    failing: dict[str, list[str]] = {}
    below: set[str] = set()
    for finding in data["findings"]:
        if finding.get("status") == "failing":
            failing.setdefault(finding["id"], []).append(finding.get("url") or finding["test"])
        else:
            below.add(finding["id"])
    return Run(
        failing={fid: tuple(where) for fid, where in failing.items()},
        below=frozenset(below),
        failed_tests=_tests_with(junit, ("failure", "error")),
        outcomes=data["outcomes"],
        output=result.output,
        skipped_tests=_tests_with(junit, ("skipped",)),
    )


def _tests_with(junit: Path, tags: tuple[str, ...]) -> dict[str, str]:
    """Node id -> the first line of the message of its first JUnit element among ``tags``."""
    if not junit.exists():
        return {}
    found: dict[str, str] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        for tag in tags:
            node = case.find(tag)
            if node is not None:
                name = f"{case.get('classname', '')}::{case.get('name', '')}"
                found[name] = (node.get("message") or tag).splitlines()[0][:200]
    return found


def false_alarms(run: Run) -> list[str]:
    """On a correct deployment: every failing finding and every failed test."""
    alarms = [f"{fid} at {', '.join(where[:3])}" for fid, where in sorted(run.failing.items())]
    alarms += [f"test {node}: {why}" for node, why in sorted(run.failed_tests.items())]
    return alarms


def misses(run: Run, expected: Iterable[str]) -> list[str]:
    """On a misconfigured deployment: each expected id that did not fail the run."""
    return sorted(set(expected) - run.fired)


def without_defects(run: Run, workdir: Path, defects: Iterable[str]) -> Run:
    """``run`` less a stack's known tool defects: their findings, and the tests that only
    they failed (read from the JSON summary ``run_suites`` wrote in ``workdir``)."""
    excused_ids = set(defects)
    summary = json.loads((workdir / "summary.json").read_text(encoding="utf-8"))
    failing_ids: dict[str, set[str]] = {}
    for finding in summary["findings"]:
        if finding.get("status") == "failing":
            # suites/test_x.py::name in the summary is suites.test_x::name in JUnit XML.
            path, _, name = finding["test"].partition("::")
            node = f"{path.removesuffix('.py').replace('/', '.')}::{name}"
            failing_ids.setdefault(node, set()).add(finding["id"])
    excused = {node for node, ids in failing_ids.items() if ids <= excused_ids}
    return dataclasses.replace(
        run,
        failing={fid: where for fid, where in run.failing.items() if fid not in excused_ids},
        failed_tests={n: why for n, why in run.failed_tests.items() if n not in excused},
    )
