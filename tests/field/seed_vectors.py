"""The five deployment checklists in /work/shared/seeds/, as plain facts for the pure checks.

Every configuration value below is copied verbatim from a seed through :func:`lit`, :func:`hdr`
or :func:`cite`, which record ``file:line`` and the quoted text; ``test_seeds.py`` re-reads the
seeds and fails if a quote is no longer on its line. What a seed does not say (a route, the
project ref in a Supabase cookie name, the Retry-After a limiter sends) is marked in a comment
as ours, so a reader can tell the seed's literal from the scaffolding around it.

Each :class:`Vector` names one check and the ids it must return: ``fails`` at LOW or above
(what fails a run), ``advice`` at INFO; both exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pytest_prodready.checks.redirect import Hop
from pytest_prodready.config import GuardedEndpoint, HealthEndpoint, RateLimitSpec

__all__ = [
    "LITERALS",
    "SEEDS",
    "VECTORS",
    "Cors",
    "Guarded",
    "Health",
    "Limiter",
    "Lit",
    "Page",
    "Probe",
    "Protected",
    "Redirect",
    "Vector",
]

# --- Citations -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lit:
    """Each of ``quotes`` appears verbatim in lines ``first``..``last`` (1-based) of ``seed``."""

    seed: str
    first: int
    last: int
    quotes: tuple[str, ...]


LITERALS: list[Lit] = []


def cite(seed: str, lines: int | tuple[int, int], *quotes: str) -> None:
    """Record that ``quotes`` stand verbatim in ``seed`` at ``lines`` (one line or a range)."""
    first, last = (lines, lines) if isinstance(lines, int) else lines
    LITERALS.append(Lit(seed, first, last, quotes))


def lit(seed: str, lines: int | tuple[int, int], text: str) -> str:
    """``text``, cited: a value used exactly as the seed writes it."""
    cite(seed, lines, text)
    return text


def hdr(seed: str, lines: int | tuple[int, int], name: str, value: str) -> tuple[str, str]:
    """A response header whose name and value both stand in the seed at ``lines``."""
    cite(seed, lines, name, value)
    return (name, value)


def swap(text: str, old: str, new: str) -> str:
    """``text`` with its one ``old`` replaced: a seed's body with one value changed."""
    if text.count(old) != 1:
        raise ValueError(f"{old!r} is not in the seed text exactly once")
    return text.replace(old, new)


# --- Facts, one kind per check ---------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """One HTTPS response (headers, csp, cookies and caching checks)."""

    headers: tuple[tuple[str, str], ...]
    url: str
    content_type: str = "text/html; charset=utf-8"
    body: str = ""
    # The request carried Authorization (an API call of a signed-in user).
    authorization: bool = False


@dataclass(frozen=True)
class Health:
    """One answer of a health endpoint: the seed's body, and the headers it is served with."""

    body: str
    url: str
    spec: HealthEndpoint = field(default_factory=HealthEndpoint)
    # Not in any seed: the docs ask for no-store, and a vector without it says so.
    cache_control: str | None = "no-store"


@dataclass(frozen=True)
class Limiter:
    """A limiter as a burst meets it: ``allows`` requests accepted, then a 429 with
    ``on_429``; once the wait it asks for has passed, the next request gets ``after_wait``."""

    spec: RateLimitSpec
    allows: int
    url: str
    accepted: int = 200  # 401 on a login endpoint: the app refuses the probe's wrong password
    on_429: tuple[tuple[str, str], ...] = ()
    after_wait: int = 200


@dataclass(frozen=True)
class Probe:
    """``[envs.X.ratelimit_probe]``: ``requests`` safe reads in ``within_s`` against a
    limiter that lets ``allows`` of them through (and sends no rate-limit header)."""

    allows: int
    url: str
    requests: int = 60
    within_s: float = 10.0


@dataclass(frozen=True)
class Cors:
    """A CORS policy as the hostile-origin probes meet it.

    ``fixed``: Access-Control-Allow-Origin is always ``origins[0]``; ``allowlist``: the request's
    Origin is echoed when it is one of ``origins``, else no ACAO at all.
    """

    mode: str
    origins: tuple[str, ...]
    credentials: bool
    host: str
    extra: tuple[tuple[str, str], ...] = ()
    declared: tuple[str, ...] = ()  # [envs.X.expect] cors_allowed_origins


@dataclass(frozen=True)
class Redirect:
    hops: tuple[Hop, ...]
    https_url: str


