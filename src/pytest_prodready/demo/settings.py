"""Settings of the embedded demo target."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

VARIANTS: tuple[str, ...] = ("demo", "demo-broken")


@dataclass(frozen=True, kw_only=True)
class DemoSettings:
    """What one demo app serves: its variant, identity, credentials and request log.

    `demo` is production-ready; `demo-broken` ships the misconfigurations real teams ship.
    """

    variant: str
    version: str = "1.4.2"
    commit: str = "0000000"
    admin_username: str = "admin@demo.test"
    # Kept out of repr so a failing assertion that prints settings leaks no secret.
    admin_password: str = field(repr=False)
    api_token: str = field(repr=False)
    request_log: Path | None = None

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            valid = ", ".join(VARIANTS)
            raise ValueError(f"unknown demo variant {self.variant!r}: expected one of {valid}")
        # An empty secret would make "Bearer " or an empty password a valid credential.
        if not self.admin_password:
            raise ValueError("admin_password must not be empty")
        if not self.api_token:
            raise ValueError("api_token must not be empty")

    @property
    def broken(self) -> bool:
        return self.variant == "demo-broken"
