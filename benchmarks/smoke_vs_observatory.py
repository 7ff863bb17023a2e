"""Smoke security beside the MDN HTTP Observatory CLI, on one hardened nginx + Django target.

Starts the field test bed's correct Django deployment (gunicorn behind nginx, TLS from a
private CA) and, in alternation, times:

- ours: ``pytest -m "smoke and security" --target-env field`` from the repository root (so
  its ``addopts`` apply, as in a user's project that follows docs/performance.md);
- theirs: ``mdn-http-observatory-scan 127.0.0.1`` (``@mdn/mdn-http-observatory`` from the npm
  registry, installed once into ``benchmarks/.observatory`` with ``--ignore-scripts``: its
  install step downloads a CA bundle and the HSTS preload list, which this machine cannot;
  it gets the deployment's CA through ``NODE_EXTRA_CA_CERTS`` and an empty preload list).
  The CLI scans ports 443 and 80 only, so a TCP relay on 127.0.0.1:443 and :80 (root, or
  ``CAP_NET_BIND_SERVICE``) forwards to the deployment's ports.

Then the embedded demo's whole smoke run (``pytest suites -m smoke --target-env demo``).
Prints medians of ``--runs`` and the ratio. Targets: ours <= 1.5x the Observatory; the demo
smoke <= 1.2 s. Child runs get the environment without ``PYTHONDONTWRITEBYTECODE``: a user's
Python caches bytecode.

    python benchmarks/smoke_vs_observatory.py [--runs 5]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.field.bed import ENV  # noqa: E402
from tests.field.django_stack import django_stack  # noqa: E402

OBSERVATORY = "@mdn/mdn-http-observatory@1.4.8"
CACHE = ROOT / "benchmarks" / ".observatory"
PACKAGE = CACHE / "node_modules" / "@mdn" / "mdn-http-observatory"


def child_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k != "PYTHONDONTWRITEBYTECODE" and not k.startswith(("PRODREADY_", "PYTEST_"))
    }
    env.update(extra)
    return env


def install_observatory() -> Path:
    """The Observatory's scan script, installed once (no install scripts: no download)."""
    scan = PACKAGE / "src" / "scan.js"
    if not scan.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        print(f"installing {OBSERVATORY} into {CACHE} (once) ...", flush=True)
        subprocess.run(
            [
                "npm",
                "install",
                "--ignore-scripts",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(CACHE),
                OBSERVATORY,
            ],
            check=True,
            capture_output=True,
            timeout=600,
        )
    conf = PACKAGE / "conf"
    # What its install scripts would have downloaded: nothing on loopback is preloaded.
    for name, empty in (("hsts-preload.json", "{}"), ("tld-list.json", "[]")):
        if not (conf / name).exists():
            (conf / name).write_text(empty, encoding="utf-8")
    return scan


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)


@contextlib.contextmanager
def relay(listen_port: int, target_port: int) -> Iterator[None]:
    """Forward 127.0.0.1:listen_port to 127.0.0.1:target_port, byte for byte."""
    server = socket.create_server(("127.0.0.1", listen_port), reuse_port=False)
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                client, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", target_port))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pipe, args=(a, b), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        server.close()


def timed(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    elapsed = time.perf_counter() - start
    return elapsed, proc.stdout + proc.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    scan = install_observatory()
    ours_s: list[float] = []
    theirs_s: list[float] = []
    demo_s: list[float] = []
    with tempfile.TemporaryDirectory(prefix="prodready-vs-observatory-") as tmp:
        work = Path(tmp)
        with django_stack("good", work / "django") as stack:
            config = work / "prodready.toml"
            config.write_text(stack.target().config(), encoding="utf-8")
            ours = [sys.executable, "-m", "pytest", "suites", "-m", "smoke and security"]
            ours += ["--prodready-config", str(config), "--target-env", ENV, "-q"]
            # pytest's cache on, as a user's run has it (it keeps detect-secrets' patterns),
            # in the temporary directory; the warm-up run below fills it.
            ours += ["-o", f"cache_dir={work / 'pytest-cache'}"]
            theirs = ["node", str(scan), "127.0.0.1"]
            ours_env = child_env(**dict(stack.target().secrets))
            theirs_env = child_env(NODE_EXTRA_CA_CERTS=str(stack.ca_bundle))
            try:
                relays = contextlib.ExitStack()
                relays.enter_context(relay(443, stack.https_port))
                relays.enter_context(relay(80, stack.http_port))
            except OSError as exc:
                sys.exit(
                    f"cannot listen on 127.0.0.1:443 and :80 for the Observatory ({exc}): run "
                    "as root (or with CAP_NET_BIND_SERVICE) with those ports free."
                )
            with relays:
                _, first = timed(theirs, theirs_env)
                result = json.loads(first[first.index("{") :])
                if "error" in result:
                    sys.exit(f"the Observatory could not scan the target: {result['error']}")
                _, _mine = timed(ours, ours_env)  # warm: bytecode caches
                for _ in range(runs):
                    took, output = timed(ours, ours_env)
                    ours_s.append(took)
                    took, _ = timed(theirs, theirs_env)
                    theirs_s.append(took)
        demo = [sys.executable, "-m", "pytest", "suites", "-m", "smoke", "--target-env", "demo"]
        demo += ["-q", "-o", f"cache_dir={work / 'pytest-cache'}"]
        timed(demo, child_env())
        for _ in range(runs):
            demo_s.append(timed(demo, child_env())[0])
    counted = [line for line in output.splitlines() if " passed" in line or " failed" in line]
    scan_facts = result["scan"]
    ours_median, theirs_median = statistics.median(ours_s), statistics.median(theirs_s)
    print(f"target: Django 5.2 + gunicorn behind nginx (correct variant), {runs} runs each")
    print(
        f"ours   (smoke and security): median {ours_median:.2f} s  "
        f"[{', '.join(f'{t:.2f}' for t in ours_s)}]  {counted[-1].strip() if counted else ''}"
    )
    print(
        f"Observatory CLI 1.4.8      : median {theirs_median:.2f} s  "
        f"[{', '.join(f'{t:.2f}' for t in theirs_s)}]  {len(result['tests'])} tests, grade "
        f"{scan_facts.get('grade')} ({scan_facts.get('score')})"
    )
    print(f"ratio ours/Observatory: {ours_median / theirs_median:.2f}x (target <= 1.5x)")
    print(
        f"embedded demo, whole smoke run: median {statistics.median(demo_s):.2f} s  "
        f"[{', '.join(f'{t:.2f}' for t in demo_s)}] (target <= 1.2 s)"
    )


if __name__ == "__main__":
    main()
