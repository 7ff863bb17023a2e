"""The API's pydantic models: FastAPI turns them into the OpenAPI document's schemas."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Currency = Literal["EUR", "USD"]


class Item(BaseModel):
    id: int
    name: str
    price_cents: int = Field(ge=0)
    currency: Currency
    tags: list[str] = Field(default_factory=list)


class ItemIn(BaseModel):
    name: str = Field(min_length=1, max_length=80)
    price_cents: int = Field(ge=0, le=10_000_000)
    currency: Currency = "EUR"
    tags: list[str] = Field(default_factory=list, max_length=10)


class Problem(BaseModel):
    """The body of FastAPI's HTTPException: ``{"detail": "..."}``."""

    detail: str


class RateLimited(BaseModel):
    """The body of slowapi's 429 handler."""

    error: str


class Credentials(BaseModel):
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=128)


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"


class Account(BaseModel):
    id: int
    email: str
    plan: Literal["free", "pro"]


class Health(BaseModel):
    status: str


class Check(BaseModel):
    status: str
    latency_ms: float | None = None
    error: str | None = None


class DetailedHealth(BaseModel):
    status: str
    version: str | None
    checks: dict[str, Check]


class Version(BaseModel):
    version: str | None
    python: str


class CleanupReport(BaseModel):
    removed: int
