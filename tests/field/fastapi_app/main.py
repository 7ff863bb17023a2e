"""The shop API: FastAPI with slowapi, Starlette's CORS and GZip middleware, and a security
header middleware, built for the variant ``FIELD_FASTAPI_VARIANT`` names.

Run as ``uvicorn tests.field.fastapi_app.main:app --ssl-certfile ... --ssl-keyfile ...``.
Routes that differ between the variants are written twice, side by side: the good one, and
the one the misconfigured release shipped.
"""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations at runtime,
# and a string annotation naming a local (the `account` dependency) would not resolve.
import platform
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from slowapi import Limiter, _rate_limit_exceeded_handler
from slowapi.errors import RateLimitExceeded
from slowapi.util import get_remote_address

from tests.field.fastapi_app.models import (
    Account,
    CleanupReport,
    Credentials,
    DetailedHealth,
    Health,
    Item,
    ItemIn,
    Problem,
    RateLimited,
    Token,
    Version,
)
from tests.field.fastapi_app.security import SecurityHeadersMiddleware, constant_time_equal
from tests.field.fastapi_app.settings import (
    LOGIN_LIMIT,
    LOGIN_WINDOW_S,
    TRUSTED_ORIGIN,
    Settings,
)
from tests.field.fastapi_app.store import (
    ACCOUNTS,
    Catalogue,
    check_cache,
    check_database,
    to_item,
)

SortKey = Literal["id", "name", "price_cents"]
# What each documented status of an operation returns, FastAPI's way (`responses=`).
UNAUTHORIZED: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "Missing or wrong bearer token"}
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "No such item"}
}
# FastAPI answers 400 to a body it cannot decode (not UTF-8) but never documents it: a team
# whose clients are generated from the document lists it on every route that takes a body.
MALFORMED: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "The body could not be parsed"}
}
LOGIN_RESPONSES: dict[int | str, dict[str, Any]] = {
    **MALFORMED,
    401: {"model": Problem, "description": "Wrong email or password"},
    429: {"model": RateLimited, "description": "Too many attempts; see Retry-After"},
}

