"""Which processes and listening ports exist: psutil when installed, else /proc (Linux).

Used to prove that a stopped server or an interrupted run leaves nothing behind.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

try:
    import psutil  # type: ignore[import-untyped]
except ImportError:  # not a declared dependency: /proc answers the same questions on Linux
    psutil = None

__all__ = ["accepts_connections", "alive", "descendants", "listening_ports"]

_TCP_LISTEN = "0A"  # the state column of /proc/net/tcp for LISTEN


def alive(pid: int) -> bool:
    """Whether ``pid`` runs; a zombie (exited, not yet reaped) does not count."""
    if psutil is not None:
        try:
            status: str = psutil.Process(pid).status()
        except psutil.NoSuchProcess:
            return False
        return bool(status != psutil.STATUS_ZOMBIE)
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # The state letter follows the command name, which is in parentheses and may hold spaces.
    return stat.rpartition(")")[2].split()[0] != "Z"


def descendants(pid: int) -> set[int]:
    """Children, grandchildren, ... of ``pid`` right now."""
    if psutil is not None:
        try:
            return {child.pid for child in psutil.Process(pid).children(recursive=True)}
        except psutil.NoSuchProcess:
            return set()
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rpartition(")")[2].split()[1])
    found: set[int] = set()
    frontier = {pid}
    # Bounded by the process table: each pid is added at most once.
    for _ in range(len(parents) + 1):
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        if not frontier:
            break
        found |= frontier
    return found


def listening_ports(pid: int) -> set[int]:
    """TCP ports ``pid`` listens on (IPv4 and IPv6)."""
    if psutil is not None:
        try:
            connections = psutil.Process(pid).net_connections(kind="tcp")
        except psutil.NoSuchProcess:
            return set()
        return {c.laddr.port for c in connections if c.status == psutil.CONN_LISTEN}
    inodes: set[str] = set()
    try:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:
        return set()
    ports: set[int] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if fields[3] == _TCP_LISTEN and fields[9] in inodes:
                ports.add(int(fields[1].rpartition(":")[2], 16))
    return ports


def accepts_connections(port: int, host: str = "127.0.0.1") -> bool:
    """Whether anything (in any process) accepts a TCP connection on ``host:port``."""
    with socket.socket() as sock:
        sock.settimeout(1.0)
        return sock.connect_ex((host, port)) == 0
