"""The child processes of a load run: start them, stream their output, and always stop them.

Each child starts in its own session, so one signal to its process group reaches everything
it forked (locust ``--processes`` forks its workers) and a terminal's Ctrl-C reaches only
pytest, which then stops the children in order: SIGTERM (locust shuts down and still
writes its results), a grace period, then SIGKILL for whatever is left.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import socket
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

__all__ = ["Outcome", "alive", "free_port", "supervise"]

POLL_S = 0.1
STOP_GRACE_S = 8.0
KILL_WAIT_S = 5.0
READER_JOIN_S = 2.0
TAIL_LINES = 40


@dataclass(frozen=True)
class Outcome:
    """How the children ended: the first one's exit code (None if it had to be stopped)."""

    returncode: int | None
    timed_out: bool
    tail: tuple[str, ...]
    pids: tuple[int, ...]


def free_port() -> int:
    """A loopback port nothing listens on now (bound, then released) for locust's master."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def alive(pid: int) -> bool:
    """Whether ``pid`` is a running process (a zombie, already dead, counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    # The state follows the parenthesised command name, which may itself contain ") ".
    return stat.rpartition(")")[2].split()[:1] not in (["Z"], ["X"])


def supervise(
    commands: Sequence[Sequence[str]],
    *,
    env: Mapping[str, str],
    cwd: Path,
    deadline_s: float,
    progress: Callable[[str], None],
    progress_prefix: str,
) -> Outcome:
    """Run ``commands`` (the first is the one whose exit ends the run) until it exits or
    ``deadline_s`` passes; forward its progress lines; stop every child before returning,
    also when interrupted (the interrupt is re-raised once the children are gone)."""
    procs: list[subprocess.Popen[str]] = []
    readers: list[threading.Thread] = []
    lines: queue.Queue[str] = queue.Queue()
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    timed_out = False
    try:
        for command in commands:
            proc = subprocess.Popen(
                list(command),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                encoding="utf-8",
                errors="replace",
                bufsize=1,
                env=dict(env),
                cwd=cwd,
                start_new_session=True,
            )
            procs.append(proc)
            assert proc.stdout is not None
            reader = threading.Thread(target=_pump, args=(proc.stdout, lines), daemon=True)
            reader.start()
            readers.append(reader)
        end = time.monotonic() + deadline_s
        while procs[0].poll() is None:
            _drain(lines, tail, progress, progress_prefix)
            if time.monotonic() > end:
                timed_out = True
                break
            time.sleep(POLL_S)
    finally:
        with _no_interrupts():
            stop(procs)
            for reader in readers:
                reader.join(READER_JOIN_S)
    _drain(lines, tail, progress, progress_prefix)
    code = None if timed_out or not procs else procs[0].returncode
    return Outcome(code, timed_out, tuple(tail), tuple(p.pid for p in procs))


def stop(procs: Sequence[subprocess.Popen[str]]) -> None:
    """SIGTERM every child's process group, wait a grace period, SIGKILL what is left."""
    # Groups are signalled before any child is reaped: a reaped leader's id could be reused.
    live = [p for p in procs if _group_exists(p.pid)]
    for proc in live:
        _signal_group(proc.pid, signal.SIGTERM)
    end = time.monotonic() + STOP_GRACE_S
    for proc in live:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(max(0.0, end - time.monotonic()))
    for proc in live:
        _signal_group(proc.pid, signal.SIGKILL)
    for proc in procs:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(KILL_WAIT_S)


def _group_exists(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _signal_group(pgid: int, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


def _pump(stream: IO[str], lines: queue.Queue[str]) -> None:
    # Ends at EOF, which comes once every process holding the pipe has exited.
    with stream:
        for line in stream:
            lines.put(line.rstrip("\n"))


def _drain(
    lines: queue.Queue[str], tail: deque[str], progress: Callable[[str], None], prefix: str
) -> None:
    # On the caller's thread: a progress callback may write to pytest's terminal.
    for _ in range(lines.qsize()):
        try:
            line = lines.get_nowait()
        except queue.Empty:
            return
        if line.startswith(prefix):
            progress(line)
        else:
            tail.append(line)


@contextlib.contextmanager
def _no_interrupts() -> Iterator[None]:
    # A second Ctrl-C during the few seconds of cleanup would orphan the children.
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
