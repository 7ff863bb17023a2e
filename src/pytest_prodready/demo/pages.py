"""The HTML side of the demo: home, login/logout, dashboard, static assets, leaked files."""

from __future__ import annotations

import base64
import html
import json
import re
import secrets
from importlib import resources

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute

from pytest_prodready.demo.errors import plain_error
from pytest_prodready.demo.responses import route
from pytest_prodready.demo.security import constant_time_equal, csp_nonce, set_cookie
from pytest_prodready.demo.state import DemoState

SESSION_COOKIE = "session"
CSRF_COOKIE = "csrftoken"
CSRF_FIELD = "csrf_token"
_CSRF_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")

_STATIC = {
    "app.css": "text/css",
    "app.js": "text/javascript",
    "favicon.svg": "image/svg+xml",
}
_IMMUTABLE = "public, max-age=31536000, immutable"
_DESCRIPTIONS = {
    "Demo Shop": "Plans and add-ons for small teams, billed monthly.",
    "Log in": "Log in to your Demo Shop account.",
    "Dashboard": "Your Demo Shop plans, invoices and team.",
}
# The pages a search engine may list.
_PUBLIC_PAGES = ("/", "/login")
_BROKEN_PAGE_CACHE = "public, max-age=600"

# What teams leave in the web root: the deploy's env file and the repository metadata.
_LEAKED_FILES = {
    "/.env": (
        "NODE_ENV=production\n"
        "DATABASE_URL=postgres://app:hunter2@db:5432/app\n"
        "REDIS_URL=redis://:hunter2@redis:6379/0\n"
        "STRIPE_SECRET_KEY=sk_live_51FAKEFAKEFAKEdemoBrokenNotARealKey000000\n"
        "STRIPE_WEBHOOK_SECRET=whsec_FAKEdemoBrokenNotARealSecret\n"
        "SECRET_KEY=django-insecure-demo-broken-fake-secret-key\n"
    ),
    "/.git/HEAD": "ref: refs/heads/main\n",
}


