"""Exposed files: secrets, source, backups and debug pages a deployment must not serve.

The catalogue (:data:`EXPOSURES`) is data: a path, the finding id, and a signature that
recognises the real file from its first bytes. The paths and signatures follow nuclei's
exposure templates, minus their known false positives:

* every signature is anchored on the start of the body or requires a non-HTML body, so a
  single-page app that answers every path with its HTML shell never matches, even when
  its inline script happens to contain ``ref: refs/`` or ``KEY=value``;
* an answer that looks like the answer for a random missing path (the *baseline*) is never a
  finding: catch-all routes and custom 404 pages served with 200 are not files;
* ``config.json`` needs a secret-looking key with a value (nuclei also fires on ``baseUrl``
  or ``host``, which public front-end configs carry by design);
* an actuator index listing only ``health`` and ``info`` is not a finding.

Only ``200`` answers are considered: a redirect or a ``403`` serves nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeAlias

from pytest_prodready.core.findings import Finding, Rule, Severity, rule

__all__ = [
    "ACTUATOR",
    "BACKUP",
    "CONFIG",
    "DIRECTORY_LISTING",
    "DOTENV",
    "EXPOSURES",
    "GIT",
    "PHPINFO",
    "ExposurePath",
    "PathResult",
    "Signature",
    "evaluate",
]

DOTENV = rule(
    "exposure.dotenv",
    Severity.HIGH,
    "Environment file (.env) is downloadable",
    "Block dotfiles at the web server (nginx: location ~ /\\. { deny all; }), keep .env out of "
    "the document root, and rotate every secret it held",
)
GIT = rule(
    "exposure.git",
    Severity.HIGH,
    "Git repository metadata is downloadable",
    "Deploy a build artifact rather than a checkout, or deny /.git/ at the web server; the "
    "whole source and history can be rebuilt from it, so rotate any secret ever committed",
)
BACKUP = rule(
    "exposure.backup",
    Severity.HIGH,
    "Backup, dump or archive file is downloadable",
    "Remove backups and dumps from the document root and keep them in access-controlled "
    "storage; deny *.sql, *.zip, *.tar.gz and .DS_Store at the web server",
)
CONFIG = rule(
    "exposure.config",
    Severity.HIGH,
    "Configuration file with credentials is downloadable",
    "Remove the file (and editor/backup copies such as *.bak) from the document root, serve "
    "only the public part of front-end config, and rotate the exposed credentials",
)
ACTUATOR = rule(
    "exposure.actuator",
    Severity.MEDIUM,
    "Spring Boot actuator endpoints are public",
    "Expose only health (and info) over HTTP: management.endpoints.web.exposure.include="
    "health,info, or move actuator to a management port that is not public",
)
PHPINFO = rule(
    "exposure.phpinfo",
    Severity.MEDIUM,
    "phpinfo() page is public",
    "Delete the phpinfo page; it discloses versions, paths, modules and environment variables",
)
DIRECTORY_LISTING = rule(
    "exposure.directory-listing",
    Severity.LOW,
    "Directory listing is enabled",
    "Turn off automatic indexes (nginx: autoindex off; Apache: Options -Indexes)",
)
_RULES: dict[str, Rule] = {
    found.id: found for found in (DOTENV, GIT, BACKUP, CONFIG, ACTUATOR, PHPINFO, DIRECTORY_LISTING)
}

Signature: TypeAlias = Callable[[int, str, bytes], str | None]
"""``(status, content_type, body) -> what matched``, or None when the body is not the file.

The description is evidence: it names what was recognised, never a secret value.
"""


@dataclass(frozen=True)
class ExposurePath:
    """One catalogue entry: the path probed, the id it reports, and how to recognise it."""

    path: str
    finding_id: str
    signature: Signature
    severity: Severity | None = None
    """Overrides the id's severity for this path (a .DS_Store is not a database dump)."""


@dataclass(frozen=True)
class PathResult:
    """The answer for one path: at most the first 64 KB of the body, redirects not followed."""

    path: str
    url: str
    status: int
    content_type: str = ""
    body: bytes = b""
    error: str | None = None
    """Why there is no answer (reset, timeout); ``status`` is 0 then."""


_HTML = re.compile(rb"<(?:!doctype\s+html|html|head|body|script|meta|div|title)\b", re.I)


def _is_html(body: bytes) -> bool:
    # The body decides, not Content-Type: a real .env served as text/html has no tags, and
    # an HTML shell served as text/plain still does.
    return bool(_HTML.search(body))


_ENV_LINE = re.compile(rb"^(?:export[ \t]+)?([A-Z_][A-Z0-9_]*)=", re.M)


def _dotenv(status: int, content_type: str, body: bytes) -> str | None:
    if _is_html(body):
        return None
    names = list(dict.fromkeys(name.decode() for name in _ENV_LINE.findall(body)))
    if len(names) < 2:
        return None
    shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
    return f"{len(names)} KEY=value lines ({shown})"