@dataclass(frozen=True)
class Protected:
    """An anonymous GET of a protected page."""

    url: str
    status: int
    location: str | None = None
    login_path: str = "/login"


@dataclass(frozen=True)
class Guarded:
    """An unauthenticated call to a cron job or webhook."""

    spec: GuardedEndpoint
    url: str
    status: int


Facts = Page | Health | Limiter | Probe | Cors | Redirect | Protected | Guarded


@dataclass(frozen=True)
class Vector:
    """One seed item, the check that judges it, and the verdict (ids, exactly)."""

    id: str
    check: str
    facts: Facts
    fails: frozenset[str] = frozenset()
    advice: frozenset[str] = frozenset()
    # Where the docs' "Where a checklist and the tool disagree" names this id.
    readme: str | None = None


VECTORS: list[Vector] = []


def vector(
    id: str,
    check: str,
    facts: Facts,
    *,
    fails: tuple[str, ...] = (),
    advice: tuple[str, ...] = (),
    readme: str | None = None,
) -> None:
    VECTORS.append(Vector(id, check, facts, frozenset(fails), frozenset(advice), readme))


SEEDS = (
    "000_0165bdbfa2c18240.txt",
    "001_1a37c15569b3d58e.txt",
    "002_0abd9bc7c730e74f.txt",
    "003_68e9205230c7b2d4.txt",
    "004_fea4c4f8923fcc33.txt",
)
S000, S001, S002, S003, S004 = SEEDS

# Ours, not any seed's: a 429 that says when to retry (the seeds document none), a 20-character
# Supabase project ref, and bodies only as long as a check needs.
RETRY_60 = (("Retry-After", "60"),)
SB_COOKIE = "sb-abcdefghijklmnopqrst-auth-token=base64-eyJhY2Nlc3NfdG9rZW4iOiIuLi4ifQ"
# @supabase/ssr's DEFAULT_COOKIE_OPTIONS (src/utils/constants.ts): path "/", sameSite "lax",
# httpOnly false, maxAge 400 days; Secure only when the app passes it.
SB_DEFAULTS = "Path=/; Max-Age=34560000; SameSite=Lax"
STRIPE_PAGE = '<script src="https://js.stripe.com/v3/"></script>'
ASSET = "/_next/static/chunks/main-3f9a1c2b7d4e5f60.js"

# === seed 000: DesinerKit (Next.js, Supabase, Stripe, Upstash) ================================

APP_000 = lit(S000, 94, "https://yourdomain.com")
HOST_000 = "yourdomain.com"

# 000:280 "Set up HSTS headers", 000:288 "Configure production CSP", 000:296-309 "Security
# Headers": the headers every page carries.
CSP_000 = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://plausible.io; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; font-src 'self' data:; "
    "connect-src 'self' https://*.supabase.co wss://*.supabase.co https://api.stripe.com "
    "https://hooks.stripe.com; frame-src 'none'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'; upgrade-insecure-requests;"
)
PAGE_000 = Page(
    (
        hdr(S000, 280, "Strict-Transport-Security", "max-age=31536000; includeSubDomains; preload"),
        hdr(S000, 288, "Content-Security-Policy", CSP_000),
        hdr(S000, 297, "X-Frame-Options", "DENY"),
        hdr(S000, 300, "X-Content-Type-Options", "nosniff"),
        hdr(S000, 303, "Referrer-Policy", "strict-origin-when-cross-origin"),
        hdr(
            S000,
            306,
            "Permissions-Policy",
            "camera=(), microphone=(), geolocation=(), interest-cohort=()",
        ),
        hdr(S000, 309, "X-XSS-Protection", "1; mode=block"),
    ),
    APP_000 + "/",
)
# Sound headers; X-XSS-Protection is advice (the docs' third disagreement).
vector(
    "seed000-headers",
    "headers",
    PAGE_000,
    advice=("header.x-xss-protection",),
    readme="header.x-xss-protection",
)
# 'unsafe-inline' in script-src undoes the policy; style 'unsafe-inline' and the host allowlist
# without 'strict-dynamic' are low. XFO DENY and frame-ancestors 'none' both present.
vector(
    "seed000-csp",
    "csp",
    PAGE_000,
    fails=("csp.script-unsafe-inline", "csp.style-unsafe-inline", "csp.strict-dynamic-missing"),
    advice=("csp.reporting-missing",),
)

