"""Pure checks: plain facts in, ``list[Finding]`` out. No I/O, no pytest.

Each module declares its finding ids with :func:`pytest_prodready.core.findings.rule` and exposes
``evaluate(...)`` over plain facts, so it is tested on plain data in milliseconds.
"""
