"""Bounded inflation of gzip and deflate bodies, shared by both HTTP stacks.

zlib with a bounded output per step: httpx's and urllib3's decoders inflate a whole network
read at once, and 64 KiB of a gzip bomb become 64 MiB before any cap can look at them.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator

__all__ = ["INFLATABLE", "InflateError", "inflate"]

INFLATABLE = frozenset({"gzip", "x-gzip", "deflate"})


class InflateError(ValueError):
    """The body is not valid in the Content-Encoding it claims."""


def inflate(chunks: Iterable[bytes], encoding: str, max_bytes: int) -> Iterator[bytes]:
    """The decoded body of raw ``chunks`` in ``encoding`` (gzip or deflate), in pieces of at
    most a quarter of ``max_bytes`` (64 KiB at least), so a caller that stops at its cap
    never holds much more than the cap."""
    wbits = zlib.MAX_WBITS | 16 if encoding in ("gzip", "x-gzip") else zlib.MAX_WBITS
    inflater = zlib.decompressobj(wbits)
    produced = False
    seen: list[bytes] = []  # raw input until the first output: replayed if the header was wrong
    step = max(max_bytes // 4, 64 * 1024)
    for raw in chunks:
        if not produced:
            seen.append(raw)
        pending = raw
        while pending:
            try:
                out = inflater.decompress(pending, step)
            except zlib.error as exc:
                if encoding == "deflate" and not produced and wbits > 0:
                    # Many servers send raw deflate for "deflate": start again without the
                    # zlib header, from the first byte.
                    wbits = -zlib.MAX_WBITS
                    inflater = zlib.decompressobj(wbits)
                    pending = b"".join(seen)
                    continue
                raise InflateError(
                    f"the body is not valid {encoding} though Content-Encoding says so ({exc})"
                ) from None
            pending = inflater.unconsumed_tail
            if out:
                produced = True
                seen.clear()
                yield out
            if inflater.eof:
                return
