"""Real front-end library releases, installed from the npm registry for the library tests.

``tests/vendor_libs/package.json`` (and its lock file) pin each release under an alias
(``jquery-1.12.4`` is ``npm:jquery@1.12.4``): the vulnerable ones and the releases that fix
them. ``npm ci`` runs once per machine, under an exclusive file lock (xdist workers may ask at
once), and leaves a stamp with the lock file's hash so later sessions reuse the install.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from tests.locks import exclusive

__all__ = ["MODULES", "ROOT", "ensure_installed", "npm_missing", "release"]

ROOT = Path(__file__).resolve().parent / "vendor_libs"
MODULES = ROOT / "node_modules"
LOCK = ROOT / ".build.lock"
STAMP = ROOT / ".build-stamp"
# Measured: ~6-15 s on a 2-core runner with a warm npm cache.
NPM_CI_TIMEOUT_S = 600.0
LOCK_TIMEOUT_S = NPM_CI_TIMEOUT_S + 60.0


def npm_missing() -> str | None:
    """Why the releases cannot be installed here, or None."""
    if shutil.which("npm") is None:
        return (
            "npm not found on PATH: the library tests install real releases with npm ci "
            "(Debian: apt-get install -y nodejs npm)"
        )
    return None


def _fingerprint() -> str:
    return hashlib.sha256((ROOT / "package-lock.json").read_bytes()).hexdigest()


def ensure_installed() -> Path:
    """``node_modules`` with every pinned release, installed if the stamp is stale."""
    with exclusive(LOCK, LOCK_TIMEOUT_S, RuntimeError):
        wanted = _fingerprint()
        if MODULES.is_dir() and STAMP.exists() and STAMP.read_text() == wanted:
            return MODULES
        done = subprocess.run(
            ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=NPM_CI_TIMEOUT_S,
            check=False,
            env={**os.environ, "npm_config_update_notifier": "false"},
        )
        if done.returncode != 0:
            raise RuntimeError(f"npm ci failed (exit {done.returncode}): {done.stderr[-2000:]}")
        STAMP.write_text(wanted)
        return MODULES


def release(alias: str, path: str) -> bytes:
    """The bytes of ``path`` inside the installed release ``alias`` (``jquery-1.12.4``)."""
    return (MODULES / alias / path).read_bytes()
