"""Real-browser checks with Playwright: page facts, watches and logins (the door imports none);
Lighthouse audits of a page (``LighthousePage``, what the ``lighthouse_audit`` fixture gives).

The names are imported when first used (PEP 562): the plugin loads this package on every run,
and a run without browser tests should not pay for the modules behind them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pytest_prodready.browser.audits import LighthousePage
    from pytest_prodready.browser.facts import AuditFacts, LoginOutcome, PageFacts
    from pytest_prodready.browser.watch import PageWatch

__all__ = ["AuditFacts", "LighthousePage", "LoginOutcome", "PageFacts", "PageWatch"]

_HOMES = {
    "AuditFacts": "facts",
    "LighthousePage": "audits",
    "LoginOutcome": "facts",
    "PageFacts": "facts",
    "PageWatch": "watch",
}


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value  # once: later lookups find it without this hook
    return value
