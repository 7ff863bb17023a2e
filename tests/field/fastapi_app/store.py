"""The service's data and dependencies: an in-memory catalogue shaped like SQL rows, accounts,
and the health of the database and the cache it would talk to in production."""

from __future__ import annotations

import secrets
import socket
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from tests.field.fastapi_app.models import Check, Item

# Created items are kept up to this many, oldest dropped first: a fuzzer may POST for minutes.
MAX_ROWS = 500
CACHE_TIMEOUT_S = 0.5


def _row(row_id: int, name: str, price: str, currency: str, tags: list[str]) -> dict[str, Any]:
    # Rows as the database driver returns them: a DECIMAL price, not the API's cents.
    return {"id": row_id, "name": name, "price": Decimal(price), "currency": currency, "tags": tags}


@dataclass
class Catalogue:
    rows: dict[int, dict[str, Any]] = field(
        default_factory=lambda: {
            1: _row(1, "Starter plan", "12.50", "EUR", ["plan"]),
            2: _row(2, "Team plan", "49.00", "EUR", ["plan", "team"]),
            3: _row(3, "Extra seat", "8.00", "EUR", ["addon"]),
            4: _row(4, "Priority support", "99.00", "USD", ["addon", "support"]),
            5: _row(5, "Audit log export", "15.00", "USD", ["addon"]),
        }
    )
    next_id: int = 6

    def add(self, name: str, price_cents: int, currency: str, tags: list[str]) -> dict[str, Any]:
        row = {
            "id": self.next_id,
            "name": name,
            "price": Decimal(price_cents) / 100,
            "currency": currency,
            "tags": list(tags),
        }
        self.rows[self.next_id] = row
        self.next_id += 1
        while len(self.rows) > MAX_ROWS:
            del self.rows[min(self.rows)]
        return row


def to_item(row: dict[str, Any]) -> Item:
    return Item(
        id=row["id"],
        name=row["name"],
        price_cents=int(row["price"] * 100),
        currency=row["currency"],
        tags=row["tags"],
    )


# Nobody can sign in with a guessed password: the probe account's is random per process.
ACCOUNTS: dict[str, str] = {"ada@shop.test": secrets.token_urlsafe(24)}


def check_database(catalogue: Catalogue) -> Check:
    # The in-process catalogue stands in for the database: reading it is the SELECT 1.
    started = time.perf_counter()
    len(catalogue.rows)
    return Check(status="ok", latency_ms=round((time.perf_counter() - started) * 1000, 3))


def check_cache(cache_url: str) -> Check:
    """``memory://`` is in-process; ``redis://host:port`` gets a real TCP connect."""
    parts = urlsplit(cache_url)
    if parts.scheme == "memory":
        return Check(status="ok", latency_ms=0.0)
    started = time.perf_counter()
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or 6379), timeout=CACHE_TIMEOUT_S
        ):
            pass
    except OSError as exc:
        return Check(status="down", error=type(exc).__name__)
    return Check(status="ok", latency_ms=round((time.perf_counter() - started) * 1000, 3))
