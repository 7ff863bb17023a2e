"""One JSON line per request, so tests and benchmarks can count what a run sent."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# One lock for every log file: the HTTPS and HTTP listeners of a server share a file, and
# a reader in another thread must never see half a line.
_WRITE_LOCK = threading.Lock()


class RequestLogMiddleware:
    """Append `{"t", "scheme", "method", "path", "status"}` for each HTTP request."""

    def __init__(self, app: ASGIApp, path: Path) -> None:
        self.app = app
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.time()
        # If the app fails before it answers, the server answers 500 on its behalf.
        status = 500

        async def send_and_record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_record)
        finally:
            _append(
                self.path,
                {
                    "t": started,
                    "scheme": scope["scheme"],
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                },
            )


def _append(path: Path, entry: dict[str, Any]) -> None:
    line = json.dumps(entry, separators=(",", ":")) + "\n"
    with _WRITE_LOCK, path.open("a", encoding="utf-8") as log:
        log.write(line)
        log.flush()


def read_request_log(path: Path) -> list[dict[str, Any]]:
    """Return the logged requests in order; an absent file means no request was made."""
    if not path.exists():
        return []
    with _WRITE_LOCK:
        text = path.read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]
