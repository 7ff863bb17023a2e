"""checks.exposure on plain PathResults: each signature both ways, soft-404 baselines."""

from __future__ import annotations

import pytest

from pytest_prodready.checks import exposure
from pytest_prodready.checks.exposure import EXPOSURES, PathResult, evaluate
from pytest_prodready.core.findings import CATALOGUE, Finding, Severity

BASE = "https://app.example.com"
NOT_FOUND = PathResult(
    "/prodready-missing-0f0f", f"{BASE}/prodready-missing-0f0f", 404, "text/plain", b"Not Found"
)
# A single-page app's shell: inline script that contains every signature's favourite words.
SPA_SHELL = (
    b"<!doctype html><html><head><title>Index of /shop</title>"
    b'<script nonce="NONCE">window.env = "API_URL=https://api\\nAPP_KEY=abc";'
    b"// ref: refs/heads/main [core] PK\x03\x04 CREATE TABLE users; phpinfo() PHP Version"
    b'</script></head><body><div id="root"></div></body></html>'
)


def result(
    path: str, body: bytes, content_type: str = "text/plain", status: int = 200
) -> PathResult:
    return PathResult(path, BASE + path, status, content_type, body)


def spa(path: str, nonce: str = "n0nce-1") -> PathResult:
    return result(path, SPA_SHELL.replace(b"NONCE", nonce.encode()), "text/html; charset=utf-8")


def ids(findings: list[Finding]) -> list[str]:
    return sorted(f.id for f in findings)


def test_catalogue_is_small_unique_and_declared() -> None:
    paths = [entry.path for entry in EXPOSURES]
    assert len(paths) <= 23
    assert len(set(paths)) == len(paths)
    used = {entry.finding_id for entry in EXPOSURES}
    declared = {
        exposure.DOTENV.id,
        exposure.GIT.id,
        exposure.BACKUP.id,
        exposure.CONFIG.id,
        exposure.ACTUATOR.id,
        exposure.PHPINFO.id,
        exposure.DIRECTORY_LISTING.id,
    }
    assert used == declared
    assert all(finding_id in CATALOGUE for finding_id in used)


