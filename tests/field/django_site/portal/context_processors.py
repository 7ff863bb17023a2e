"""Template context every page gets."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, str]:
    return {"site_url": settings.SITE_URL, "app_version": settings.APP_VERSION}
