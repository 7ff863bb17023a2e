"""``manage.py prepare_site``: what the deploy runs before gunicorn starts."""

from __future__ import annotations

import os
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Migrate, collect static files, and create the probe user (FIELD_PROBE_PASSWORD)."

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        # Source maps and editor leftovers stay out of the public static root.
        call_command("collectstatic", interactive=False, verbosity=0, ignore_patterns=["*.map"])
        user, _ = get_user_model().objects.get_or_create(
            username=os.environ.get("FIELD_PROBE_USER", "probe")
        )
        user.set_password(os.environ["FIELD_PROBE_PASSWORD"])
        user.save()
