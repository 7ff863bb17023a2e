"""The embedded demo targets through the plugin, xdist, and secret redaction in every report."""

from __future__ import annotations

import json
import socket
import ssl
from pathlib import Path

import pytest

PROBE = """
import json, os, ssl, pytest

def test_serves_https(target, http, secret, base_url, tmp_path_factory):
    ca = target.ca_bundle
    assert target.base_url.startswith("https://127.0.0.1:")
    assert base_url == target.base_url
    assert http.get("/api/health").json()["status"] in ("ok", "degraded")
    redirect = http.get(target.http_url + "/login")
    out = os.environ["PROBE_OUT"]
    with open(out, "a") as fh:
        fh.write(json.dumps({"base_url": target.base_url, "http_url": target.http_url,
                             "ca": str(ca), "redirect": redirect.status_code,
                             "location": redirect.headers.get("location")}) + "\\n")
"""


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def _refused(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.parametrize(("env", "redirect"), [("demo", 301), ("demo-broken", 200)])
def test_embedded_target_serves_https_and_leaves_nothing_behind(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, env: str, redirect: int
) -> None:
    pytester.makefile(".toml", prodready=f'[envs.{env}]\nembedded = "{env}"\n')
    pytester.makepyfile(PROBE)
    out = pytester.path / "probe.jsonl"
    monkeypatch.setenv("PROBE_OUT", str(out))
    result = pytester.runpytest("--target-env", env)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            f"prodready: base_url embedded {env} target on 127.0.0.1*",
            f"prodready: embedded {env} target served at https://127.0.0.1:*",
        ]
    )
    seen = json.loads(out.read_text())
    assert seen["redirect"] == redirect
    if redirect == 301:
        assert seen["location"] == seen["base_url"] + "/login"
    assert not Path(seen["ca"]).exists(), "the throwaway CA is removed at session end"
    assert _refused(_port(seen["base_url"]))
    assert _refused(_port(seen["http_url"]))


def test_demo_certificate_verifies_only_with_its_ca(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makefile(".toml", prodready='[envs.demo]\nembedded = "demo"\n')
    pytester.makepyfile(
        """
        import socket, ssl, pytest

        def test_tls(target):
            host, port = "127.0.0.1", int(target.base_url.rsplit(":", 1)[1])
            good = ssl.create_default_context(cafile=str(target.ca_bundle))
            with socket.create_connection((host, port), timeout=5) as raw:
                with good.wrap_socket(raw, server_hostname=host) as tls:
                    assert tls.version() in ("TLSv1.2", "TLSv1.3")
            with pytest.raises(ssl.SSLCertVerificationError):
                with socket.create_connection((host, port), timeout=5) as raw:
                    ssl.create_default_context().wrap_socket(raw, server_hostname=host)
        """
    )
    pytester.runpytest("--target-env", "demo").assert_outcomes(passed=1)
    _ = ssl


def test_embedded_demo_under_xdist(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", prodready='default_env = "demo"\n[envs.demo]\nembedded = "demo"\n')
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("path", ["/", "/login", "/api/health", "/api/version"])
        def test_page(fetch, path):
            assert fetch(path).status_code == 200
        """
    )
    result = pytester.runpytest_subprocess("-n", "2", "-p", "xdist")
    result.assert_outcomes(passed=4)


SECRET_LEAKS = """
import logging, sys

def test_leaks_everywhere(secret):
    value = secret("api_token").reveal()
    print("printed", value)
    sys.stderr.write(f"stderr {value}\\n")
    logging.getLogger("app").warning("logged %s", value)
    assert value == "something else"

def test_leaks_in_fixture_error(secret):
    raise RuntimeError("boom " + secret("api_token").reveal())
"""


def test_secret_never_reaches_terminal_html_or_junit(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    value = "tok-" + "Zx9" * 6
    monkeypatch.setenv("LEAK_TOKEN", value)
    pytester.makefile(
        ".toml",
        prodready='[envs.qa]\nbase_url = "https://qa.test"\n'
        'secrets = { api_token = "LEAK_TOKEN" }\n',
    )
    pytester.makepyfile(SECRET_LEAKS)
    result = pytester.runpytest_subprocess(
        "--target-env",
        "qa",
        "-rA",
        "--showlocals",
        "--junitxml=junit.xml",
        "--html=report.html",
        "--self-contained-html",
        "-o",
        "junit_logging=all",
    )
    result.assert_outcomes(failed=2)
    terminal = result.stdout.str() + result.stderr.str()
    html = (pytester.path / "report.html").read_text()
    junit = (pytester.path / "junit.xml").read_text()
    for name, text in [("terminal", terminal), ("html", html), ("junit", junit)]:
        assert "[masked:api_token]" in text, f"{name} should show where the secret was"
        assert value not in text, f"secret leaked into {name}"
    assert terminal.count("[masked:api_token]") >= 4
