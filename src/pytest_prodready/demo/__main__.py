"""`python -m pytest_prodready.demo [--variant demo|demo-broken]`: serve until Ctrl-C."""

from __future__ import annotations

import argparse
import secrets
import signal
import tempfile
import threading
from pathlib import Path

from pytest_prodready.demo.server import DemoServer
from pytest_prodready.demo.settings import VARIANTS, DemoSettings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pytest_prodready.demo",
        description="Serve the pytest-prodready demo target on 127.0.0.1 until Ctrl-C.",
    )
    parser.add_argument("--variant", choices=VARIANTS, default="demo")
    parser.add_argument("--request-log", type=Path, help="append one JSON line per request")
    args = parser.parse_args(argv)
    settings = DemoSettings(
        variant=args.variant,
        # Fresh per run: a demo that is reachable only from this machine still gets no
        # well-known password.
        admin_password=secrets.token_urlsafe(12),
        api_token=secrets.token_urlsafe(24),
        request_log=args.request_log,
    )
    with (
        tempfile.TemporaryDirectory(prefix="prodready-demo-") as workdir,
        DemoServer(settings, Path(workdir)) as server,
    ):
        print(f"variant:   {settings.variant}")
        print(f"https:     {server.base_url}/")
        print(f"http:      {server.http_url}/")
        print(f"CA bundle: {server.ca_bundle}")
        print(f"login:     {settings.admin_username} / {settings.admin_password}")
        print(f"API token: {settings.api_token}")
        print(f"try:       curl --cacert {server.ca_bundle} {server.base_url}/api/health")
        print("Press Ctrl-C to stop.", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            # Stopping takes a fraction of a second; a second Ctrl-C would only interrupt
            # the cleanup and leave a traceback.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            print("stopping")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
