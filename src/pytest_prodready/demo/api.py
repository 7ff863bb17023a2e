"""The JSON API: health, version, items, token login, webhooks, cron and CSP reports."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import struct
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from pytest_prodready.demo.openapi import openapi_document
from pytest_prodready.demo.responses import api_error, json_response, route
from pytest_prodready.demo.security import constant_time_equal
from pytest_prodready.demo.state import DemoState

NO_STORE = {"cache-control": "no-store"}
_BROKEN_HEALTH_CACHE = {"cache-control": "public, max-age=600"}
_INTEGER = re.compile(r"-?[0-9]{1,30}")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_MAX_LIMIT = 100
_DEFAULT_LIMIT = 20
_MAX_PRICE_CENTS = 100_000_000
_STRIPE_TOLERANCE_SECONDS = 300
_MAX_CSP_REPORTS = 100
_UNAUTHORIZED = {"www-authenticate": 'Bearer realm="api"'}


class Api:
    def __init__(self, state: DemoState) -> None:
        self.state = state
        self.settings = state.settings
        self.broken = state.settings.broken
        self.openapi_json = openapi_document(state.settings.version)

    def routes(self) -> list[BaseRoute]:
        return [
            route("/api/health", {"GET": self.health}),
            route("/api/health/detailed", {"GET": self.health_detailed}),
            route("/api/version", {"GET": self.version}),
            route("/api/openapi.json", {"GET": self.openapi}),
            route("/api/items", {"GET": self.list_items, "POST": self.create_item}),
            route("/api/items/{item_id}", {"GET": self.get_item, "DELETE": self.delete_item}),
            route("/api/auth/login", {"POST": self.login}),
            route("/api/webhooks/stripe", {"POST": self.stripe_webhook}),
            route("/api/cron/cleanup", {"GET": self.cron_cleanup, "POST": self.cron_cleanup}),
            route("/api/csp-report", {"POST": self.csp_report}),
        ]

    async def health(self, request: Request) -> Response:
        return json_response(
            {"status": "ok"}, headers=_BROKEN_HEALTH_CACHE if self.broken else NO_STORE
        )

    async def health_detailed(self, request: Request) -> Response:
        components = dict.fromkeys(("database", "redis", "stripe", "email"), "operational")
        if self.broken:
            # Still 200: the check that only reads the status code calls this healthy.
            components["redis"] = "degraded"
            return json_response({"status": "degraded", "components": components})
        return json_response({"status": "ok", "components": components}, headers=NO_STORE)

    async def version(self, request: Request) -> Response:
        body = {"version": self.settings.version, "commit": self.settings.commit}
        return json_response(body, headers=NO_STORE)

    async def openapi(self, request: Request) -> Response:
        return json_response(self.openapi_json)

    async def list_items(self, request: Request) -> Response:
        limit = _parse_int(request.query_params.get("limit", str(_DEFAULT_LIMIT)))
        if limit is None or not 1 <= limit <= _MAX_LIMIT:
            return api_error(422, f"limit must be an integer from 1 to {_MAX_LIMIT}")
        items = self.state.items.list(limit)
        return json_response([item.to_json(price_as_text=self.broken) for item in items])

    async def get_item(self, request: Request) -> Response:
        item_id = _parse_int(str(request.path_params["item_id"]))
        if item_id is None:
            return api_error(422, "item_id must be an integer")
        if self.broken:
            # The bug demo-broken ships: the 0-based row index is packed into an unsigned
            # 32-bit cache key, so id 0, a negative or a very large id raises instead of
            # answering 404. Id 0 is the boundary value contract fuzzers always try.
            struct.pack(">I", item_id - 1)
        item = self.state.items.get(item_id)
        if item is None:
            return api_error(404, "item not found")
        return json_response(item.to_json())

    async def create_item(self, request: Request) -> Response:
        if not self._bearer_ok(request):
            return api_error(401, "missing or invalid bearer token", _UNAUTHORIZED)
        body = await _json_body(request)
        problem = _item_problem(body)
        if problem is not None:
            return api_error(422, problem)
        assert isinstance(body, dict)
        price = int(body["price_cents"])
        item = self.state.items.add(body["name"], price, tuple(body.get("tags", ())))
        return json_response(
            item.to_json(), status_code=201, headers={"location": f"/api/items/{item.id}"}
        )

    async def delete_item(self, request: Request) -> Response:
        if not self._bearer_ok(request):
            return api_error(401, "missing or invalid bearer token", _UNAUTHORIZED)
        item_id = _parse_int(str(request.path_params["item_id"]))
        if item_id is None:
            return api_error(422, "item_id must be an integer")
        if not self.state.items.delete(item_id):
            return api_error(404, "item not found")
        return Response(status_code=204)

    async def login(self, request: Request) -> Response:
        body = await _json_body(request)
        problem = _login_problem(body)
        if problem is not None:
            return api_error(422, problem)
        assert isinstance(body, dict)
        email, password = body["email"], body["password"]
        headers: dict[str, str] = {}
        if not self.broken:
            client_ip = request.client.host if request.client else "unknown"
            decision = self.state.login_limiter.hit(client_ip, email)
            headers = decision.headers()
            if not decision.allowed:
                return api_error(429, "too many login attempts, retry later", headers)
        if not (
            constant_time_equal(email.strip().lower(), self.settings.admin_username.lower())
            and constant_time_equal(password, self.settings.admin_password)
        ):
            return api_error(401, "invalid credentials", headers)
        return json_response({"token": self.settings.api_token}, headers=headers)

    async def stripe_webhook(self, request: Request) -> Response:
        payload = await request.body()
        signature = request.headers.get("stripe-signature", "")
        if not _stripe_signature_ok(signature, payload, self.settings.api_token):
            return api_error(400, "missing or invalid Stripe-Signature header")
        try:
            event = json.loads(payload)
        except ValueError:
            return api_error(400, "payload is not JSON")
        event_type = event.get("type") if isinstance(event, dict) else None
        return json_response({"received": True, "type": event_type})

    async def cron_cleanup(self, request: Request) -> Response:
        # demo-broken trusts that nobody knows the URL, the way unprotected cron routes do.
        if not self.broken and not self._bearer_ok(request):
            return api_error(401, "missing or invalid bearer token", _UNAUTHORIZED)
        return json_response(
            {"status": "ok", "expired_sessions": self.state.sessions.purge_expired()}
        )

    async def csp_report(self, request: Request) -> Response:
        # Kept, bounded, so browser-flow tests can read what the browser reported.
        reports = self.state.csp_reports
        reports.append((await request.body())[:65536])
        del reports[:-_MAX_CSP_REPORTS]
        return Response(status_code=204)

    def _bearer_ok(self, request: Request) -> bool:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and constant_time_equal(
            token.strip(), self.settings.api_token
        )


def _parse_int(text: str) -> int | None:
    # Plain ASCII digits only: int() would also accept "٣", " 7 " and "1_000".
    return int(text) if _INTEGER.fullmatch(text) else None


async def _json_body(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except ValueError:
        return None


def _is_integer(value: object, minimum: int, maximum: int) -> bool:
    # JSON Schema's "integer" includes 7.0 and excludes true, unlike Python's int.
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return isinstance(value, int) and not isinstance(value, bool) and minimum <= value <= maximum


def _is_text(value: object, max_length: int) -> bool:
    return isinstance(value, str) and 1 <= len(value) <= max_length


def _item_problem(body: object) -> str | None:
    """Why `body` is not an ItemCreate, mirroring its OpenAPI schema; None if it is one."""
    if not isinstance(body, dict):
        return "body must be a JSON object"
    unknown = set(body) - {"name", "price_cents", "tags"}
    if unknown:
        return f"unknown fields: {', '.join(sorted(unknown))}"
    if not _is_text(body.get("name"), 100):
        return "name must be a string of 1 to 100 characters"
    if not _is_integer(body.get("price_cents"), 0, _MAX_PRICE_CENTS):
        return f"price_cents must be an integer from 0 to {_MAX_PRICE_CENTS}"
    tags = body.get("tags", [])
    if not (isinstance(tags, list) and len(tags) <= 10 and all(_is_text(t, 30) for t in tags)):
        return "tags must be a list of at most 10 strings of 1 to 30 characters"
    return None


def _login_problem(body: object) -> str | None:
    if not isinstance(body, dict):
        return "body must be a JSON object"
    if set(body) != {"email", "password"}:
        return "body must have exactly the fields email and password"
    if not (_is_text(body["email"], 254) and _is_text(body["password"], 128)):
        return "email and password must be non-empty strings"
    return None


def _stripe_signature_ok(header: str, payload: bytes, secret: str) -> bool:
    """Stripe's scheme: `t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<payload>">`."""
    fields = [part.partition("=") for part in header.split(",")]
    timestamps = [value for key, _, value in fields if key.strip() == "t"]
    signatures = [value.strip() for key, _, value in fields if key.strip() == "v1"]
    if len(timestamps) != 1 or not _TIMESTAMP.fullmatch(timestamps[0].strip()) or not signatures:
        return False
    timestamp = timestamps[0].strip()
    # A replayed old delivery is refused even with a valid signature.
    if abs(time.time() - int(timestamp)) > _STRIPE_TOLERANCE_SECONDS:
        return False
    signed = timestamp.encode() + b"." + payload
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return any(constant_time_equal(signature, expected) for signature in signatures)