# 000:428-441 CACHE_CONFIGS, each tier on the kind of response it is meant for.
cite(S000, (428, 441), "const CACHE_CONFIGS = {", "static: {", "dynamic: {", "api: {", "private: {")
CACHE_STATIC_000 = lit(S000, 430, "public, max-age=31536000, immutable")
CACHE_DYNAMIC_000 = lit(S000, 433, "public, max-age=3600")
CACHE_API_000 = lit(S000, 436, "no-cache")
CACHE_PRIVATE_000 = lit(S000, 439, "private, max-age=3600")
# 000:1140 "Session Management | Secure Cookies | Supabase Session": @supabase/ssr's cookie,
# with the Secure the seed asks for.
cite(S000, 1140, "Session Management", "Secure Cookies", "Supabase Session")
SESSION_000 = f"{SB_COOKIE}; {SB_DEFAULTS}; Secure"

vector(
    "seed000-cache-static",
    "caching",
    Page(
        (("Cache-Control", CACHE_STATIC_000),),
        APP_000 + ASSET,
        content_type="application/javascript",
    ),
)
# The docs' first disagreement: "dynamic" pages that set the session cookie.
vector(
    "seed000-cache-dynamic-session-page",
    "caching",
    Page(
        (("Cache-Control", CACHE_DYNAMIC_000), ("Set-Cookie", SESSION_000)), APP_000 + "/dashboard"
    ),
    fails=("cache.sensitive-cacheable",),
    readme="cache.sensitive-cacheable",
)
# The same tier on a page that is the same for everyone is fine: no cookie, no Authorization.
vector(
    "seed000-cache-dynamic-public-page",
    "caching",
    Page((("Cache-Control", CACHE_DYNAMIC_000),), APP_000 + "/tools"),
)
vector(
    "seed000-cache-api",
    "caching",
    Page(
        (("Cache-Control", CACHE_API_000),),
        APP_000 + "/api/usage",
        content_type="application/json",
        authorization=True,
    ),
)
vector(
    "seed000-cache-private",
    "caching",
    Page(
        (("Cache-Control", CACHE_PRIVATE_000), ("Set-Cookie", SESSION_000)), APP_000 + "/dashboard"
    ),
)
# The docs' second disagreement: the browser client reads the cookie, so no HttpOnly.
vector(
    "seed000-cookie-supabase-session",
    "cookies",
    Page((("Set-Cookie", SESSION_000),), APP_000 + "/dashboard"),
    fails=("cookie.session-no-httponly",),
    readme="cookie.session-no-httponly",
)

# 000:318-344 RATE_LIMIT_CONFIGS (and 000:185-189, the same plans for Upstash). The seed shows
# only an errorMessage per tier, no response header; the route is ours.
cite(S000, (185, 189), "Free: 60 requests/minute", "Premium: 120", "Pro: 300", "Strict: 5")
cite(S000, (319, 322), "guest: {", "maxRequests: 30,", "windowSeconds: 60,")
cite(S000, (324, 327), "free: {", "maxRequests: 60,", "windowSeconds: 60,")
cite(S000, (329, 332), "premium: {", "maxRequests: 120,", "windowSeconds: 60,")
cite(S000, (334, 337), "pro: {", "maxRequests: 300,", "windowSeconds: 60,")
cite(S000, (339, 342), "strict: {", "maxRequests: 5,", "windowSeconds: 60,")
API_000 = APP_000 + "/api/tools"
for tier, limit in (("guest", 30), ("free", 60), ("premium", 120), ("pro", 300), ("strict", 5)):
    spec = RateLimitSpec(tier, "/api/tools", limit, 60, method="GET")
    # Each tier enforced as declared, its 429 saying when to retry: nothing to report.
    vector(f"seed000-ratelimit-{tier}", "ratelimit", Limiter(spec, limit, API_000, on_429=RETRY_60))
# The 429 as the seed documents it: an error message, no Retry-After nor RateLimit header.
vector(
    "seed000-ratelimit-guest-as-documented",
    "ratelimit",
    Limiter(RateLimitSpec("guest", "/api/tools", 30, 60, method="GET"), 30, API_000),
    fails=("ratelimit.no-retry-after",),
)
# No policy declared: the probe's 60 anonymous reads meet the guest tier's 429 at #31.
vector("seed000-ratelimit-probe", "ratelimit-probe", Probe(30, API_000))