POSITIVE = [
    pytest.param(
        result("/.env", b"APP_NAME=shop\nAPP_KEY=base64:AAAA\nDB_PASSWORD=hunter2\n"),
        "exposure.dotenv",
        "3 KEY=value lines (APP_NAME, APP_KEY, DB_PASSWORD)",
        id="dotenv",
    ),
    pytest.param(
        result(
            "/.env.production",
            b"# prod\nexport DATABASE_URL=postgres://u:p@db/x\nexport SECRET_KEY=x\n",
            "application/octet-stream",
        ),
        "exposure.dotenv",
        "2 KEY=value lines (DATABASE_URL, SECRET_KEY)",
        id="dotenv-export-lines",
    ),
    pytest.param(
        result("/.git/HEAD", b"ref: refs/heads/main\n"),
        "exposure.git",
        "HEAD is 'ref: refs/heads/main'",
        id="git-head",
    ),
    pytest.param(
        result("/.git/HEAD", b"a" * 40 + b"\n"),
        "exposure.git",
        f"HEAD is '{'a' * 40}'",
        id="git-head-detached",
    ),
    pytest.param(
        result(
            "/.git/config",
            b'[core]\n\trepositoryformatversion = 0\n[remote "origin"]\n\turl = https://t@x/y\n',
        ),
        "exposure.git",
        "git config with a [core] section and a [remote] url",
        id="git-config",
    ),
    pytest.param(
        result("/backup.zip", b"PK\x03\x04\x14\x00" + bytes(100), "application/zip"),
        "exposure.backup",
        "ZIP archive (PK magic)",
        id="zip",
    ),
    pytest.param(
        result("/backup.tar.gz", b"\x1f\x8b\x08\x00" + bytes(100), "application/gzip"),
        "exposure.backup",
        "gzip data (1f8b magic)",
        id="tar-gz",
    ),
    pytest.param(
        result("/backup.tar.gz", bytes(257) + b"ustar\x0000" + bytes(100), "application/gzip"),
        "exposure.backup",
        "tar archive (ustar magic)",
        id="tar-gz-inflated-by-content-encoding",
    ),
    pytest.param(
        result("/db.sql", b"-- MySQL dump 10.13\n--\nDROP TABLE IF EXISTS `users`;\n"),
        "exposure.backup",
        "SQL dump ('-- MySQL dump')",
        id="mysql-dump",
    ),
    pytest.param(
        result(
            "/db.sqlite3", b"SQLite format 3\x00\x10\x00" + bytes(80), "application/octet-stream"
        ),
        "exposure.backup",
        "SQLite database (SQLite format 3 header)",
        id="django-sqlite-database",
    ),
    pytest.param(
        result(
            "/dump.sql", b"--\nSET statement_timeout = 0;\nCOPY public.users (id) FROM stdin;\n"
        ),
        "exposure.backup",
        "SQL dump ('COPY public.users (id) FROM stdin')",
        id="postgres-dump",
    ),
    pytest.param(
        result("/.DS_Store", b"\x00\x00\x00\x01Bud1" + bytes(64), "application/octet-stream"),
        "exposure.backup",
        ".DS_Store (Bud1 magic)",
        id="ds-store",
    ),
    pytest.param(
        result(
            "/config.json",
            b'{"apiUrl": "https://api", "db": {"password": "s3cr3t-pass"}, "stripeSecretKey":'
            b' "sk_live_0123456789"}',
            "application/json",
        ),
        "exposure.config",
        "JSON with secret-looking keys: password, stripeSecretKey",
        id="config-json",
    ),
    pytest.param(
        result(
            "/wp-config.php.bak",
            b"<?php\ndefine( 'DB_NAME', 'wp' );\ndefine( 'DB_PASSWORD', 'hunter2' );\n",
            "application/x-trash",
        ),
        "exposure.config",
        "PHP source with database credentials (not executed: served as a file)",
        id="wp-config-backup",
    ),
    pytest.param(
        result(
            "/actuator/env",
            b'{"activeProfiles":["prod"],"propertySources":[{"name":"server.ports"}]}',
            "application/vnd.spring-boot.actuator.v3+json",
        ),
        "exposure.actuator",
        "Spring Boot environment (propertySources)",
        id="actuator-env",
    ),
    pytest.param(
        result(
            "/actuator",
            b'{"_links":{"self":{"href":"/actuator"},"health":{"href":"/actuator/health"},'
            b'"env":{"href":"/actuator/env"},"heapdump":{"href":"/actuator/heapdump"}}}',
            "application/json",
        ),
        "exposure.actuator",
        "actuator lists: env, heapdump",
        id="actuator-index",
    ),
    pytest.param(
        result(
            "/phpinfo.php",
            b"<!DOCTYPE html><html><head><title>PHP 8.2.1 - phpinfo()</title></head><body>"
            b'<h1 class="p">PHP Version 8.2.1</h1>',
            "text/html",
        ),
        "exposure.phpinfo",
        "phpinfo() output, PHP 8.2.1",
        id="phpinfo",
    ),
    pytest.param(
        result(
            "/info.php",
            b'<title>phpinfo()</title><tr><td class="e">PHP Version </td><td class="v">7.4.3 </td>',
            "text/html",
        ),
        "exposure.phpinfo",
        "phpinfo() output, PHP 7.4.3",
        id="phpinfo-table",
    ),
    pytest.param(
        result(
            "/uploads/",
            b"<html><head><title>Index of /uploads/</title></head><body><h1>Index of /uploads/",
            "text/html",
        ),
        "exposure.directory-listing",
        "auto-generated directory index",
        id="nginx-autoindex",
    ),
    pytest.param(
        result(
            "/",
            b"<html><head><title>Directory listing for /</title></head>"
            b"<body><h1>Directory listing for /</h1>",
            "text/html",
        ),
        "exposure.directory-listing",
        "auto-generated directory index",
        id="python-http-server",
    ),
]


@pytest.mark.parametrize(("answer", "expected", "what"), POSITIVE)
def test_yields(answer: PathResult, expected: str, what: str) -> None:
    (finding,) = evaluate([answer], baseline=NOT_FOUND)
    assert finding.id == expected
    assert finding.url == answer.url
    assert finding.evidence.endswith(f"bytes read: {what}")


def test_evidence_names_keys_never_values() -> None:
    (finding,) = evaluate(
        [result("/.env", b"DB_PASSWORD=hunter2\nAPI_TOKEN=tok-123\n")], baseline=NOT_FOUND
    )
    assert finding.evidence == (
        "GET /.env -> 200 text/plain, 38 bytes read: 2 KEY=value lines (DB_PASSWORD, API_TOKEN)"
    )
    assert "hunter2" not in finding.line()


@pytest.mark.parametrize(
    ("answer", "severity"),
    [
        (result("/.DS_Store", b"\x00\x00\x00\x01Bud1"), Severity.LOW),
        (result("/db.sql", b"INSERT INTO users VALUES (1);\n"), Severity.HIGH),
        (result("/actuator/env", b'{"propertySources":[]}', "application/json"), Severity.HIGH),
        (
            result("/actuator", b'{"_links":{"beans":{"href":"/b"}}}', "application/json"),
            Severity.MEDIUM,
        ),
    ],
)
def test_per_path_severity(answer: PathResult, severity: Severity) -> None:
    (finding,) = evaluate([answer], baseline=NOT_FOUND)
    assert finding.severity is severity


