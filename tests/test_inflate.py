"""Bounded inflation on plain bytes: both deflate spellings, any chunking, bounded pieces."""

from __future__ import annotations

import gzip
import zlib

import pytest

from pytest_prodready.http._inflate import InflateError, inflate

TEXT = b"deflated body " * 2000


def raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


@pytest.mark.parametrize("split", [1, 2, 7, 100])
@pytest.mark.parametrize(
    ("encoding", "body"),
    [
        ("deflate", zlib.compress(TEXT)),
        ("deflate", raw_deflate(TEXT)),
        ("gzip", gzip.compress(TEXT)),
    ],
)
def test_every_spelling_decodes_however_it_is_chunked(
    encoding: str, body: bytes, split: int
) -> None:
    assert b"".join(inflate([body[:split], body[split:]], encoding, 1 << 20)) == TEXT


def test_pieces_stay_bounded_for_a_bomb() -> None:
    bomb = gzip.compress(b"\0" * (32 << 20))
    pieces = inflate([bomb], "gzip", 1 << 20)
    sizes = [len(next(pieces)) for _ in range(3)]
    assert max(sizes) <= 256 * 1024  # a quarter of the cap per step, not 32 MB at once


def test_a_body_that_is_not_its_encoding_is_refused() -> None:
    with pytest.raises(InflateError, match="not valid gzip"):
        list(inflate([b"plain text, not gzip"], "gzip", 1 << 20))
