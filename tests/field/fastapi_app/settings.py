"""Settings from the process environment, twelve-factor style, as the service reads them.

One switch, ``FIELD_FASTAPI_VARIANT``, chooses between the two deployments; everything else
(secrets, the release) comes from the environment the way a container gets it. The
misconfigured variant's flags are each a mistake real FastAPI deployments ship.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

VARIANT_VAR = "FIELD_FASTAPI_VARIANT"
TOKEN_VAR = "FIELD_FASTAPI_API_TOKEN"
CRON_SECRET_VAR = "FIELD_FASTAPI_CRON_SECRET"
VERSION_VAR = "APP_VERSION"
CACHE_URL_VAR = "CACHE_URL"
HTTPS_ORIGIN_VAR = "FIELD_FASTAPI_HTTPS_ORIGIN"
VARIANTS = ("good", "misconfigured")

TRUSTED_ORIGIN = "https://app.shop.test"
# A short window keeps the rate-limit suite's wait for the reset to a few seconds.
LOGIN_LIMIT = 5
LOGIN_WINDOW_S = 5


@dataclass(frozen=True)
class Settings:
    variant: str
    api_token: str
    # Unset in the misconfigured deployment: the cron route then skips its check.
    cron_secret: str | None
    # The release; the misconfigured image was built without it (APP_VERSION unset).
    version: str | None
    # memory:// in-process, or redis://host:port (the misconfigured one points at a dead host).
    cache_url: str

    @property
    def good(self) -> bool:
        return self.variant == "good"

    @classmethod
    def from_env(cls) -> Settings:
        variant = os.environ.get(VARIANT_VAR, "good")
        if variant not in VARIANTS:
            raise RuntimeError(f"{VARIANT_VAR}={variant!r}: use one of {VARIANTS}")
        token = os.environ.get(TOKEN_VAR)
        if not token:
            raise RuntimeError(f"{TOKEN_VAR} is not set: the API needs its bearer token")
        return cls(
            variant=variant,
            api_token=token,
            cron_secret=os.environ.get(CRON_SECRET_VAR) or None,
            version=os.environ.get(VERSION_VAR) or None,
            cache_url=os.environ.get(CACHE_URL_VAR, "memory://"),
        )