# === seed 001: AI Media Creation Workspace (Next.js on Vercel, Supabase, Upstash) =============

APP_001 = lit(S001, 298, "https://yourdomain.com")
HOST_001 = "yourdomain.com"

# 001:476-503 next.config.js headers() for '/:path*': no CSP, no Permissions-Policy.
cite(S001, 479, "source: '/:path*'")
PAGE_001 = Page(
    (
        hdr(S001, (482, 483), "X-Content-Type-Options", "nosniff"),
        hdr(S001, (486, 487), "X-Frame-Options", "DENY"),
        hdr(S001, (490, 491), "X-XSS-Protection", "1; mode=block"),
        hdr(S001, (494, 495), "Strict-Transport-Security", "max-age=31536000; includeSubDomains"),
        hdr(S001, (498, 499), "Referrer-Policy", "strict-origin-when-cross-origin"),
    ),
    APP_001 + "/",
)
vector(
    "seed001-headers",
    "headers",
    PAGE_001,
    fails=("permissions-policy.missing",),
    advice=("header.x-xss-protection",),
    readme="header.x-xss-protection",
)
vector("seed001-csp", "csp", PAGE_001, fails=("csp.missing",))

# 001:531-540 the middleware's HTTP-to-HTTPS redirect (301 to https://host + path).
cite(S001, (532, 539), "request.headers.get('x-forwarded-proto') !== 'https'", "301")
vector(
    "seed001-redirect",
    "redirect",
    Redirect(
        (
            Hop(f"http://{HOST_001}/", 301, f"https://{HOST_001}/"),
            Hop(f"https://{HOST_001}/", 200),
        ),
        APP_001 + "/",
    ),
)

# 001:543-550 protected routes without the auth-token cookie: NextResponse.redirect(new URL(
# '/login', request.url)), a 307 (Next's default) to the absolute login URL.
cite(S001, 543, "const protectedRoutes = ['/projects', '/analytics', '/settings', '/generate']")
cite(S001, 549, "return NextResponse.redirect(new URL('/login', request.url))")
for route in ("projects", "analytics", "settings", "generate"):
    vector(
        f"seed001-protected-{route}",
        "protected",
        Protected(f"{APP_001}/{route}", 307, location=APP_001 + "/login"),
    )

# 001:573-584 Upstash Ratelimit.slidingWindow(100, '1 m') per IP, of which the app reads only
# `success` (no header reaches the client); 001:450-451 the same figures in the environment.
cite(S001, 578, "limiter: Ratelimit.slidingWindow(100, '1 m')")
cite(S001, 582, "const { success } = await ratelimit.limit(ip)")
cite(S001, (450, 451), "RATE_LIMIT_REQUESTS=100", "RATE_LIMIT_WINDOW_MS=60000")
API_001 = APP_001 + "/api/generate"
SPEC_001 = RateLimitSpec("per-ip", "/api/generate", 100, 60)
vector(
    "seed001-ratelimit-ip-as-documented",
    "ratelimit",
    Limiter(SPEC_001, 100, API_001),
    fails=("ratelimit.no-retry-after",),
)
vector("seed001-ratelimit-ip", "ratelimit", Limiter(SPEC_001, 100, API_001, on_429=RETRY_60))
# No policy declared: 60 reads in 10 s never reach a 100/min limiter that sends no header.
vector(
    "seed001-ratelimit-probe",
    "ratelimit-probe",
    Probe(100, API_001),
    fails=("ratelimit.none-observed",),
    readme="ratelimit.none-observed",
)
# The workaround: a probe sized past the limit (requests = 101) meets the 429.
vector("seed001-ratelimit-probe-raised", "ratelimit-probe", Probe(100, API_001, requests=101))

# 001:591-596 CORS_HEADERS: one fixed origin, the app's own (NEXT_PUBLIC_APP_URL).
CORS_EXTRA_001 = (
    hdr(S001, 593, "Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS"),
    hdr(S001, 594, "Access-Control-Allow-Headers", "Content-Type, Authorization"),
    hdr(S001, 595, "Access-Control-Max-Age", "86400"),
)
cite(S001, 592, "'Access-Control-Allow-Origin': process.env.NEXT_PUBLIC_APP_URL")
vector("seed001-cors-api", "cors", Cors("fixed", (APP_001,), False, HOST_001, CORS_EXTRA_001))
# 001:237-243 the storage buckets' CORS: the same single origin, with credentials.
cite(S001, (239, 242), '"origin": "https://yourdomain.com"', '"credentials": true')
vector("seed001-cors-storage", "cors", Cors("fixed", (APP_001,), True, HOST_001))

