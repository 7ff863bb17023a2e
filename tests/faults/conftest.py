"""Fixtures of the fault-injection harness.

A conftest's fixtures reach only the tests below its directory: ``tests/test_faults.py``
imports :func:`fault_server` from here.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.faults.server import FaultServer


@pytest.fixture(scope="session")
def fault_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultServer]:
    """Every fault of :mod:`tests.faults.server` on 127.0.0.1, for the session (per xdist
    worker). When it stops, no thread, connection handler, socket or listening port of it may
    remain, and no handler may have failed for a reason of its own."""
    server = FaultServer(tmp_path_factory.mktemp("fault-server")).start()
    try:
        yield server
    finally:
        server.stop()
    left = server.leftovers() + server.errors
    assert not left, f"the fault server left behind: {'; '.join(left)}"
