"""Evidence text from response bodies: one line, bounded, printable, honest about truncation."""

from __future__ import annotations

import httpx

from pytest_prodready.http._transport import TRUNCATED

__all__ = ["body_excerpt", "excerpt", "truncation_note"]


def excerpt(text: str, limit: int = 120) -> str:
    """``text`` on one line, at most ``limit`` characters, control characters escaped.

    Escaping keeps a hostile body from rewriting the terminal (ANSI sequences) or a report.
    """
    flat = " ".join(text.split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in flat)


def truncation_note(response: httpx.Response) -> str:
    """ " (body cut at N MB, max_body_mb)" when the body was larger than the cap, else ""."""
    if not response.extensions.get(TRUNCATED):
        return ""
    size_mb = len(response.content) / (1024 * 1024)
    return f" (body larger than {size_mb:g} MB, cut at max_body_mb)"


def body_excerpt(response: httpx.Response, limit: int = 120) -> str:
    """The start of the body as evidence, saying so when the body was cut at the cap."""
    return excerpt(response.text, limit) + truncation_note(response)