# 001:815-822 HTTP caching, each line on what its comment says it is for. The session cookie
# is the middleware's auth-token (001:547); its attributes are not in the seed, and caching
# does not read them.
cite(S001, 547, "request.cookies.get('auth-token')")
SESSION_001 = "auth-token=eyJhbGciOiJIUzI1NiJ9.e30.c2ln; Path=/; HttpOnly; Secure; SameSite=Lax"
CACHE_IMMUTABLE_001 = lit(S001, 816, "public, immutable, max-age=31536000")
CACHE_PAGES_001 = lit(S001, 819, "public, s-maxage=3600, stale-while-revalidate=86400")
CACHE_SENSITIVE_001 = lit(S001, 822, "no-cache, no-store, must-revalidate")
vector(
    "seed001-cache-immutable",
    "caching",
    Page(
        (("Cache-Control", CACHE_IMMUTABLE_001),),
        APP_001 + "/_next/static/media/hero.4f3c2a1b9d8e7f60.webp",
        content_type="image/webp",
    ),
)
vector(
    "seed001-cache-static-pages-session",
    "caching",
    Page((("Cache-Control", CACHE_PAGES_001), ("Set-Cookie", SESSION_001)), APP_001 + "/projects"),
    fails=("cache.sensitive-cacheable",),
    readme="cache.sensitive-cacheable",
)
vector(
    "seed001-cache-static-pages-public",
    "caching",
    Page((("Cache-Control", CACHE_PAGES_001),), APP_001 + "/"),
)
vector(
    "seed001-cache-sensitive",
    "caching",
    Page(
        (("Cache-Control", CACHE_SENSITIVE_001), ("Set-Cookie", SESSION_001)),
        APP_001 + "/projects",
    ),
)

# 001:913-914 `curl https://yourdomain.com/api/health` "Should return {"status": "ok"}".
HEALTH_001 = lit(S001, 914, '{"status": "ok"}')
vector("seed001-health", "health", Health(HEALTH_001, APP_001 + "/api/health"))
# The seed documents no Cache-Control for it; without one a cache may keep the answer.
vector(
    "seed001-health-as-documented",
    "health",
    Health(HEALTH_001, APP_001 + "/api/health", cache_control=None),
    fails=("health.cacheable",),
)

# === seed 002: MomentVerse: a checklist of intentions ("Configure security headers", "Set up
# rate limiting", "Enable CSP") with no literal configuration to judge. No vector. ============

cite(S002, 24, "- [ ] Configure security headers")
cite(S002, 26, "- [ ] Enable CSP (Content Security Policy)")

# === seed 003: Lean SaaS Starter (Supabase, Stripe) ==========================================

APP_003 = lit(S003, 38, "https://yourdomain.com")
HOST_003 = "yourdomain.com"

# 003:249-279 securityHeaders, "applied to all responses"; the CSP is an array joined by '; '.
CSP_003_PARTS = (
    lit(S003, 272, "default-src 'self'"),
    lit(S003, 273, "script-src 'self' 'unsafe-inline' https://js.stripe.com"),
    lit(S003, 274, "style-src 'self' 'unsafe-inline'"),
    lit(S003, 275, "img-src 'self' data: https:"),
    lit(S003, 276, "connect-src 'self' https://api.stripe.com https://*.supabase.co"),
    lit(S003, 277, "frame-src https://js.stripe.com"),
)
cite(S003, (271, 278), "'Content-Security-Policy': [", "].join('; ')")
PAGE_003 = Page(
    (
        hdr(S003, 253, "X-Content-Type-Options", "nosniff"),
        hdr(S003, 256, "X-Frame-Options", "DENY"),
        hdr(S003, 259, "X-XSS-Protection", "1; mode=block"),
        hdr(
            S003,
            262,
            "Strict-Transport-Security",
            "max-age=63072000; includeSubDomains; preload",
        ),
        hdr(S003, 265, "Referrer-Policy", "strict-origin-when-cross-origin"),
        hdr(
            S003,
            268,
            "Permissions-Policy",
            "camera=(), microphone=(), geolocation=(), payment=()",
        ),
        ("Content-Security-Policy", "; ".join(CSP_003_PARTS)),
    ),
    APP_003 + "/billing",
    # The page loads Stripe.js, as its script-src allows: payment=() is then noted in the
    # report (the tool has no id for it).
    body=STRIPE_PAGE,
)
vector(
    "seed003-headers",
    "headers",
    PAGE_003,
    advice=("header.x-xss-protection",),
    readme="header.x-xss-protection",
)
# default-src 'self' leaves object-src open; no form-action. frame-ancestors is advice since
# XFO DENY forbids framing, base-uri is advice without a nonce.
vector(
    "seed003-csp",
    "csp",
    PAGE_003,
    fails=(
        "csp.script-unsafe-inline",
        "csp.style-unsafe-inline",
        "csp.strict-dynamic-missing",
        "csp.object-src-missing",
        "csp.form-action-missing",
    ),
    advice=("csp.reporting-missing", "csp.frame-ancestors-missing", "csp.base-uri-missing"),
)