LANDING = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Field Shop API</title>
</head>
<body>
<main>
<h1>Field Shop API</h1>
<p>The catalogue and account API of Field Shop. Clients are generated from the OpenAPI
document at <a href="/openapi.json">/openapi.json</a>; every change to it goes through review,
and breaking changes get a new major version.</p>
<h2>Endpoints</h2>
<ul>
<li><code>GET /api/items</code>: the catalogue, paginated with <code>limit</code> and
<code>offset</code>, sorted by <code>id</code>, <code>name</code> or <code>price_cents</code>,
filtered with <code>q</code>.</li>
<li><code>GET /api/items/{item_id}</code>: one item.</li>
<li><code>POST /api/items</code>: add an item (bearer token).</li>
<li><code>GET /api/me</code>: the account behind the bearer token.</li>
<li><code>POST /api/auth/login</code>: exchange an email and password for a token; limited to
a few attempts per client every few seconds.</li>
<li><code>GET /api/health</code>, <code>GET /api/health/detailed</code>: liveness, and the
state of the database and the cache.</li>
<li><code>GET /api/version</code>: the deployed release.</li>
</ul>
<h2>Support</h2>
<p>Questions about the API, rate limits or an outage: write to the platform team. Status
updates for incidents are posted on the status page before anywhere else, and every incident
gets a written review within five working days.</p>
</main>
</body>
</html>
"""


def create_app(settings: Settings) -> FastAPI:
    good = settings.good
    app = FastAPI(
        title="Field Shop API",
        version=settings.version or "unknown",
        # Misconfigured: debug left on (tracebacks in 500 answers) and the interactive docs
        # served in production; the good deployment publishes only the schema.
        debug=not good,
        docs_url="/docs" if not good else None,
        redoc_url="/redoc" if not good else None,
        openapi_url="/openapi.json",
    )
    catalogue = Catalogue()
    # Misconfigured: RATELIMIT_ENABLED=false left over from a load test.
    limiter = Limiter(
        key_func=get_remote_address,
        headers_enabled=True,
        storage_uri="memory://",
        enabled=good,
    )
    app.state.limiter = limiter
    # slowapi's documented wiring; its handler is typed for its own exception only.
    app.add_exception_handler(RateLimitExceeded, _rate_limit_exceeded_handler)  # type: ignore[arg-type]

    # Added innermost first: the security headers wrap everything, CORS preflights included.
    if good:
        app.add_middleware(GZipMiddleware, minimum_size=1000)
        app.add_middleware(
            CORSMiddleware,
            allow_origins=[TRUSTED_ORIGIN],
            allow_credentials=True,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
            expose_headers=["Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining"],
        )
    else:
        # "CORS errors in the browser": the copy-pasted fix that lets every site in.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=["*"],
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
        )
    app.add_middleware(SecurityHeadersMiddleware, good=good)

    bearer = HTTPBearer(description="The API token of the account")

    def account(
        credentials: Annotated[HTTPAuthorizationCredentials, Depends(bearer)],
    ) -> Account:
        if not constant_time_equal(credentials.credentials, settings.api_token):
            raise HTTPException(401, "invalid token", headers={"WWW-Authenticate": "Bearer"})
        return Account(id=1, email="ada@shop.test", plan="pro")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def landing() -> str:
        return LANDING

    @app.get("/api/health", response_model=Health, tags=["ops"])
    async def health() -> Health:
        return Health(status="ok")

    @app.get("/api/health/detailed", response_model=DetailedHealth, tags=["ops"])
    def health_detailed() -> DetailedHealth:
        checks = {"database": check_database(catalogue), "cache": check_cache(settings.cache_url)}
        down = any(check.status != "ok" for check in checks.values())
        return DetailedHealth(
            status="degraded" if down else "ok", version=settings.version, checks=checks
        )

    @app.get("/api/version", response_model=Version, tags=["ops"])
    async def version() -> Version:
        return Version(version=settings.version, python=platform.python_version())

    @app.post(
        "/api/auth/login",
        response_model=Token,
        responses=LOGIN_RESPONSES if good else {},
        tags=["auth"],
    )
    @limiter.limit(f"{LOGIN_LIMIT}/{LOGIN_WINDOW_S} seconds")
    async def login(request: Request, response: Response, credentials: Credentials) -> Token:
        # slowapi needs `request` to key the limit and `response` to add its headers.
        known = ACCOUNTS.get(credentials.email.lower())
        if known is None or not constant_time_equal(credentials.password, known):
            raise HTTPException(401, "wrong email or password")
        return Token(access_token=settings.api_token)

    @app.get("/api/me", response_model=Account, responses=UNAUTHORIZED if good else {})
    async def me(who: Annotated[Account, Depends(account)]) -> Account:
        return who

    @app.post(
        "/api/items",
        response_model=Item,
        status_code=201,
        responses={**MALFORMED, **UNAUTHORIZED} if good else {},
        tags=["items"],
    )
    async def create_item(item: ItemIn, _: Annotated[Account, Depends(account)]) -> Item:
        return to_item(catalogue.add(item.name, item.price_cents, item.currency, item.tags))

    if good:

        @app.get("/api/items", response_model=list[Item], tags=["items"])
        async def list_items(
            limit: Annotated[int, Query(ge=1, le=100)] = 20,
            offset: Annotated[int, Query(ge=0)] = 0,
            sort: SortKey = "id",
            q: Annotated[str | None, Query(max_length=50)] = None,
        ) -> list[Item]:
            items = [to_item(row) for row in catalogue.rows.values()]
            if q:
                items = [i for i in items if q.lower() in i.name.lower()]
            items.sort(key=lambda i: getattr(i, sort))
            return items[offset : offset + limit]

        @app.get("/api/items/{item_id}", response_model=Item, responses=NOT_FOUND, tags=["items"])
        async def get_item(item_id: int) -> Item:
            row = catalogue.rows.get(item_id)
            if row is None:
                raise HTTPException(404, "no such item")
            return to_item(row)

    else:

        @app.get("/api/items", response_model=list[Item], tags=["items"])
        async def list_items_shipped(
            limit: Annotated[int, Query(ge=1, le=100)] = 20,
            offset: Annotated[int, Query(ge=0)] = 0,
            sort: SortKey = "id",
            q: Annotated[str | None, Query(max_length=50)] = None,
        ) -> Any:
            rows = list(catalogue.rows.values())
            if q:
                rows = [r for r in rows if q.lower() in r["name"].lower()]
            rows.sort(key=lambda r: r["price"] if sort == "price_cents" else r[sort])
            # "Skip pydantic, it is faster": raw rows bypass response_model, so clients get
            # the database's `price` instead of the documented `price_cents`.
            return JSONResponse(jsonable_encoder(rows[offset : offset + limit]))

        @app.get("/api/items/{item_id}", response_model=Item, tags=["items"])
        async def get_item_shipped(item_id: int) -> Item:
            # A KeyError for any id not in the catalogue: a 500 (with debug on, a traceback)
            # where the good release answers a documented 404.
            return to_item(catalogue.rows[item_id])

    @app.post("/api/internal/cron/cleanup", response_model=CleanupReport, include_in_schema=False)
    async def cron_cleanup(authorization: Annotated[str | None, Header()] = None) -> Any:
        # The scheduler sends `Authorization: Bearer $CRON_SECRET`. Misconfigured: the secret
        # is unset there, and this check, written for local runs, then lets everyone in.
        if settings.cron_secret is not None and not constant_time_equal(
            authorization or "", f"Bearer {settings.cron_secret}"
        ):
            return JSONResponse({"detail": "unauthorized"}, status_code=401)
        return CleanupReport(removed=0)

    return app


app = create_app(Settings.from_env())