_GIT_HEAD = re.compile(rb"\s*(ref: refs/\S+|[0-9a-f]{40}|[0-9a-f]{64})\s*")


def _git_head(status: int, content_type: str, body: bytes) -> str | None:
    match = _GIT_HEAD.fullmatch(body)
    return f"HEAD is {match.group(1).decode()!r}" if match else None


def _git_config(status: int, content_type: str, body: bytes) -> str | None:
    if _is_html(body) or not re.match(rb"\s*\[core\]", body):
        return None
    remote = " and a [remote] url" if re.search(rb"^\s*url\s*=", body, re.M) else ""
    return f"git config with a [core] section{remote}"


def _zip(status: int, content_type: str, body: bytes) -> str | None:
    return "ZIP archive (PK magic)" if body[:4] in (b"PK\x03\x04", b"PK\x05\x06") else None


def _tar_gz(status: int, content_type: str, body: bytes) -> str | None:
    if body.startswith(b"\x1f\x8b"):
        return "gzip data (1f8b magic)"
    # Served with Content-Encoding: gzip, the body arrives already inflated to the tar itself.
    return "tar archive (ustar magic)" if body[257:262] == b"ustar" else None


_SQL = re.compile(
    rb"^[ \t]*(--[ \t]*(?:MySQL|MariaDB) dump|--[ \t]*PostgreSQL database dump"
    rb"|(?:DROP|CREATE)[ \t]+TABLE\b|INSERT[ \t]+INTO\b|LOCK[ \t]+TABLES\b"
    rb"|COPY[ \t]+\S+.*\bFROM[ \t]+stdin)",
    re.I | re.M,
)


def _sql_dump(status: int, content_type: str, body: bytes) -> str | None:
    if _is_html(body):
        return None
    match = _SQL.search(body)
    return f"SQL dump ({match.group(1).decode(errors='replace').strip()!r})" if match else None


def _sqlite(status: int, content_type: str, body: bytes) -> str | None:
    # Django's and Rails' default database file: password hashes and sessions, whole.
    return (
        "SQLite database (SQLite format 3 header)"
        if body.startswith(b"SQLite format 3\x00")
        else None
    )


def _ds_store(status: int, content_type: str, body: bytes) -> str | None:
    return ".DS_Store (Bud1 magic)" if body.startswith(b"\x00\x00\x00\x01Bud1") else None


_SECRET_KEY = re.compile(
    rb'"([\w.-]*(?:password|passwd|secret|(?:secret|api|access|private)[_-]?key|token'
    rb'|connection[_-]?string|database[_-]?url|dsn))"\s*:\s*"[^"\s]{8,}"',
    re.I,
)


def _config_json(status: int, content_type: str, body: bytes) -> str | None:
    if "html" in content_type.lower() or _is_html(body):
        return None
    if not body.lstrip().startswith((b"{", b"[")):
        return None
    keys = list(dict.fromkeys(key.decode() for key in _SECRET_KEY.findall(body)))
    return f"JSON with secret-looking keys: {', '.join(keys[:5])}" if keys else None


_PHP_DB_SECRET = re.compile(rb"DB_PASSWORD|\$db_?pass(?:word)?\b|['\"]password['\"]\s*=>", re.I)


def _php_config(status: int, content_type: str, body: bytes) -> str | None:
    if b"<?php" not in body[:1024] or not _PHP_DB_SECRET.search(body):
        return None
    return "PHP source with database credentials (not executed: served as a file)"


def _actuator_env(status: int, content_type: str, body: bytes) -> str | None:
    if "json" not in content_type.lower() or not body.lstrip().startswith(b"{"):
        return None
    if not re.search(rb'"propertySources"\s*:\s*\[', body):
        return None
    return "Spring Boot environment (propertySources)"


_ACTUATOR_LINK = re.compile(rb'"([A-Za-z][\w-]*)"\s*:\s*\{\s*"href"')
# What a production actuator may show: liveness/readiness and build info.
_HARMLESS_ACTUATOR = frozenset({"self", "health", "health-path", "info"})


def _actuator_index(status: int, content_type: str, body: bytes) -> str | None:
    if not re.match(rb'\s*\{\s*"_links"\s*:', body):
        return None
    names = [name.decode() for name in _ACTUATOR_LINK.findall(body)]
    exposed = list(dict.fromkeys(name for name in names if name not in _HARMLESS_ACTUATOR))
    return f"actuator lists: {', '.join(exposed[:8])}" if exposed else None


# phpinfo() titles its page "phpinfo()" (PHP 8: "PHP 8.2.1 - phpinfo()"); the words alone
# also occur in docs and in scripts.
_PHPINFO_TITLE = re.compile(rb"<title>\s*(?:PHP [\w.+-]+ - )?phpinfo\(\)\s*</title>", re.I)
_PHP_VERSION = re.compile(rb"PHP Version\s*(?:</t[dh]>\s*<td[^>]*>\s*)?([0-9][\w.+-]*)?")