# 003:73-75 and 003:217-224: an allow-list of three origins, with credentials.
ORIGINS_003 = (
    lit(S003, 220, "https://yourdomain.com"),
    lit(S003, 221, "https://www.yourdomain.com"),
    lit(S003, 222, "https://admin.yourdomain.com"),
)
cite(S003, 74, "CORS_ORIGINS=" + ",".join(ORIGINS_003))
cite(S003, 75, "CORS_CREDENTIALS=true")
vector(
    "seed003-cors",
    "cors",
    Cors(
        "allowlist",
        ORIGINS_003,
        True,
        HOST_003,
        (("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS"),),
        declared=ORIGINS_003,
    ),
)
cite(S003, 224, 'allowed_methods = ["GET", "POST", "PUT", "DELETE", "OPTIONS"]')

# 003:434-436 the CDN's Cache-Control for static assets.
CDN_003 = lit(S003, 435, "https://cdn.yourdomain.com")
vector(
    "seed003-cache-cdn",
    "caching",
    Page(
        (("Cache-Control", lit(S003, 436, "public, max-age=31536000, immutable")),),
        CDN_003 + "/assets/app.3f9a1c2b7d4e5f60.css",
        content_type="text/css",
    ),
)

# 003:286-340 rateLimitConfig. A block (blockDuration) is a lockout: its 429 asks for the block,
# Retry-After = blockDuration / 1000 (ours: the seed names no header), longer than the 120 s
# the reset test waits by default, hence ratelimit.reset-unverified (info).
LOGIN_003 = APP_003 + "/auth/login"


def blocked(seconds: int) -> tuple[tuple[str, str], ...]:
    return (("Retry-After", str(seconds)),)


cite(S003, (288, 292), "global: {", "windowMs: 3600000,", "maxRequests: 1000,")
vector(
    "seed003-ratelimit-global",
    "ratelimit",
    Limiter(
        RateLimitSpec("global", "/api/projects", 1000, 3600, method="GET"),
        1000,
        APP_003 + "/api/projects",
        on_429=blocked(3600),
    ),
    advice=("ratelimit.reset-unverified",),
)
cite(S003, (298, 301), "'/auth/login': {", "windowMs: 60000,", "maxRequests: 5,")
cite(S003, 301, "blockDuration: 900000   // 15 minutes block after limit")
LOGIN_SPEC_003 = RateLimitSpec("login", "/auth/login", 5, 60)
vector(
    "seed003-ratelimit-login-lockout",
    "ratelimit",
    Limiter(LOGIN_SPEC_003, 5, LOGIN_003, accepted=401, on_429=blocked(900)),
    advice=("ratelimit.reset-unverified",),
)
# max_reset_wait_s = 900: the reset test waits the block out, and the next login is answered.
vector(
    "seed003-ratelimit-login-lockout-waited",
    "ratelimit",
    Limiter(
        RateLimitSpec("login", "/auth/login", 5, 60, max_reset_wait_s=900),
        5,
        LOGIN_003,
        accepted=401,
        on_429=blocked(900),
        after_wait=401,
    ),
)
# A limiter that advertises the 60 s window while it blocks for 15 minutes.
vector(
    "seed003-ratelimit-login-retry-after-window",
    "ratelimit",
    Limiter(LOGIN_SPEC_003, 5, LOGIN_003, accepted=401, on_429=RETRY_60, after_wait=429),
    fails=("ratelimit.no-reset",),
)
for name, path, lines, limit, window_s, block_s in (
    ("register", "/auth/register", (304, 307), 3, 3600, 3600),
    ("api-keys-create", "/api-keys/create", (311, 314), 10, 300, 3600),
    ("billing-checkout", "/billing/checkout", (318, 321), 3, 60, 300),
):
    cite(
        S003,
        lines,
        f"'{path}': {{",
        f"windowMs: {window_s * 1000},",
        f"maxRequests: {limit},",
        f"blockDuration: {block_s * 1000}",
    )
    vector(
        f"seed003-ratelimit-{name}",
        "ratelimit",
        Limiter(
            RateLimitSpec(name, path, limit, window_s),
            limit,
            APP_003 + path,
            on_429=blocked(block_s),
        ),
        advice=("ratelimit.reset-unverified",),
    )
