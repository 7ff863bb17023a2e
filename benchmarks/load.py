"""Load generator throughput: pytest-prodready's harness versus the plain locust CLI.

One run each (``--runs N``: alternating order, medians) with the same locustfile
(``locustfiles/smoke.py``, no think time), users, duration and target: nginx answering 200
from memory on 127.0.0.1 (so the generator, not the target, is the limit), or ``--target
demo`` for the embedded demo over HTTPS. Prints requests/s of both and their ratio (target:
harness / CLI >= 0.95), then ``wrk``'s figure on the same target when wrk is installed, as
the ceiling of what this machine can generate.

    python benchmarks/load.py [--users 20] [--duration 15] [--target nginx|demo] [--runs 1]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pytest_prodready.config import Environment, HealthEndpoint
from pytest_prodready.config.load import LoadSpec
from pytest_prodready.load import runner as load

ROOT = Path(__file__).resolve().parent.parent
LOCUSTFILE = ROOT / "locustfiles" / "smoke.py"
NO_THINK = ("--prodready-think-time", "0")
TARGET_RATIO = 0.95


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@contextmanager
def nginx(workdir: Path) -> Iterator[Environment]:
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(binary).exists():
        sys.exit("nginx is not installed (apt-get install -y nginx-light), or use --target demo")
    port = free_port()
    conf = workdir / "nginx.conf"
    conf.write_text(
        textwrap.dedent(
            f"""
            daemon off;
            master_process off;
            worker_processes 1;
            pid {workdir}/nginx.pid;
            error_log {workdir}/error.log warn;
            events {{ worker_connections 1024; }}
            http {{
                access_log off;
                client_body_temp_path {workdir}/body;
                proxy_temp_path {workdir}/proxy;
                fastcgi_temp_path {workdir}/fastcgi;
                uwsgi_temp_path {workdir}/uwsgi;
                scgi_temp_path {workdir}/scgi;
                server {{
                    listen 127.0.0.1:{port};
                    location = /api/health {{ return 200 '{{"status":"ok"}}'; }}
                    location / {{ return 200 'ok'; }}
                }}
            }}
            """
        )
    )
    proc = subprocess.Popen([binary, "-p", str(workdir), "-c", str(conf)], stderr=subprocess.PIPE)
    try:
        for _ in range(100):
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        else:
            sys.exit(f"nginx did not start: {proc.stderr.read() if proc.stderr else ''}")
        yield Environment("bench", f"http://127.0.0.1:{port}")
    finally:
        proc.terminate()
        proc.wait(10)


@contextmanager
def demo(workdir: Path) -> Iterator[Environment]:
    from pytest_prodready.demo import DemoServer, DemoSettings

    settings = DemoSettings(variant="demo", admin_password="bench-pw", api_token="bench-tok")
    with DemoServer(settings, workdir) as server:
        yield Environment("bench", server.base_url, ca_bundle=server.ca_bundle)


def harness(env: Environment, spec: LoadSpec, workdir: Path) -> tuple[float, int, str]:
    result = load.run(env, spec, Path(tempfile.mkdtemp(dir=workdir)), extra_args=NO_THINK)
    cpu = "n/a" if result.cpu_percent is None else f"{result.cpu_percent:.0f} %"
    # Both sides divide by the same nominal duration: the harness's own rps is over the whole
    # run, the CLI's over first-to-last request, and comparing those would favour the CLI.
    requests = result.total.requests
    return requests / spec.duration_s, requests, f"generator CPU {cpu}"


def cli(env: Environment, spec: LoadSpec, workdir: Path) -> tuple[float, int, str]:
    stats = Path(tempfile.mkdtemp(dir=workdir)) / "cli"
    argv = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless"]
    argv += ["-u", str(spec.users), "-r", str(spec.users), "-t", f"{spec.duration_s:.0f}s"]
    argv += ["-H", str(env.base_url), "--only-summary", "--json-file", str(stats), *NO_THINK]
    argv += ["--prodready-pages", ",".join(env.page_paths)]
    argv += ["--prodready-health", ",".join(h.path for h in env.health)]
    if env.ca_bundle is not None:
        argv += ["--prodready-ca-bundle", str(env.ca_bundle)]
    proc = subprocess.run(
        argv, capture_output=True, text=True, timeout=spec.duration_s + 60, check=False
    )
    try:
        entries = json.loads(stats.with_name("cli.json").read_text())
    except (OSError, ValueError):
        sys.exit(f"locust CLI failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    requests = sum(e["num_requests"] for e in entries)
    return requests / spec.duration_s, requests, f"exit code {proc.returncode}"


def wrk(env: Environment, spec: LoadSpec) -> str:
    binary = shutil.which("wrk")
    if binary is None:
        return "wrk: not installed (apt-get install -y wrk) - no generator ceiling"
    argv = [binary, "-t1", f"-c{spec.users}", f"-d{spec.duration_s:.0f}s", f"{env.base_url}/"]
    out = subprocess.run(
        argv, capture_output=True, text=True, timeout=spec.duration_s + 30, check=False
    )
    match = re.search(r"Requests/sec:\s+([\d.]+)", out.stdout)
    figure = f"{float(match.group(1)):8.1f} req/s" if match else f"unreadable: {out.stdout}"
    return f"wrk (1 thread, {spec.users} connections): {figure}  (generator ceiling)"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--target", choices=("nginx", "demo"), default="nginx")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    spec = LoadSpec(
        locustfile=LOCUSTFILE,
        users=args.users,
        spawn_rate=float(args.users),
        duration_s=float(args.duration),
    )
    with tempfile.TemporaryDirectory(prefix="prodready-bench-") as tmp:
        workdir = Path(tmp)
        serve = nginx if args.target == "nginx" else demo
        with serve(workdir) as target:
            env = Environment(
                "bench",
                target.base_url,
                ca_bundle=target.ca_bundle,
                health=(HealthEndpoint("/api/health"),),
            )
            print(
                f"target {args.target} at {env.base_url}; {LOCUSTFILE.relative_to(ROOT)}, "
                f"{spec.users} users, {args.duration} s, no think time, one process"
            )
            cli_figures, ours_figures = [], []
            for run in range(args.runs):
                # Alternating order, so neither side always runs on a warmer machine.
                for side in ("cli", "harness") if run % 2 == 0 else ("harness", "cli"):
                    if side == "cli":
                        rps, n, note = cli(env, spec, workdir)
                        cli_figures.append(rps)
                        print(f"plain locust CLI:  {rps:8.1f} req/s  ({n} requests; {note})")
                    else:
                        rps, n, note = harness(env, spec, workdir)
                        ours_figures.append(rps)
                        print(f"pytest-prodready:  {rps:8.1f} req/s  ({n} requests; {note})")
            cli_rps, ours_rps = statistics.median(cli_figures), statistics.median(ours_figures)
            ratio = ours_rps / cli_rps if cli_rps else 0.0
            verdict = "OK" if ratio >= TARGET_RATIO else "BELOW TARGET"
            label = "" if args.runs == 1 else f" (medians of {args.runs})"
            print(
                f"ratio harness / CLI{label}: {ours_rps:.1f} / {cli_rps:.1f} = {ratio:.3f}  "
                f"(target >= {TARGET_RATIO}: {verdict})"
            )
            print(wrk(env, spec))


if __name__ == "__main__":
    main()
