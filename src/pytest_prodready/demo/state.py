"""In-memory state of one demo app: sessions, items, the login rate limiter."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from pytest_prodready.demo.security import constant_time_equal
from pytest_prodready.demo.settings import DemoSettings

SESSION_TTL_SECONDS = 8 * 3600
# Created items beyond this evict the oldest created one, so a long fuzzing or load run
# cannot grow the demo without bound. Seed items are never evicted.
MAX_CREATED_ITEMS = 1000


class SessionStore:
    """Opaque session tokens signed with a per-app key, mapped to a username."""

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)
        self._sessions: dict[str, tuple[str, float]] = {}

    def create(self, username: str) -> str:
        token = secrets.token_urlsafe(32)
        self._sessions[token] = (username, time.time())
        return f"{token}.{self._sign(token)}"

    def lookup(self, cookie: str | None) -> str | None:
        token = self._verified(cookie)
        if token is None or token not in self._sessions:
            return None
        username, created = self._sessions[token]
        if time.time() - created > SESSION_TTL_SECONDS:
            return None
        return username

    def revoke(self, cookie: str | None) -> None:
        token = self._verified(cookie)
        if token is not None:
            self._sessions.pop(token, None)

    def purge_expired(self) -> int:
        cutoff = time.time() - SESSION_TTL_SECONDS
        expired = [token for token, (_, created) in self._sessions.items() if created < cutoff]
        for token in expired:
            del self._sessions[token]
        return len(expired)

    def _sign(self, token: str) -> str:
        return hmac.new(self._key, token.encode(), hashlib.sha256).hexdigest()

    def _verified(self, cookie: str | None) -> str | None:
        # The signature lets a forged or truncated cookie be refused before any lookup.
        token, _, signature = (cookie or "").partition(".")
        if not token or not constant_time_equal(signature, self._sign(token)):
            return None
        return token


@dataclass(frozen=True)
class Item:
    id: int
    name: str
    price_cents: int
    tags: tuple[str, ...]

    def to_json(self, *, price_as_text: bool = False) -> dict[str, Any]:
        # demo-broken renders the price the way a template would, breaking the schema.
        price: int | str = f"{self.price_cents / 100:.2f}" if price_as_text else self.price_cents
        return {"id": self.id, "name": self.name, "price_cents": price, "tags": list(self.tags)}


SEED_ITEMS = (
    Item(1, "Starter plan", 1250, ("plan", "monthly")),
    Item(2, "Team plan", 4900, ("plan", "team")),
    Item(3, "Extra seat", 800, ("addon",)),
)


class ItemStore:
    def __init__(self) -> None:
        self._items = {item.id: item for item in SEED_ITEMS}
        self._next_id = len(SEED_ITEMS) + 1

    def list(self, limit: int) -> list[Item]:
        return list(self._items.values())[:limit]

    def get(self, item_id: int) -> Item | None:
        return self._items.get(item_id)

    def add(self, name: str, price_cents: int, tags: tuple[str, ...]) -> Item:
        created = [item_id for item_id in self._items if item_id > len(SEED_ITEMS)]
        if len(created) >= MAX_CREATED_ITEMS:
            del self._items[created[0]]
        item = Item(self._next_id, name, price_cents, tags)
        self._items[item.id] = item
        self._next_id += 1
        return item

    def delete(self, item_id: int) -> bool:
        return self._items.pop(item_id, None) is not None


@dataclass(frozen=True)
class RateLimitDecision:
    allowed: bool
    limit: int
    remaining: int
    reset_after: int
    window: int

    def headers(self) -> dict[str, str]:
        """IETF draft RateLimit fields, plus Retry-After when refused."""
        quota = f"limit={self.limit}, remaining={self.remaining}, reset={self.reset_after}"
        headers = {"ratelimit-policy": f"{self.limit};w={self.window}", "ratelimit": quota}
        if not self.allowed:
            headers["retry-after"] = str(self.reset_after)
        return headers


class LoginRateLimiter:
    """5 attempts per moving 60 s window for each (client IP, email)."""

    LIMIT = 5
    WINDOW_SECONDS = 60

    def __init__(self) -> None:
        self._item = RateLimitItemPerMinute(self.LIMIT)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def hit(self, client_ip: str, email: str) -> RateLimitDecision:
        # Normalised so "Admin@Demo.test " is not a fresh budget for the same account.
        key = (client_ip, email.strip().lower())
        allowed = self._limiter.hit(self._item, *key)
        reset_at, remaining = self._limiter.get_window_stats(self._item, *key)
        return RateLimitDecision(
            allowed=allowed,
            limit=self.LIMIT,
            remaining=remaining,
            reset_after=max(1, math.ceil(reset_at - time.time())),
            window=self.WINDOW_SECONDS,
        )


@dataclass
class DemoState:
    settings: DemoSettings
    sessions: SessionStore = field(default_factory=SessionStore)
    items: ItemStore = field(default_factory=ItemStore)
    login_limiter: LoginRateLimiter = field(default_factory=LoginRateLimiter)
    csp_reports: list[bytes] = field(default_factory=list)
