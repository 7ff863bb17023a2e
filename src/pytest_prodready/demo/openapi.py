"""The hand-written OpenAPI document of the demo API.

It must stay truthful for `demo`: contract tests compare every response against it, so each
status an operation can return is listed with its body and headers.
"""

from __future__ import annotations

from typing import Any

_ERROR = {"$ref": "#/components/schemas/Error"}
_BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]
_RATE_LIMIT_HEADERS = {
    "RateLimit": {
        "description": "Quota left in the current window (IETF draft RateLimit fields).",
        "schema": {"type": "string"},
    },
    "RateLimit-Policy": {
        "description": "The quota policy: requests per window in seconds.",
        "schema": {"type": "string"},
    },
}
_ITEM_ID = {
    "name": "item_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1},
}


def _json(schema: dict[str, Any], description: str, **headers: Any) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }
    if headers:
        response["headers"] = headers
    return response


def _error(description: str, **headers: Any) -> dict[str, Any]:
    return _json(_ERROR, description, **headers)


def _required_header(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "required": True, "schema": schema}


_UNAUTHORIZED = _error(
    "Missing or invalid bearer token.",
    **{"WWW-Authenticate": _required_header("The expected scheme.", {"type": "string"})},
)
_INVALID = _error("The request failed validation.")
_NOT_FOUND = _error("No item has this id.")


def _body(ref: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": {"$ref": ref}}}}


def _paths() -> dict[str, Any]:
    return {
        "/api/health": {
            "get": {
                "operationId": "getHealth",
                "tags": ["health"],
                "summary": "Liveness: the process is up.",
                "responses": {"200": _json({"$ref": "#/components/schemas/Health"}, "Up.")},
            }
        },
        "/api/health/detailed": {
            "get": {
                "operationId": "getHealthDetailed",
                "tags": ["health"],
                "summary": "Readiness of each dependency.",
                "responses": {
                    "200": _json({"$ref": "#/components/schemas/HealthDetailed"}, "Status.")
                },
            }
        },
        "/api/version": {
            "get": {
                "operationId": "getVersion",
                "tags": ["health"],
                "summary": "The deployed version and commit.",
                "responses": {"200": _json({"$ref": "#/components/schemas/Version"}, "Version.")},
            }
        },
        "/api/items": {
            "get": {
                "operationId": "listItems",
                "tags": ["items"],
                "parameters": [
                    {
                        "name": "limit",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
                    }
                ],
                "responses": {
                    "200": _json(
                        {"type": "array", "items": {"$ref": "#/components/schemas/Item"}},
                        "The items, oldest first.",
                    ),
                    "422": _INVALID,
                },
            },
            "post": {
                "operationId": "createItem",
                "tags": ["items"],
                "security": _BEARER,
                "requestBody": _body("#/components/schemas/ItemCreate"),
                "responses": {
                    "201": _json(
                        {"$ref": "#/components/schemas/Item"},
                        "Created.",
                        Location=_required_header("The new item's URL.", {"type": "string"}),
                    ),
                    "401": _UNAUTHORIZED,
                    "422": _INVALID,
                },
            },
        },
        "/api/items/{item_id}": {
            "parameters": [_ITEM_ID],
            "get": {
                "operationId": "getItem",
                "tags": ["items"],
                "responses": {
                    "200": _json({"$ref": "#/components/schemas/Item"}, "The item."),
                    "404": _NOT_FOUND,
                    "422": _INVALID,
                },
            },
            "delete": {
                "operationId": "deleteItem",
                "tags": ["items"],
                "security": _BEARER,
                "responses": {
                    "204": {"description": "Deleted."},
                    "401": _UNAUTHORIZED,
                    "404": _NOT_FOUND,
                    "422": _INVALID,
                },
            },
        },
        "/api/auth/login": {
            "post": {
                "operationId": "login",
                "tags": ["auth"],
                "summary": "Exchange credentials for an API token; 5 attempts per minute.",
                "requestBody": _body("#/components/schemas/LoginRequest"),
                "responses": {
                    "200": _json(
                        {"$ref": "#/components/schemas/Token"}, "Logged in.", **_RATE_LIMIT_HEADERS
                    ),
                    "401": _error("Wrong credentials.", **_RATE_LIMIT_HEADERS),
                    "422": _INVALID,
                    "429": _error(
                        "Too many attempts for this client and email.",
                        **_RATE_LIMIT_HEADERS,
                        **{
                            "Retry-After": _required_header(
                                "Seconds until an attempt is allowed again.",
                                {"type": "integer", "minimum": 0},
                            )
                        },
                    ),
                },
            }
        },
    }


def _text(max_length: int) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "maxLength": max_length}


def _object(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": required,
        "properties": properties,
    }


_COMPONENT = {"type": "string", "enum": ["operational", "degraded", "down"]}
_TAGS = {"type": "array", "maxItems": 10, "items": _text(30)}
_PRICE = {"type": "integer", "minimum": 0, "maximum": 100_000_000}

_SCHEMAS = {
    "Error": _object({"detail": {"type": "string"}}, ["detail"]),
    "Health": _object({"status": {"type": "string", "enum": ["ok", "degraded"]}}, ["status"]),
    "HealthDetailed": _object(
        {
            "status": {"type": "string", "enum": ["ok", "degraded"]},
            "components": _object(
                dict.fromkeys(("database", "redis", "stripe", "email"), _COMPONENT),
                ["database", "redis", "stripe", "email"],
            ),
        },
        ["status", "components"],
    ),
    "Version": _object(
        {"version": {"type": "string"}, "commit": {"type": "string"}}, ["version", "commit"]
    ),
    "Item": _object(
        {
            "id": {"type": "integer", "minimum": 1},
            "name": _text(100),
            "price_cents": _PRICE,
            "tags": _TAGS,
        },
        ["id", "name", "price_cents", "tags"],
    ),
    "ItemCreate": _object(
        {"name": _text(100), "price_cents": _PRICE, "tags": _TAGS}, ["name", "price_cents"]
    ),
    "LoginRequest": _object({"email": _text(254), "password": _text(128)}, ["email", "password"]),
    "Token": _object({"token": {"type": "string"}}, ["token"]),
}


def openapi_document(version: str) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Demo Shop API",
            "version": version,
            "description": "The API of the pytest-prodready embedded demo target.",
        },
        "paths": _paths(),
        "components": {
            "schemas": _SCHEMAS,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
    }