def _fake_jwt(claims: dict[str, str]) -> str:
    def part(data: dict[str, str]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.ZmFrZS1zaWduYXR1cmUtbm90LXJlYWw"


# What a NEXT_PUBLIC_ mistake ships to every browser, and the source map next to it.
_BROKEN_BUNDLE = (
    "\nwindow.__CONFIG__ = {\n"
    '  stripeKey: "sk_live_51FAKEFAKEFAKEdemoBrokenNotARealKey000000",\n'
    f'  supabaseKey: "{_fake_jwt({"iss": "supabase", "role": "service_role"})}",\n'
    "};\n//# sourceMappingURL=app.js.map\n"
)
_BROKEN_SOURCE_MAP = json.dumps(
    {"version": 3, "file": "app.js", "sources": ["src/app.ts"], "names": [], "mappings": "AAAA"}
)


class Pages:
    def __init__(self, state: DemoState) -> None:
        self.state = state
        self.settings = state.settings
        self.broken = state.settings.broken
        package = resources.files(__package__)
        self.assets = {name: (package / "static" / name).read_bytes() for name in _STATIC}

    def routes(self) -> list[BaseRoute]:
        routes: list[BaseRoute] = [
            route("/", {"GET": self.home}),
            route("/login", {"GET": self.login_form, "POST": self.login_submit}),
            route("/logout", {"POST": self.logout}),
            route("/dashboard", {"GET": self.dashboard}),
            route("/static/{name}", {"GET": self.static}),
            route("/robots.txt", {"GET": self.robots}),
            route("/sitemap.xml", {"GET": self.sitemap}),
        ]
        if self.broken:
            routes += [route(path, {"GET": self.leaked_file}) for path in _LEAKED_FILES]
            # Before /static/{name}, which would answer 404 for it.
            routes.insert(0, route("/static/app.js.map", {"GET": self.source_map}))
        return routes

    async def home(self, request: Request) -> Response:
        if self.broken:
            scripts = (
                '<script>document.getElementById("status").textContent = "Ready.";</script>\n'
                '<script>throw new Error("demo-broken: boom");</script>\n'
                '<img src="http://127.0.0.1:1/pixel.png" alt="" width="1" height="1">'
            )
        else:
            scripts = (
                f'<script nonce="{csp_nonce(request)}">'
                'document.getElementById("status").textContent = "Ready.";</script>'
            )
        body = f"""<h1>Demo Shop</h1>
<p>Plans and add-ons for small teams.</p>
<p id="status">Loading...</p>
{scripts}"""
        return self._page(request, "Demo Shop", body)

    async def login_form(self, request: Request) -> Response:
        token = self._csrf_token(request)
        response = self._page(request, "Log in", _login_form(token, error=None))
        self._set_csrf_cookie(response, token)
        return response

    async def login_submit(self, request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=10)
        if not self._csrf_ok(request, form.get(CSRF_FIELD)):
            return plain_error(request, 403, "CSRF verification failed")
        username, password = form.get("username"), form.get("password")
        if not (
            isinstance(username, str)
            and isinstance(password, str)
            and constant_time_equal(username, self.settings.admin_username)
            and constant_time_equal(password, self.settings.admin_password)
        ):
            token = self._csrf_token(request)
            body = _login_form(token, error="Invalid username or password.")
            return self._page(request, "Log in", body, status_code=401)
        response = RedirectResponse("/dashboard", status_code=303)
        cookie = self.state.sessions.create(username)
        set_cookie(
            response, SESSION_COOKIE, cookie, broken=self.broken, httponly=True, samesite="Lax"
        )
        # A new CSRF token per session, so a token seen before login is worth nothing after.
        self._set_csrf_cookie(response, secrets.token_urlsafe(32))
        return response

    async def logout(self, request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=10)
        if not self._csrf_ok(request, form.get(CSRF_FIELD)):
            return plain_error(request, 403, "CSRF verification failed")
        self.state.sessions.revoke(request.cookies.get(SESSION_COOKIE))
        response = RedirectResponse("/login", status_code=303)
        set_cookie(
            response,
            SESSION_COOKIE,
            "",
            broken=self.broken,
            httponly=True,
            samesite="Lax",
            max_age=0,
        )
        return response

    async def dashboard(self, request: Request) -> Response:
        username = self.state.sessions.lookup(request.cookies.get(SESSION_COOKIE))
        if username is None and not self.broken:
            return RedirectResponse("/login?next=/dashboard", status_code=302)
        token = self._csrf_token(request)
        body = f"""<h1>Dashboard</h1>
<p id="welcome">Welcome, {html.escape(username or "guest")}</p>
<form method="post" action="/logout" data-submit-once>
<input type="hidden" name="{CSRF_FIELD}" value="{token}">
<button id="logout-submit" type="submit">Log out</button>
</form>"""
        response = self._page(request, "Dashboard", body)
        if request.cookies.get(CSRF_COOKIE) != token:
            self._set_csrf_cookie(response, token)
        return response

    async def static(self, request: Request) -> Response:
        name = str(request.path_params["name"])
        if name not in self.assets:
            return plain_error(request, 404, "Not Found")
        body = self.assets[name]
        if self.broken and name == "app.js":
            body += _BROKEN_BUNDLE.encode()
        return Response(body, media_type=_STATIC[name], headers={"cache-control": _IMMUTABLE})

    async def robots(self, request: Request) -> Response:
        if self.broken:
            # staging's robots.txt, shipped with the release: the site leaves search results.
            return PlainTextResponse("User-agent: *\nDisallow: /\n")
        return PlainTextResponse(
            "User-agent: *\nAllow: /\nDisallow: /dashboard\n\n"
            f"Sitemap: {_origin(request)}/sitemap.xml\n"
        )

    async def sitemap(self, request: Request) -> Response:
        # demo-broken's was generated by the build with the dev server's base URL.
        origin = "http://localhost:3000" if self.broken else _origin(request)
        urls = "".join(f"<url><loc>{origin}{path}</loc></url>\n" for path in _PUBLIC_PAGES)
        return Response(
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{urls}</urlset>\n',
            media_type="application/xml",
        )

    async def source_map(self, request: Request) -> Response:
        return Response(_BROKEN_SOURCE_MAP, media_type="application/json")

    async def leaked_file(self, request: Request) -> Response:
        return PlainTextResponse(_LEAKED_FILES[request.url.path])

    def _page(self, request: Request, title: str, main: str, status_code: int = 200) -> Response:
        nonce = "" if self.broken else f' nonce="{csp_nonce(request)}"'
        # demo-broken also ships a lax <meta> policy, where no header check can see it.
        meta_csp = (
            '\n<meta http-equiv="Content-Security-Policy" '
            "content=\"script-src 'self' 'unsafe-inline'\">"
            if self.broken
            else ""
        )
        # demo-broken shipped staging's noindex: the release takes the site out of search.
        robots = '\n<meta name="robots" content="noindex, nofollow">' if self.broken else ""
        description = html.escape(_DESCRIPTIONS[title], quote=True)
        canonical = html.escape(f"{_origin(request)}{request.url.path}", quote=True)
        document = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">{meta_csp}{robots}
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<meta name="description" content="{description}">
<link rel="canonical" href="{canonical}">
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/app.css">
<script src="/static/app.js"{nonce} defer></script>
</head>
<body>
<header><nav><a href="/">Home</a><a href="/login">Log in</a><a href="/dashboard">Dashboard</a></nav>
</header>
<main>
{main}
</main>
<footer>Assets: <a href="/static/app.css">app.css</a> &middot; <a href="/static/app.js">app.js</a>
&middot; version {html.escape(self.settings.version)}</footer>
</body>
</html>
"""
        response = HTMLResponse(document, status_code=status_code)
        if self.broken:
            # The shared cache in front will now serve one user's page to the next.
            response.headers["cache-control"] = _BROKEN_PAGE_CACHE
        return response

    def _csrf_token(self, request: Request) -> str:
        """The browser's current double-submit token, or a new one if it has none."""
        current = request.cookies.get(CSRF_COOKIE, "")
        return current if _CSRF_TOKEN.fullmatch(current) else secrets.token_urlsafe(32)

    def _set_csrf_cookie(self, response: Response, token: str) -> None:
        # Not HttpOnly: double-submit lets page scripts read it; Secure and Strict still hold.
        set_cookie(
            response, CSRF_COOKIE, token, broken=self.broken, httponly=False, samesite="Strict"
        )

    def _csrf_ok(self, request: Request, submitted: object) -> bool:
        cookie = request.cookies.get(CSRF_COOKIE, "")
        return (
            bool(cookie) and isinstance(submitted, str) and constant_time_equal(submitted, cookie)
        )


def _origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


def _login_form(csrf_token: str, error: str | None) -> str:
    message = f'<p class="error" id="login-error" role="alert">{error}</p>\n' if error else ""
    return f"""<h1>Log in</h1>
{message}<form method="post" action="/login" data-submit-once>
<input type="hidden" name="{CSRF_FIELD}" value="{csrf_token}">
<label for="username">Email</label>
<input id="username" name="username" type="text" autocomplete="username" required>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button id="login-submit" type="submit">Log in</button>
</form>"""
