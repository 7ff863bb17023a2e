"""A pytest plugin for the harness's child runs: at exit, write the process's peak RSS.

``-p tests.faults.rss_probe`` with ``FAULT_HARNESS_RSS_FILE=path``. It reads ``VmHWM`` from
/proc/self/status, the high-water mark of this process's own memory since ``exec``:
``ru_maxrss`` (``wait4``, ``RUSAGE_CHILDREN``) also counts the pages of the parent it was
forked from, so a child of a 100 MB pytest never reads below 100 MB.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

RSS_FILE_VAR = "FAULT_HARNESS_RSS_FILE"


def peak_rss_kib() -> int | None:
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return None


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    target = os.environ.get(RSS_FILE_VAR)
    peak = peak_rss_kib()
    if target and peak is not None:
        Path(target).write_text(str(peak))
