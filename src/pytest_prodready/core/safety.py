"""The safety gate's vocabulary: which marks it holds back, and how its skips read."""

from __future__ import annotations

__all__ = ["GATED_MARKERS", "SAFETY_PREFIX"]

# Tests with these marks write data or stress the target: held back on protected envs.
GATED_MARKERS = ("destructive", "load", "ratelimit")
# Every skip the gate causes starts so; the terminal summary and the reports count them by it.
SAFETY_PREFIX = "prodready safety:"