# 003:326-338 userTiers (per hour). enterprise (10000/hour) is past the 1000 a policy may declare.
for tier, lines, limit in (("free", (327, 329), 100), ("pro", (331, 333), 1000)):
    cite(S003, lines, f"{tier}: {{", "windowMs: 3600000,", f"maxRequests: {limit}")
    vector(
        f"seed003-ratelimit-tier-{tier}",
        "ratelimit",
        Limiter(
            RateLimitSpec(tier, "/api/projects", limit, 3600, method="GET", tier=tier),
            limit,
            APP_003 + "/api/projects",
            on_429=blocked(3600),
        ),
        advice=("ratelimit.reset-unverified",),
    )
# 003:77-82 the environment's figures disagree with the code's: RATE_LIMIT_AUTH=10 per minute
# against '/auth/login' 5 per minute, and a burst multiplier of 2 on top.
cite(S003, 77, "# Rate Limiting (requests per minute)")
cite(S003, 79, "RATE_LIMIT_AUTH=10")
cite(S003, 82, "RATE_LIMIT_BURST_MULTIPLIER=2")
ENV_SPEC_003 = RateLimitSpec("login", "/auth/login", 10, 60)
# Declared from the environment, enforced as the code says: users are refused at #6.
vector(
    "seed003-ratelimit-auth-env-vs-code",
    "ratelimit",
    Limiter(ENV_SPEC_003, 5, LOGIN_003, accepted=401, on_429=blocked(900)),
    fails=("ratelimit.too-early",),
    advice=("ratelimit.reset-unverified",),
)
# Declared from the code, enforced from the environment: 10 pass, past the burst's cap of 5 + 3.
vector(
    "seed003-ratelimit-auth-code-vs-env",
    "ratelimit",
    Limiter(LOGIN_SPEC_003, 10, LOGIN_003, accepted=401, on_429=RETRY_60),
    fails=("ratelimit.not-enforced",),
)
# Declared 10 per minute, enforced with the multiplier (20): past even the widest burst (10 + 10).
vector(
    "seed003-ratelimit-auth-burst-multiplier",
    "ratelimit",
    Limiter(
        RateLimitSpec("login", "/auth/login", 10, 60, margin=10),
        20,
        LOGIN_003,
        accepted=401,
        on_429=RETRY_60,
    ),
    fails=("ratelimit.not-enforced",),
)
# No policy declared: anonymous reads fall under the global 1000/hour, far past the probe's 60.
vector(
    "seed003-ratelimit-probe",
    "ratelimit-probe",
    Probe(1000, APP_003 + "/api/projects"),
    fails=("ratelimit.none-observed",),
    readme="ratelimit.none-observed",
)

# === seed 004: Dirt Free CRM (Next.js on Vercel, Supabase, Stripe, Twilio) ===================

APP_004 = lit(S004, 552, "https://your-domain.com")

# 004:135-156 "Security Headers Verification" in next.config.ts: no HSTS, no CSP.
PAGE_004 = Page(
    (
        hdr(S004, (140, 141), "X-Frame-Options", "DENY"),
        hdr(S004, (144, 145), "X-Content-Type-Options", "nosniff"),
        hdr(S004, (148, 149), "Referrer-Policy", "strict-origin-when-cross-origin"),
        hdr(S004, (152, 153), "Permissions-Policy", "geolocation=(), microphone=(), camera=()"),
    ),
    APP_004 + "/",
)
vector("seed004-headers", "headers", PAGE_004, fails=("hsts.missing",))
vector("seed004-csp", "csp", PAGE_004, fails=("csp.missing",))