def _phpinfo(status: int, content_type: str, body: bytes) -> str | None:
    match = _PHP_VERSION.search(body)
    if _PHPINFO_TITLE.search(body) is None or match is None:
        return None
    version = f", PHP {match.group(1).decode()}" if match.group(1) else ""
    return f"phpinfo() output{version}"


# Apache, nginx and Python's http.server all repeat the title in an <h1>; a page merely
# titled "Index of /..." does not.
_LISTING_TITLE = re.compile(rb"<title>\s*(Index of|Directory listing for) /", re.I)


def _directory_listing(status: int, content_type: str, body: bytes) -> str | None:
    title = _LISTING_TITLE.search(body)
    if title is None or not re.search(rb"<h1>\s*" + title.group(1) + rb" /", body, re.I):
        return None
    return "auto-generated directory index"


EXPOSURES: tuple[ExposurePath, ...] = (
    ExposurePath("/.env", DOTENV.id, _dotenv),
    ExposurePath("/.env.production", DOTENV.id, _dotenv),
    # Next.js and Vite read these too; `vercel env pull` writes .env.local (or .env.development).
    ExposurePath("/.env.local", DOTENV.id, _dotenv),
    ExposurePath("/.env.production.local", DOTENV.id, _dotenv),
    ExposurePath("/.env.development", DOTENV.id, _dotenv),
    ExposurePath("/.git/HEAD", GIT.id, _git_head),
    ExposurePath("/.git/config", GIT.id, _git_config),
    ExposurePath("/backup.zip", BACKUP.id, _zip),
    ExposurePath("/backup.tar.gz", BACKUP.id, _tar_gz),
    ExposurePath("/db.sql", BACKUP.id, _sql_dump),
    ExposurePath("/dump.sql", BACKUP.id, _sql_dump),
    ExposurePath("/db.sqlite3", BACKUP.id, _sqlite),
    ExposurePath("/.DS_Store", BACKUP.id, _ds_store, Severity.LOW),
    ExposurePath("/config.json", CONFIG.id, _config_json),
    ExposurePath("/wp-config.php.bak", CONFIG.id, _php_config),
    ExposurePath("/actuator/env", ACTUATOR.id, _actuator_env, Severity.HIGH),
    ExposurePath("/actuator", ACTUATOR.id, _actuator_index),
    ExposurePath("/phpinfo.php", PHPINFO.id, _phpinfo),
    ExposurePath("/info.php", PHPINFO.id, _phpinfo),
    ExposurePath("/", DIRECTORY_LISTING.id, _directory_listing),
    ExposurePath("/uploads/", DIRECTORY_LISTING.id, _directory_listing),
    ExposurePath("/static/", DIRECTORY_LISTING.id, _directory_listing),
    ExposurePath("/backup/", DIRECTORY_LISTING.id, _directory_listing),
)
"""Probed in this order; kept under 24 so a host costs at most 24 requests with the baseline."""

_SIMILAR = 0.9
_TOKEN = re.compile(rb"[\s<>\"'=;,]+")


def evaluate(
    results: list[PathResult],
    *,
    baseline: PathResult,
    catalogue: Sequence[ExposurePath] = EXPOSURES,
) -> list[Finding]:
    """One finding per path whose answer is a 200, matches the path's signature, and does not
    look like ``baseline`` (the answer for a random path that cannot exist).

    Raises ValueError for a result whose path is not in ``catalogue``: it cannot be judged.
    """
    entries = {entry.path: entry for entry in catalogue}
    findings: list[Finding] = []
    for result in results:
        entry = entries.get(result.path)
        if entry is None:
            raise ValueError(f"{result.path!r} is not in the exposure catalogue")
        if result.status != 200 or _like_baseline(result, baseline):
            continue
        matched = entry.signature(result.status, result.content_type, result.body)
        if matched is None:
            continue
        media = _media(result.content_type) or "no content-type"
        evidence = f"GET {result.path} -> 200 {media}, {len(result.body)} bytes read: {matched}"
        found = _RULES[entry.finding_id]
        findings.append(found(evidence, url=result.url, severity=entry.severity))
    return findings


def _like_baseline(result: PathResult, baseline: PathResult) -> bool:
    if result.status != baseline.status:
        return False
    if _media(result.content_type) != _media(baseline.content_type):
        return False
    # Error pages often quote the requested path; that alone must not make them differ.
    ours = result.body.replace(result.path.encode(), b"")
    theirs = baseline.body.replace(baseline.path.encode(), b"")
    if ours == theirs:
        return True
    # Token sets, not bytes: a per-request nonce or timestamp changes a token or two.
    a, b = set(_TOKEN.split(ours)), set(_TOKEN.split(theirs))
    return len(a & b) >= _SIMILAR * len(a | b)


def _media(content_type: str) -> str:
    return content_type.split(";", maxsplit=1)[0].strip().lower()
