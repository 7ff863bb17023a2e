"""Evidence text: one line, bounded, printable. Findings quote what a target sent, and a
hostile header, body or Location must neither flood a report nor rewrite the terminal."""

from __future__ import annotations

__all__ = ["TRUNCATED", "clip", "excerpt", "printable"]

# Set in a response's ``extensions`` when its body was cut at ``max_body_mb``.
TRUNCATED = "prodready_truncated"


def printable(text: str) -> str:
    """``text`` with control characters escaped (``\\x1b``): evidence quotes what a target
    sent, and a Location or header carrying ANSI sequences must not rewrite the terminal."""
    if text.isprintable():
        return text
    return "".join(
        c if c.isprintable() else (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")
        for c in text
    )


def clip(text: str, limit: int = 120) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def excerpt(text: str, limit: int = 120) -> str:
    """``text`` on one line, at most ``limit`` characters, control characters escaped.

    Escaping keeps a hostile body from rewriting the terminal (ANSI sequences) or a report.
    """
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in clip(text, limit))
