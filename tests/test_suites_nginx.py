"""The security smoke suites against a real nginx from Debian: TLS with a trustme
certificate, headers set in its config, and an HTTP → HTTPS redirect."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import trustme

from tests.nginx import nginx
from tests.servers import free_port

ROOT = Path(__file__).resolve().parent.parent

HEADERS = """
        add_header Strict-Transport-Security "max-age=63072000; includeSubDomains" always;
        add_header X-Content-Type-Options nosniff always;
        add_header X-Frame-Options DENY always;
        add_header Referrer-Policy strict-origin-when-cross-origin always;
        add_header Permissions-Policy "camera=(), microphone=()" always;
        add_header Content-Security-Policy "{csp}" always;
        add_header Cache-Control "no-store" always;
"""

CSP = (
    "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'; report-uri /csp"
)
HEADERS = HEADERS.replace("{csp}", CSP)

SERVERS = """
server_tokens off;
gzip on;
gzip_min_length 0;
gzip_types application/json text/html;
server {{
    listen 127.0.0.1:{{port}} ssl;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    ssl_protocols {protocols};
    ssl_ciphers {ciphers};
    {headers}
    location = / {{ default_type text/html; return 200 "<!doctype html><title>shop</title>"; }}
    location = /api/health {{ default_type application/json; return 200 '{{"status": "ok"}}'; }}
    location / {{ default_type text/html; return 404 "<!doctype html><title>Not found</title>"; }}
}}
server {{
    listen 127.0.0.1:{http_port};
    {redirect}
}}
"""


def write_pems(tmp_path: Path) -> tuple[Path, Path, Path]:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    ca_path, cert_path, key_path = (tmp_path / n for n in ("ca.pem", "cert.pem", "key.pem"))
    ca.cert_pem.write_to_path(str(ca_path))
    cert.private_key_and_cert_chain_pem.write_to_path(str(cert_path))
    cert.private_key_pem.write_to_path(str(key_path))
    return ca_path, cert_path, key_path


def run_suites(
    pytester: pytest.Pytester, https_port: int, http_port: int, ca: Path
) -> pytest.RunResult:
    (pytester.path / "prodready.toml").write_text(
        f'[envs.edge]\nbase_url = "https://127.0.0.1:{https_port}"\n'
        f'http_url = "http://127.0.0.1:{http_port}"\nca_bundle = "{ca}"\n'
        'pages = ["/", "/api/health"]\n'
    )
    return pytester.runpytest(
        str(ROOT / "suites"),
        "-m",
        "smoke and security",
        "--target-env",
        "edge",
        "--prodready-config",
        str(pytester.path / "prodready.toml"),
        "-p",
        "no:cacheprovider",
    )


def finding_ids(result: pytest.RunResult) -> set[str]:
    return set(re.findall(r"^- \[[A-Z]+\] (\S+)", result.stdout.str(), re.MULTILINE))


@pytest.fixture
def pems(tmp_path: Path) -> tuple[Path, Path, Path]:
    return write_pems(tmp_path)


def test_hardened_nginx_passes(
    pytester: pytest.Pytester, tmp_path: Path, pems: tuple[Path, Path, Path]
) -> None:
    ca, cert, key = pems
    http_port = free_port()
    config = SERVERS.format(
        cert=cert,
        key=key,
        protocols="TLSv1.2 TLSv1.3",
        ciphers="HIGH:!aNULL",
        headers=HEADERS,
        http_port=http_port,
        redirect="return 301 https://127.0.0.1:{port}$request_uri;",
    )
    with nginx(tmp_path / "nginx", config) as port:
        result = run_suites(pytester, port, http_port, ca)
    assert finding_ids(result) == set(), result.stdout.str()
    assert result.ret == 0


def test_legacy_nginx_is_caught(
    pytester: pytest.Pytester, tmp_path: Path, pems: tuple[Path, Path, Path]
) -> None:
    ca, cert, key = pems
    http_port = free_port()
    config = SERVERS.format(
        cert=cert,
        key=key,
        protocols="TLSv1 TLSv1.1 TLSv1.2",
        ciphers="ALL:@SECLEVEL=0",
        headers="server_tokens on;",
        http_port=http_port,
        redirect='return 200 "plain";',
    ).replace("server_tokens off;", "")
    with nginx(tmp_path / "nginx", config) as port:
        result = run_suites(pytester, port, http_port, ca)
    ids = finding_ids(result)
    for expected in (
        "tls.protocol-outdated",
        "redirect.missing",
        "hsts.missing",
        "csp.missing",
        "xcto.missing",
        "leak.server-version",
    ):
        assert expected in ids, (expected, result.stdout.str())
