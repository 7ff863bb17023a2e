"""Lighthouse for our own tests: the version pinned by ``package-lock.json`` here, installed once
per machine into the (git-ignored) ``node_modules`` beside it.

``npm ci --ignore-scripts`` runs under an exclusive file lock (xdist workers may ask at once)
and leaves a stamp with the hash of the lock file, so a later session reuses the install.
Scripts stay off: Lighthouse needs none, and puppeteer's would download a browser (the tests
use the system Chromium).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from tests.locks import exclusive

__all__ = ["CLI", "HERE", "InstallError", "ensure_lighthouse", "node_missing"]

HERE = Path(__file__).resolve().parent
CLI = HERE / "node_modules" / ".bin" / "lighthouse"
STAMP = HERE / ".build-stamp"
LOCK = HERE / ".build.lock"
LOG = HERE / ".build.log"
# Measured: npm ci of lighthouse 12.8.2 took ~25 s on a 2-core runner.
NPM_CI_TIMEOUT_S = 600.0
LOCK_TIMEOUT_S = NPM_CI_TIMEOUT_S + 60.0
STOP_TIMEOUT_S = 10.0
# lighthouse@12.8.2's package.json engines (13 needs 22.19).
MIN_NODE = (18, 16)


class InstallError(RuntimeError):
    """npm ci failed or ran past its time: one line, then where its output is."""


def node_missing() -> str | None:
    """Why Lighthouse cannot run here (node or npm missing or too old), or None."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (Debian/Ubuntu: apt-get install nodejs npm)"
    out = subprocess.run(
        ["node", "--version"], capture_output=True, text=True, timeout=30, check=False
    ).stdout.strip()
    try:
        version = tuple(int(part) for part in out.lstrip("v").split(".")[:2])
    except ValueError:
        return f"node --version printed {out!r}, not a version"
    if version < MIN_NODE:
        return f"node {out} is too old for lighthouse 12 (needs >= 18.16)"
    return None


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        digest.update((HERE / name).read_bytes())
    return digest.hexdigest()


def _npm_ci() -> float:
    env = {**os.environ, "npm_config_update_notifier": "false", "CI": "1"}
    with LOG.open("wb") as log:
        start = time.monotonic()
        proc = subprocess.Popen(
            ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
            cwd=HERE,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            code = proc.wait(timeout=NPM_CI_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=STOP_TIMEOUT_S)
            raise InstallError(
                f"npm ci of tests/lighthouse ran past {NPM_CI_TIMEOUT_S:g} s and was stopped "
                f"(output in {LOG})"
            ) from None
    if code != 0:
        raise InstallError(f"npm ci of tests/lighthouse failed (exit {code}; output in {LOG})")
    return time.monotonic() - start


def ensure_lighthouse() -> Path:
    """The pinned Lighthouse CLI, installed first when the lock file changed since the stamp
    (bounded, under the lock); :class:`InstallError` in one line on failure."""
    with exclusive(LOCK, LOCK_TIMEOUT_S, InstallError):
        wanted = _fingerprint()
        stamp: dict[str, str] = {}
        with contextlib.suppress(OSError, ValueError):
            stamp = json.loads(STAMP.read_text(encoding="utf-8"))
        if stamp.get("deps") != wanted or not CLI.exists():
            STAMP.unlink(missing_ok=True)
            _npm_ci()
            STAMP.write_text(json.dumps({"deps": wanted}), encoding="utf-8")
    return CLI
