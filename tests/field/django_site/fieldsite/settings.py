"""Settings of the field test bed's Django site: one project, two deployments.

``FIELD_VARIANT=good`` follows Django's deployment checklist and the django-csp and
django-cors-headers docs. ``FIELD_VARIANT=bad`` is what teams ship by mistake: DEBUG left on,
no HSTS, an 'unsafe-inline' CSP, default cookie flags, CORS wide open with credentials, the
login-required middleware forgotten, a legacy theme, a read replica that is not there.

The rest of the configuration comes from the deploy directory's ``.env`` (``FIELD_DEPLOY_DIR``),
as django-environ's ``read_env`` would load it: variables already set win.
"""

from __future__ import annotations

import os
from pathlib import Path

from csp.constants import NONCE, NONE, SELF, STRICT_DYNAMIC, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
DEPLOY_DIR = Path(os.environ["FIELD_DEPLOY_DIR"])


def _read_env(path: Path) -> None:
    for line in path.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and not key.startswith("#"):
            os.environ.setdefault(key.strip(), value.strip())


_read_env(DEPLOY_DIR / ".env")

VARIANT = os.environ.get("FIELD_VARIANT", "good")
if VARIANT not in ("good", "bad"):
    raise ImproperlyConfigured(f"FIELD_VARIANT must be good or bad, not {VARIANT!r}")
GOOD = VARIANT == "good"

SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
DEBUG = not GOOD
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
APP_VERSION = os.environ.get("APP_VERSION", "0.0.0")
# Absolute URL of the site, for links that leave the request (e-mails, the logo).
SITE_URL = os.environ["SITE_URL"]
# Empty means "development": the webhook view then skips signature checks (the bad variant).
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "csp",
    "portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]
if GOOD:
    # Django 5.1+: every view needs a login unless marked @login_not_required. The bad
    # variant forgot it, and its dashboard has no decorator of its own.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
        "django.contrib.auth.middleware.LoginRequiredMiddleware",
    )
    # Django has no setting for Permissions-Policy.
    MIDDLEWARE.append("portal.middleware.PermissionsPolicyMiddleware")

ROOT_URLCONF = "fieldsite.urls"
WSGI_APPLICATION = "fieldsite.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # The bad deployment still carries the pre-CSP theme that overrides app templates.
        "DIRS": [] if GOOD else [BASE_DIR / "legacy_theme"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.site",
            ],
        },
    },
]

DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["DATABASE_PATH"]},
}
if os.environ.get("DATABASE_REPLICA_PATH"):
    # A read replica the detailed health endpoint reports on.
    DATABASES["replica"] = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ["DATABASE_REPLICA_PATH"],
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = os.environ["STATIC_ROOT"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Fingerprinted names, so nginx can cache them for a year.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
        if GOOD
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# nginx terminates TLS and says so; both variants got this right (without it, CSRF's
# Origin check refuses every HTTPS login).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

if GOOD:
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 63072000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
    SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    CSRF_COOKIE_SECURE = True
    CSRF_COOKIE_SAMESITE = "Lax"
    CONTENT_SECURITY_POLICY = {
        "DIRECTIVES": {
            "default-src": [SELF],
            # Strict CSP: a fresh nonce per response; 'strict-dynamic' trusts what they load.
            "script-src": [NONCE, STRICT_DYNAMIC],
            "style-src": [SELF, NONCE],
            "img-src": [SELF],
            "object-src": [NONE],
            "base-uri": [NONE],
            "frame-ancestors": [NONE],
            "form-action": [SELF],
        },
    }
    # The one front-end that calls the API with the user's cookies.
    CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    CORS_ALLOW_CREDENTIALS = True
    CORS_URLS_REGEX = r"^/api/.*$"
else:
    SECURE_HSTS_SECONDS = 0
    SESSION_COOKIE_SECURE = False
    # "Our SPA reads the session" and "SameSite broke the partner iframe".
    SESSION_COOKIE_HTTPONLY = False
    SESSION_COOKIE_SAMESITE = None
    CSRF_COOKIE_SECURE = False
    CSRF_COOKIE_SAMESITE = None
    CONTENT_SECURITY_POLICY = {
        "DIRECTIVES": {
            "default-src": [SELF],
            # Added so the legacy theme's inline scripts run.
            "script-src": [SELF, UNSAFE_INLINE],
        },
    }
    CORS_ALLOW_ALL_ORIGINS = True
    CORS_ALLOW_CREDENTIALS = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
