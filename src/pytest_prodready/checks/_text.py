"""Evidence text from response bodies: one line, bounded, printable, honest about truncation."""

from __future__ import annotations

import httpx

from pytest_prodready.core.evidence import TRUNCATED, excerpt

__all__ = ["body_excerpt", "truncation_note"]


def truncation_note(response: httpx.Response) -> str:
    """ " (body cut at N MB, max_body_mb)" when the body was larger than the cap, else ""."""
    if not response.extensions.get(TRUNCATED):
        return ""
    size_mb = len(response.content) / (1024 * 1024)
    return f" (body larger than {size_mb:g} MB, cut at max_body_mb)"


def body_excerpt(response: httpx.Response, limit: int = 120) -> str:
    """The start of the body as evidence, saying so when the body was cut at the cap."""
    return excerpt(response.text, limit) + truncation_note(response)
