"""A real authoritative DNS server, Debian's NSD, on 127.0.0.1 serving zones written per test."""

from __future__ import annotations

import shutil
import socket
import subprocess
import textwrap
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.servers import free_port

NSD = shutil.which("nsd") or "/usr/sbin/nsd"

SOA = """\
$ORIGIN {zone}.
$TTL 60
@ IN SOA ns.{zone}. hostmaster.{zone}. 1 3600 600 86400 60
@ IN NS ns.{zone}.
ns IN A 127.0.0.1
"""


@contextmanager
def nsd(workdir: Path, zones: Mapping[str, str]) -> Iterator[int]:
    """Serve ``zones`` (zone name → records in zone-file syntax, SOA and NS added) on a free
    loopback port, in the foreground and unprivileged; yields the port."""
    if not Path(NSD).exists():
        pytest.skip("nsd is not installed (apt-get install -y nsd); .ci/run installs it")
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    entries = []
    for zone, records in zones.items():
        (workdir / f"{zone}.zone").write_text(
            SOA.format(zone=zone) + textwrap.dedent(records), encoding="utf-8"
        )
        entries.append(f"zone:\n  name: {zone}\n  zonefile: {zone}.zone\n")
    conf = workdir / "nsd.conf"
    conf.write_text(
        textwrap.dedent(
            f"""\
            server:
              ip-address: 127.0.0.1@{port}
              username: ""
              chroot: ""
              zonesdir: "{workdir}"
              database: ""
              pidfile: "{workdir}/nsd.pid"
              xfrdfile: "{workdir}/xfrd.state"
              zonelistfile: "{workdir}/zone.list"
              logfile: "{workdir}/nsd.log"
              server-count: 1
              verbosity: 1
            remote-control:
              control-enable: no
            """
        )
        + "".join(entries),
        encoding="utf-8",
    )
    proc = subprocess.Popen(
        [NSD, "-d", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        # NSD opens its TCP and UDP sockets together, then reads the zones: wait for the log.
        deadline = time.monotonic() + 10
        log = workdir / "nsd.log"
        while True:
            with socket.socket() as sock:
                listening = sock.connect_ex(("127.0.0.1", port)) == 0
            if listening and log.is_file() and "nsd started" in log.read_text():
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                text = log.read_text() if log.is_file() else ""
                raise RuntimeError(f"nsd did not start: {text}")
            time.sleep(0.02)
        if "error" in log.read_text():
            raise RuntimeError(f"nsd refused a zone: {log.read_text()}")
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
