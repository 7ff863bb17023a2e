"""The one script behind the GitHub Action (``action.yml``): from its inputs (environment
variables), run the suites with ``--wait-for-version`` and every report, and tell the
workflow where they are.

    python -m pytest_prodready.report.ci                 # run; exit status is pytest's
    python -m pytest_prodready.report.ci --needs-browser # exit 0: browser suites selected

Inputs: ``PRODREADY_CI_ENV`` (required), ``PRODREADY_CI_MARKERS`` (default ``smoke``),
``PRODREADY_CI_EXPECTED_VERSION`` (default ``$GITHUB_SHA``; ``none`` skips the wait),
``PRODREADY_CI_WAIT_TIMEOUT`` (seconds, default 300), ``PRODREADY_CI_REPORTS`` (directory,
default ``prodready-reports``) and ``PRODREADY_CI_ARGS`` (more pytest arguments).
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from pytest_prodready.config.shipped import shipped_dir
from pytest_prodready.core.markexpr import selects

__all__ = ["command", "main", "needs_browser"]


class InputError(Exception):
    """An action input that cannot work, said in one paragraph."""


def _reports(environ: Mapping[str, str]) -> Path:
    return Path(environ.get("PRODREADY_CI_REPORTS") or "prodready-reports")


def needs_browser(markers: str) -> bool:
    """Whether a ``-m`` selection may run the browser suites (so Chromium must be installed).
    They carry ``flows`` alone; an expression this pytest cannot read counts as yes."""
    if not markers.strip():
        return True
    return selects(markers, {"flows"}) is not False


def command(environ: Mapping[str, str]) -> list[str]:
    """The pytest command line the action runs."""
    env = (environ.get("PRODREADY_CI_ENV") or "").strip()
    if not env:
        raise InputError(
            "prodready CI: no environment to check. Set the action's `env` input (or "
            "PRODREADY_CI_ENV) to an environment of your prodready.toml, e.g. `env: prod`."
        )
    markers = environ.get("PRODREADY_CI_MARKERS", "smoke")
    version = (
        environ.get("PRODREADY_CI_EXPECTED_VERSION") or environ.get("GITHUB_SHA") or ""
    ).strip()
    timeout = (environ.get("PRODREADY_CI_WAIT_TIMEOUT") or "300").strip()
    try:
        if not 0 < float(timeout) <= 3600:
            raise ValueError(timeout)
    except ValueError:
        raise InputError(
            f"prodready CI: wait-timeout is {timeout!r}; it must be a number of seconds "
            "greater than 0 and at most 3600. Fix the action's `wait-timeout` input."
        ) from None
    reports = _reports(environ)
    # The shipped suites, from a wheel or an editable install alike.
    suites = shipped_dir("suites")
    if suites is None:
        raise InputError(
            "prodready CI: this installation of pytest-prodready has no shipped suites; "
            "reinstall it (pip install --force-reinstall pytest-prodready)."
        )
    args = [
        sys.executable,
        "-m",
        "pytest",
        str(suites),
        "--target-env",
        env,
        "-p",
        "no:cacheprovider",
        f"--junitxml={reports / 'junit.xml'}",
        f"--prodready-json={reports / 'summary.json'}",
        f"--prodready-sarif={reports / 'prodready.sarif'}",
        f"--prodready-report={reports / 'dashboard.html'}",
        f"--prodready-markdown={reports / 'summary.md'}",
    ]
    if markers.strip():
        args += ["-m", markers]
    if version and version.lower() != "none":
        args += ["--wait-for-version", version, "--wait-timeout", timeout]
    return args + shlex.split(environ.get("PRODREADY_CI_ARGS", ""))


def main(argv: list[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    environ = os.environ if environ is None else environ
    if argv == ["--needs-browser"]:
        return 0 if needs_browser(environ.get("PRODREADY_CI_MARKERS", "smoke")) else 1
    try:
        args = command(environ)
    except InputError as exc:
        print(exc, file=sys.stderr)
        return 4
    _reports(environ).mkdir(parents=True, exist_ok=True)
    print("prodready CI:", shlex.join(args[1:]), flush=True)
    status = subprocess.call(args, env={**environ})
    output = environ.get("GITHUB_OUTPUT")
    if output:
        with open(output, "a", encoding="utf-8") as out:
            out.write(f"reports={_reports(environ)}\nexit-code={status}\n")
    return status


if __name__ == "__main__":
    sys.exit(main())
