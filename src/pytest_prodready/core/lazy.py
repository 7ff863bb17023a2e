"""Keep httpx's command-line client out of every process that imports httpx.

``import httpx`` imports ``httpx._main``, its ``httpx`` command, and with it click, rich and
pygments whenever they are installed (our dependencies bring them): about a tenth of a second
of a smoke run's start-up, for a command the run never calls. Until httpx is imported, this
puts a stand-in under that name whose ``main`` imports the real module on first call, so
``httpx.main()`` still works.
"""

from __future__ import annotations

import importlib
import sys
import types

__all__ = ["defer_httpx_cli"]

CLI_MODULE = "httpx._main"


def _real_main(*args: object, **kwargs: object) -> object:
    sys.modules.pop(CLI_MODULE, None)
    real = importlib.import_module(CLI_MODULE)
    return real.main(*args, **kwargs)


def defer_httpx_cli() -> None:
    """Install the stand-in, unless httpx (or its CLI) is imported already."""
    if "httpx" in sys.modules or CLI_MODULE in sys.modules:
        return
    stand_in = types.ModuleType(CLI_MODULE, "httpx's command line, imported on first use")
    stand_in.main = _real_main  # type: ignore[attr-defined]
    sys.modules[CLI_MODULE] = stand_in
