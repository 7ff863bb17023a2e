"""pytest-prodready: is this deployment production-ready, right now?

The public API, for suites and locustfiles of your own: findings and their rules, the
``assert_no_findings`` fixture's type, secrets as the ``secret`` fixture gives them, and the
safety gate's skip prefix. Importing it imports neither pytest nor any heavy dependency.
"""

from __future__ import annotations

from pytest_prodready.core.findings import (
    AssertNoFindings,
    Finding,
    Rule,
    Severity,
    format_findings,
    rule,
)
from pytest_prodready.core.lazy import defer_httpx_cli as _defer_httpx_cli
from pytest_prodready.core.safety import SAFETY_PREFIX
from pytest_prodready.core.secrets import Secret

# Before anything of ours imports httpx (none of the modules above does).
_defer_httpx_cli()

__version__ = "0.1.0"
__all__ = [
    "SAFETY_PREFIX",
    "AssertNoFindings",
    "Finding",
    "Rule",
    "Secret",
    "Severity",
    "__version__",
    "format_findings",
    "rule",
]
