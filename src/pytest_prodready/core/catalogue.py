"""The finding catalogue: every rule of every room, for acceptances, docs and SARIF.

Rules are declared at import time of the module that reports them (``rule(...)``); this is
the one place that imports those modules, by name and at call time, so ``core`` depends on
no room. ``tests/test_layers.py`` fails if a module declares a rule this list misses.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping

from pytest_prodready.core.findings import CATALOGUE, Rule

__all__ = ["RULE_MODULES", "catalogue"]

# Each room's rule modules. checks/ is swept whole: every module there may declare rules.
CHECKS_PACKAGE = "pytest_prodready.checks"
RULE_MODULES = (
    "pytest_prodready.browser.a11y",
    "pytest_prodready.browser.checks",
    "pytest_prodready.browser.images",
    "pytest_prodready.browser.vitals",
    "pytest_prodready.contracts.checks",
    "pytest_prodready.load.runner",
)


def catalogue() -> Mapping[str, Rule]:
    """Every finding id of every rule module (imports them all)."""
    checks = importlib.import_module(CHECKS_PACKAGE)
    for module in pkgutil.iter_modules(checks.__path__):
        importlib.import_module(f"{CHECKS_PACKAGE}.{module.name}")
    for name in RULE_MODULES:
        importlib.import_module(name)
    return CATALOGUE
