"""Run state that hooks, fixtures and reporters share, keyed in ``config``/``item`` stashes.

A leaf: it imports nothing of ours outside ``core``, so the parts that read and write a key
depend on the key, not on each other.
"""

from __future__ import annotations

import pytest

from pytest_prodready.core.findings import Finding
from pytest_prodready.core.verdict import Acceptance

__all__ = ["ACCEPTED_KEY", "FINDINGS_KEY"]

# Per test item: (finding, "failing" | "below-threshold"), filled by ``assert_no_findings``.
FINDINGS_KEY = pytest.StashKey[list[tuple[Finding, str]]]()
# Per test item: (finding, the acceptance that excused it), filled by ``assert_no_findings``.
ACCEPTED_KEY = pytest.StashKey[list[tuple[Finding, Acceptance]]]()
