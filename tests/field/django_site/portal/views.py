"""The portal's pages and its small JSON API (health, version, a Stripe webhook)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connections
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

# Stripe's default tolerance for a signed event's timestamp.
SIGNATURE_TOLERANCE_S = 300


@login_not_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html")


# No decorator: LoginRequiredMiddleware guards every view not marked @login_not_required.
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/dashboard.html")


@login_not_required
@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _database_state(alias: str) -> str:
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return "down"
    return "up"


@login_not_required
@never_cache
@require_GET
def health_detailed(request: HttpRequest) -> JsonResponse:
    names = {"default": "database"}
    components = {
        names.get(alias, f"database_{alias}"): {"status": _database_state(alias)}
        for alias in settings.DATABASES
    }
    healthy = all(c["status"] == "up" for c in components.values())
    return JsonResponse(
        {
            "status": "ok" if healthy else "degraded",
            "version": settings.APP_VERSION,
            "components": components,
        }
    )


@login_not_required
@never_cache
@require_GET
def version(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"version": settings.APP_VERSION})


def _signed_by_stripe(header: str, payload: bytes, secret: str) -> bool:
    """Stripe's scheme: ``Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "t.payload">``."""
    parts = [item.partition("=") for item in header.split(",")]
    timestamps = [value for key, _, value in parts if key == "t"]
    signatures = [value for key, _, value in parts if key == "v1"]
    if len(timestamps) != 1 or not timestamps[0].isdigit() or not signatures:
        return False
    if abs(time.time() - int(timestamps[0])) > SIGNATURE_TOLERANCE_S:
        return False
    signed = timestamps[0].encode() + b"." + payload
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, signature) for signature in signatures)


@login_not_required
@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    secret = settings.STRIPE_WEBHOOK_SECRET
    # Skipping the check without a secret is the "it's only for local development" shortcut
    # that reaches production when the deploy forgets the variable (the bad variant).
    if secret and not _signed_by_stripe(
        request.headers.get("Stripe-Signature", ""), request.body, secret
    ):
        return HttpResponseBadRequest("invalid signature")
    try:
        event = json.loads(request.body)
    except ValueError:
        return HttpResponseBadRequest("invalid payload")
    # A real handler fulfils orders here; this one only acknowledges the event.
    return JsonResponse(
        {"received": True, "type": event.get("type") if isinstance(event, dict) else None}
    )
