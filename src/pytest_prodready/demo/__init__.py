"""The embedded demo target: a small real ASGI app served on 127.0.0.1.

`demo` is production-ready and passes every check the suites make; `demo-broken` ships the
misconfigurations real teams ship, so each check has something to find.
"""

from __future__ import annotations

from pytest_prodready.demo.requestlog import read_request_log
from pytest_prodready.demo.server import DemoServer
from pytest_prodready.demo.settings import VARIANTS, DemoSettings

__all__ = ["VARIANTS", "DemoServer", "DemoSettings", "read_request_log"]