# 004:1271-1290 "Health Check Endpoints": the simple body and the detailed one.
HEALTH_004 = lit(S004, 1276, '{ "status": "ok" }')
DETAILED_004 = lit(
    S004,
    (1282, 1289),
    "{\n"
    '  "status": "operational",\n'
    '  "database": "operational",\n'
    '  "stripe": "operational",\n'
    '  "twilio": "operational",\n'
    '  "resend": "operational",\n'
    '  "sentry": "operational"\n'
    "}",
)
cite(S004, 685, 'Verify all services return "operational"')
DETAILED_URL_004 = lit(S004, 1021, "https://your-domain.com/api/health/detailed")
DETAILED_SPEC_004 = HealthEndpoint(path="/api/health/detailed")
vector("seed004-health", "health", Health(HEALTH_004, APP_004 + "/api/health"))
vector(
    "seed004-health-detailed", "health", Health(DETAILED_004, DETAILED_URL_004, DETAILED_SPEC_004)
)
# 004:1011-1021 "Database Connection Failures": the detailed body with the database down.
DATABASE_OK = '"database": "operational"'
vector(
    "seed004-health-detailed-database-down",
    "health",
    Health(
        swap(DETAILED_004, DATABASE_OK, '"database": "down"'), DETAILED_URL_004, DETAILED_SPEC_004
    ),
    fails=("health.component-unhealthy",),
)
# The same, in the vocabulary the seed's "operational" comes from (Statuspage: operational,
# degraded_performance, partial_outage, major_outage): compound states read as states.
vector(
    "seed004-health-detailed-database-major-outage",
    "health",
    Health(
        swap(DETAILED_004, DATABASE_OK, '"database": "major_outage"'),
        DETAILED_URL_004,
        DETAILED_SPEC_004,
    ),
    fails=("health.component-unhealthy",),
)
# When the overall status reports it too, it is caught whatever the word.
vector(
    "seed004-health-detailed-outage-overall",
    "health",
    Health(
        swap(
            swap(DETAILED_004, DATABASE_OK, '"database": "major_outage"'),
            '"status": "operational"',
            '"status": "major_outage"',
        ),
        DETAILED_URL_004,
        DETAILED_SPEC_004,
    ),
    fails=("health.component-unhealthy",),
)

# 004:131 "Session management secure (httpOnly, secure, sameSite cookies)": Supabase's session
# cookie with all three (SameSite=Lax: the seed names the attribute, not its value).
cite(S004, 131, "Session management secure (httpOnly, secure, sameSite cookies)")
vector(
    "seed004-cookie-session",
    "cookies",
    Page(
        (("Set-Cookie", f"{SB_COOKIE}; {SB_DEFAULTS}; HttpOnly; Secure"),), APP_004 + "/dashboard"
    ),
)

# 004:604-617 cron jobs: POST with "Authorization: Bearer YOUR_CRON_SECRET"; without it the
# endpoint must refuse. 004:1067-1069 the Stripe webhook, called without Stripe-Signature.
CRON_004 = lit(S004, 605, "/api/cron/execute/process-opportunity-offers")
cite(S004, 607, "Authorization: Bearer YOUR_CRON_SECRET")
WEBHOOK_004 = lit(S004, 1067, "/api/webhooks/stripe")
cite(S004, 1069, """-d '{"test": true}'""")
vector(
    "seed004-guarded-cron", "guarded", Guarded(GuardedEndpoint(CRON_004), APP_004 + CRON_004, 401)
)
# A cron route that forgot the bearer check runs the job for anyone.
vector(
    "seed004-guarded-cron-open",
    "guarded",
    Guarded(GuardedEndpoint(CRON_004), APP_004 + CRON_004, 200),
    fails=("endpoint.unguarded",),
)
vector(
    "seed004-guarded-stripe-webhook",
    "guarded",
    Guarded(GuardedEndpoint(WEBHOOK_004), APP_004 + WEBHOOK_004, 400),
)
# 004:1092-1094 "Test sending" in production: the diagnosis POSTs with no credential and
# expects an SMS or email to go out, i.e. a 2xx to anyone who finds the route.
cite(S004, 1092, "# Test sending")
for channel, line in (("sms", 1093), ("email", 1094)):
    path = lit(S004, line, f"/api/test/send-{channel}")
    vector(
        f"seed004-guarded-test-send-{channel}",
        "guarded",
        Guarded(GuardedEndpoint(path), APP_004 + path, 200),
        fails=("endpoint.unguarded",),
    )
