"""Where a check keeps what it derived once and can reuse on the next run: pytest's
``config.cache`` fits (JSON values under ``prodready/...`` keys)."""

from __future__ import annotations

from typing import Protocol

__all__ = ["Store"]


class Store(Protocol):
    """A key-value store of JSON values that outlives the run."""

    def get(self, key: str, default: object) -> object: ...

    def set(self, key: str, value: object) -> None: ...
