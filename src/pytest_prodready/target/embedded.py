"""The embedded demo targets (``demo``, ``demo-broken``): throwaway secrets and start-up.

The demo is imported only here, and only when an embedded environment is first used.
"""

from __future__ import annotations

import dataclasses
import os
import secrets as _random
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_prodready.config import Environment

if TYPE_CHECKING:
    from pytest_prodready.demo import DemoServer

__all__ = [
    "DEMO_LOG_VAR",
    "DEMO_VERSIONS",
    "DEMO_VERSION_VAR",
    "TargetError",
    "seed_embedded_secrets",
    "start_demo",
]

DEMO_LOG_VAR = "PRODREADY_DEMO_LOG"
DEMO_VERSION_VAR = "PRODREADY_DEMO_VERSION"
# demo-broken is a deploy that did not roll out: it still serves the previous release.
DEMO_VERSIONS = {"demo": "1.4.2", "demo-broken": "1.4.1"}


def seed_embedded_secrets(env: Environment) -> Callable[[], None]:
    """Give an embedded demo throwaway credentials through its declared variables.

    Set in ``os.environ`` so xdist workers inherit the same values. Returns a function that
    restores the previous values.
    """
    previous: dict[str, str | None] = {}
    for var in env.secrets.values():
        if not os.environ.get(var):
            previous[var] = os.environ.get(var)
            os.environ[var] = _random.token_urlsafe(18)

    def restore() -> None:
        for var, value in previous.items():
            if value is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = value

    return restore


class TargetError(RuntimeError):
    """The target could not be made ready (an embedded demo that failed to start)."""


def start_demo(env: Environment, workdir: Path) -> tuple[DemoServer, Environment]:
    """Start ``env``'s embedded demo on 127.0.0.1, keeping its files in ``workdir``; the
    server and ``env`` with its URLs and CA bundle filled in."""
    from pytest_prodready.demo import DemoServer, DemoSettings

    values = {name: os.environ.get(var, "") for name, var in env.secrets.items()}
    log = os.environ.get(DEMO_LOG_VAR)
    settings = DemoSettings(
        variant=env.embedded or "demo",
        version=os.environ.get(DEMO_VERSION_VAR) or DEMO_VERSIONS[env.embedded or "demo"],
        admin_password=values.get("admin_password") or _random.token_urlsafe(18),
        api_token=values.get("api_token") or _random.token_urlsafe(18),
        request_log=Path(log) if log else workdir / "requests.jsonl",
    )
    demo = DemoServer(settings, workdir)
    try:
        demo.start()
    except (OSError, RuntimeError) as exc:
        demo.stop()
        raise TargetError(
            f"prodready: the embedded {settings.variant} target did not start on "
            f"127.0.0.1: {exc}. Check that loopback is usable and ports are free."
        ) from exc
    return demo, dataclasses.replace(
        env, base_url=demo.base_url, http_url=demo.http_url, ca_bundle=demo.ca_bundle
    )
