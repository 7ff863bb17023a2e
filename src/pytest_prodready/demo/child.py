"""`python -m pytest_prodready.demo.child`: the embedded demo, in a process of its own.

The test run starts it as early as it can and goes on collecting while this process imports
the app and issues its certificate: on two cores that start-up costs the run nothing, and the
server no longer shares the run's GIL with the client that tests it.

Protocol, one JSON line each way: the parent writes ``{"settings": {...}, "workdir": ...,
"fds": [https, http]}`` (listening sockets it bound, passed with ``pass_fds``; the settings
carry the throwaway credentials, hence a pipe, never argv), this process answers
``{"base_url", "http_url", "ca_bundle"}`` once both listeners serve, or exits non-zero with
one line on stderr. It exits when its standard input closes (the run's last test is done, or
the run died), once no request is being answered: every request's log line is written.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from pathlib import Path

from pytest_prodready.demo.server import DemoServer
from pytest_prodready.demo.settings import DemoSettings

# The most a request still being answered at the end of the run gets to finish.
FINISH_S = 2.0


def main() -> int:
    request = json.loads(sys.stdin.readline())
    values = dict(request["settings"])
    if values.get("request_log"):
        values["request_log"] = Path(values["request_log"])
    https, http = (socket.socket(fileno=fd) for fd in request["fds"])
    try:
        server = DemoServer(DemoSettings(**values), Path(request["workdir"]))
        server.start(timeout=float(request.get("timeout", 10.0)), sockets=(https, http))
    except (OSError, RuntimeError, ValueError, TypeError) as exc:
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        return 1
    try:
        ready = {
            "base_url": server.base_url,
            "http_url": server.http_url,
            "ca_bundle": str(server.ca_bundle),
        }
        print(json.dumps(ready), flush=True)
        sys.stdin.read()
    except BaseException:
        server.stop()
        raise
    # The run closes our input after its last test: let a request still being answered
    # finish (its log line written), then exit at once, without uvicorn's graceful shutdown
    # (about 0.3 s of ticks the run would wait for).
    deadline = time.monotonic() + FINISH_S
    while server.busy() and time.monotonic() < deadline:
        time.sleep(0.01)
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    raise SystemExit(main())
