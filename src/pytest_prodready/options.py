"""Command-line options and ini keys, each parsed with the exact grammar in its error."""

from __future__ import annotations

import argparse
import os

import pytest

from pytest_prodready.core.findings import Severity
from pytest_prodready.target.selection import CONFIG_VAR, EXPECT_VERSION_VAR, TARGET_ENV_VAR

__all__ = ["BUILTIN_SUITES_VAR", "MAX_WAIT_S", "builtin_suites_wanted", "pytest_addoption"]

MAX_WAIT_S = 3600.0
BUILTIN_SUITES_VAR = "PRODREADY_BUILTIN_SUITES"
_YES, _NO = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("prodready", "pytest-prodready (production-readiness checks)")
    group.addoption(
        "--target-env",
        metavar="NAME",
        default=None,
        help=f"environment to check, from prodready.toml (also ${TARGET_ENV_VAR}, "
        "ini prodready_target_env, then default_env).",
    )
    group.addoption(
        "--prodready-config",
        metavar="PATH",
        default=None,
        help=f"configuration file (also ${CONFIG_VAR}); default: prodready.toml or "
        "[tool.prodready] in pyproject.toml at the rootdir.",
    )
    group.addoption(
        "--prodready-dotenv",
        metavar="PATH",
        default=None,
        help="a .env file to read secret variables from (real environment variables win).",
    )
    group.addoption(
        "--allow-destructive",
        metavar="ENV",
        default=None,
        help="run destructive, load and rate-limit tests on the protected environment ENV; "
        "ENV must name the protected environment the run reaches: the target, or the "
        "protected environment whose origin it uses.",
    )
    group.addoption(
        "--expect-version",
        metavar="VALUE",
        default=None,
        help=f"the release the target must report (also ${EXPECT_VERSION_VAR}), e.g. a SHA.",
    )
    group.addoption(
        "--wait-for-version",
        metavar="VALUE",
        default=None,
        help="before any test, wait until the target reports this release and is healthy.",
    )
    group.addoption(
        "--wait-timeout",
        metavar="SECONDS",
        type=_seconds,
        default=300.0,
        help="how long --wait-for-version waits (default 300).",
    )
    group.addoption(
        "--wait-interval",
        metavar="SECONDS",
        type=_seconds,
        default=5.0,
        help="pause between --wait-for-version polls (default 5).",
    )
    group.addoption(
        "--fail-on",
        metavar="SEVERITY",
        type=_severity,
        default=Severity.LOW,
        help="lowest finding severity that fails a test: high, medium, low (default) or info; "
        "findings below it are reported, not failed.",
    )
    group.addoption(
        "--prodready-json",
        metavar="PATH",
        default=None,
        help="write the JSON summary (versioned schema: env, outcomes, findings, figures).",
    )
    group.addoption(
        "--prodready-sarif",
        metavar="PATH",
        default=None,
        help="write the findings as SARIF 2.1.0, for code-scanning dashboards.",
    )
    group.addoption(
        "--prodready-artifacts",
        metavar="MODE",
        default=None,
        help="what failed browser tests keep (also $PRODREADY_ARTIFACTS): auto (default: "
        "screenshots; traces too except on protected envs), screenshots, all or none.",
    )
    group.addoption(
        "--no-builtin-suites",
        action="store_false",
        dest="builtin_suites",
        default=None,
        help="with a target environment chosen and no paths given, do not collect the suites "
        f"that ship with pytest-prodready beside your tests (also ${BUILTIN_SUITES_VAR}=0, "
        "ini prodready_builtin_suites = false).",
    )
    from pytest_prodready.report.outputs import add_options

    add_options(group, parser)
    parser.addini("prodready_target_env", "default target environment for pytest-prodready")
    parser.addini(
        "prodready_builtin_suites",
        "collect the suites that ship with pytest-prodready when --target-env, "
        f"${TARGET_ENV_VAR} or prodready_target_env chooses an environment and no paths are "
        "given (default true)",
        type="bool",
        default=True,
    )


def builtin_suites_wanted(config: pytest.Config) -> bool:
    """Whether the shipped suites may join a run without paths: --no-builtin-suites, then
    $PRODREADY_BUILTIN_SUITES, then ini prodready_builtin_suites (default true)."""
    if config.getoption("builtin_suites") is False:
        return False
    value = os.environ.get(BUILTIN_SUITES_VAR, "").strip()
    if value.lower() in _YES + _NO:
        return value.lower() in _YES
    if value:
        raise pytest.UsageError(
            f"prodready: ${BUILTIN_SUITES_VAR} is {value!r}, which is neither on nor off. "
            f"Set it to 0 (or false, no, off) to leave the shipped suites out of runs without "
            "paths, to 1 (or true, yes, on) to collect them, or unset it."
        )
    return bool(config.getini("prodready_builtin_suites"))


def _severity(text: str) -> Severity:
    try:
        return Severity.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= MAX_WAIT_S:
        raise argparse.ArgumentTypeError(
            f"must be a number of seconds greater than 0 and at most {MAX_WAIT_S:g}, got {text!r}"
        )
    return value
