"""One exclusive file lock for the tests' once-per-machine installs and builds (the field
build, the pinned Lighthouse, the npm releases): xdist workers may ask for them at once."""

from __future__ import annotations

import contextlib
import fcntl
import time
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = ["exclusive"]


@contextlib.contextmanager
def exclusive(lock: Path, timeout_s: float, error: Callable[[str], Exception]) -> Iterator[None]:
    """Hold ``lock``, waited for at most ``timeout_s``; past that, raise ``error(message)``."""
    with lock.open("a") as handle:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise error(
                        f"waited {timeout_s:g} s for {lock} (another worker holds it)"
                    ) from None
                time.sleep(0.5)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