@pytest.mark.parametrize("path", [entry.path for entry in EXPOSURES])
def test_an_spa_shell_never_matches(path: str) -> None:
    # The baseline is a 404, so only the signature stands between the shell and a finding.
    assert evaluate([spa(path)], baseline=NOT_FOUND) == []


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(result("/.env", b"APP_KEY=only-one-line\n"), id="dotenv-one-line"),
        pytest.param(result("/.env", b"app_key=lower\ndb=x\n"), id="dotenv-lower-case"),
        pytest.param(
            result("/.git/HEAD", b"see ref: refs/heads/main in the docs\n"), id="head-not-anchored"
        ),
        pytest.param(result("/.git/config", b"# notes\n[core]\n"), id="config-not-first"),
        pytest.param(result("/backup.zip", b"<p>PK\x03\x04</p>", "text/html"), id="zip-in-html"),
        pytest.param(result("/backup.tar.gz", b"not gzip"), id="not-gzip"),
        pytest.param(
            result("/db.sql", b"<html><body><pre>CREATE TABLE t (id int);</pre>", "text/html"),
            id="sql-tutorial-page",
        ),
        pytest.param(result("/db.sql", b"we never DROP TABLE anything\n"), id="sql-mid-line"),
        pytest.param(result("/.DS_Store", b"Bud1\x00\x00\x00\x01"), id="ds-store-wrong-magic"),
        pytest.param(
            result("/db.sqlite3", b"<!doctype html><p>SQLite format 3 guide</p>", "text/html"),
            id="sqlite-guide-page",
        ),
        pytest.param(
            result("/config.json", b'{"baseUrl": "https://api.example.com", "production": true}'),
            id="config-public-front-end",
        ),
        pytest.param(
            result("/config.json", b'{"password": "short"}', "application/json"),
            id="config-short-value",
        ),
        pytest.param(
            result("/config.json", b'{"password": "s3cr3t-pass"}', "text/html"),
            id="config-served-as-html",
        ),
        pytest.param(
            result("/wp-config.php.bak", b"<?php\necho 'hello';\n"), id="php-without-credentials"
        ),
        pytest.param(
            result("/actuator/env", b'{"propertySources": []}', "text/plain"), id="env-not-json"
        ),
        pytest.param(
            result("/actuator/env", b'{"status": "UP"}', "application/json"), id="env-no-sources"
        ),
        pytest.param(
            result(
                "/actuator",
                b'{"_links":{"self":{"href":"/actuator"},"health":{"href":"/actuator/health"},'
                b'"health-path":{"href":"/actuator/health/{*path}"},"info":{"href":"/i"}}}',
                "application/json",
            ),
            id="actuator-health-and-info-only",
        ),
        pytest.param(
            result("/phpinfo.php", b"<p>PHP Version 8 is great</p>", "text/html"),
            id="php-version-without-phpinfo",
        ),
        pytest.param(
            result("/uploads/", b"<html><body><p>Index of /uploads/ moved</p>", "text/html"),
            id="index-of-outside-title",
        ),
    ],
)
def test_does_not_yield(answer: PathResult) -> None:
    assert evaluate([answer], baseline=NOT_FOUND) == []


@pytest.mark.parametrize("status", [301, 302, 403, 404, 500])
def test_only_200_answers_count(status: int) -> None:
    answer = result("/.env", b"APP_KEY=x\nDB_PASSWORD=y\n", status=status)
    assert evaluate([answer], baseline=NOT_FOUND) == []


def test_a_failed_request_is_not_a_finding() -> None:
    failed = PathResult("/.git/HEAD", f"{BASE}/.git/HEAD", 0, error="ReadError: reset")
    assert evaluate([failed], baseline=NOT_FOUND) == []


def test_catch_all_that_matches_a_signature_is_not_a_finding() -> None:
    # Every path answers the same plain text: it matches /.git/HEAD's signature, but a
    # path that cannot exist answers it too, so it is no evidence of a repository.
    catch_all = b"ref: refs/heads/main\n"
    baseline = result("/prodready-missing-1", catch_all)
    answer = result("/.git/HEAD", catch_all)
    assert evaluate([answer], baseline=baseline) == []
    assert ids(evaluate([answer], baseline=NOT_FOUND)) == ["exposure.git"]


def test_catch_all_shell_with_a_per_response_nonce_is_the_baseline() -> None:
    baseline = spa("/prodready-missing-1", nonce="first-nonce")
    answers = [spa(entry.path, nonce=f"nonce-{i}") for i, entry in enumerate(EXPOSURES)]
    assert evaluate(answers, baseline=baseline) == []


def test_error_page_quoting_the_path_is_the_baseline() -> None:
    def listing(path: str) -> PathResult:
        page = f"<title>Index of {path}</title><h1>Index of {path}</h1>"
        return result(path, page.encode(), "text/html")

    assert evaluate([listing("/uploads/")], baseline=listing("/prodready-missing-1")) == []
    assert ids(evaluate([listing("/uploads/")], baseline=NOT_FOUND)) == [
        "exposure.directory-listing"
    ]


def test_a_different_status_than_the_baseline_is_judged() -> None:
    baseline = spa("/prodready-missing-1")
    answer = result("/.env", b"APP_KEY=x\nDB_PASSWORD=y\n")
    assert ids(evaluate([answer], baseline=baseline)) == ["exposure.dotenv"]


def test_a_path_outside_the_catalogue_is_a_bug() -> None:
    with pytest.raises(ValueError, match="'/nope' is not in the exposure catalogue"):
        evaluate([result("/nope", b"")], baseline=NOT_FOUND)
