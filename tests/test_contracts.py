"""The contract suite end to end, with real schemathesis against the real demo over HTTPS:
the demo passes; demo-broken fails per operation with working reproductions and no secret in
any output; an unreachable document is one clear failure; a protected environment is sent
nothing but GET/HEAD/OPTIONS."""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

# In-process pytester runs drop modules first imported inside them, while their parent
# package keeps the old module as an attribute: a later run would mix two copies. So
# schemathesis, its engine and the contract modules are loaded once, out here.
import schemathesis
import schemathesis.engine
import schemathesis.engine.events  # noqa: F401  # the stateful phase's events are matched too

from pytest_prodready.demo import DemoServer, DemoSettings, read_request_log
from pytest_prodready.demo.openapi import openapi_document

ROOT = Path(__file__).resolve().parent.parent
SUITE = str(ROOT / "suites" / "test_contracts.py")
SAFE = {"GET", "HEAD", "OPTIONS"}
TOKEN = "tok-" + secrets.token_hex(12)
TOKEN_VAR = "PRODREADY_CONTRACT_TEST_TOKEN"
OPERATIONS = [
    "GET /api/health",
    "GET /api/health/detailed",
    "GET /api/version",
    "GET /api/items",
    "POST /api/items",
    "GET /api/items/{item_id}",
    "DELETE /api/items/{item_id}",
    "POST /api/auth/login",
]
CONTRACT = """
[envs.{name}.contract]
max_examples = 5
seed = 7
headers = {{ Authorization = "Bearer {{api_token}}" }}
{extra}
"""


def env_table(name: str, body: str, extra: str = "") -> str:
    return (
        f"[envs.{name}]\n{body}\n"
        f'openapi = "/api/openapi.json"\n'
        f'secrets = {{ api_token = "{TOKEN_VAR}" }}\n' + CONTRACT.format(name=name, extra=extra)
    )


def run(
    pytester: pytest.Pytester, env: str, *args: str, config: Path | None = None
) -> pytest.RunResult:
    return pytester.runpytest(
        SUITE,
        "--target-env",
        env,
        "--prodready-config",
        str(config or pytester.path / "prodready.toml"),
        "-p",
        "no:cacheprovider",
        *args,
    )


def test_demo_passes_with_one_test_per_operation(pytester: pytest.Pytester) -> None:
    result = run(pytester, "demo", "-v", config=ROOT / "prodready.toml")
    result.assert_outcomes(passed=8, skipped=1)
    out = result.stdout.str()
    for label in OPERATIONS:
        assert f"test_operation[{label}] PASSED" in out
    assert "test_workflows[-] SKIPPED" in out


def test_operations_that_write_are_destructive(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        "demo",
        "--collect-only",
        "-q",
        "-m",
        "destructive",
        config=ROOT / "prodready.toml",
    )
    selected = re.findall(r"test_operation\[(.+?)\]", result.stdout.str())
    assert selected == ["POST /api/items", "DELETE /api/items/{item_id}", "POST /api/auth/login"]


@pytest.mark.parametrize("allow", [None, "--allow-destructive=prod"])
def test_protected_env_is_sent_only_safe_methods(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, allow: str | None
) -> None:
    log = pytester.path / "requests.jsonl"
    monkeypatch.setenv("PRODREADY_DEMO_LOG", str(log))
    # Even the checks that want unsafe methods (unexpected-method probes, stateful
    # workflows) are asked for: none of them may send one to a protected environment.
    extra = (
        'checks = ["not_a_server_error", "status_code_conformance", "unsupported_method"]\n'
        "stateful = true"
    )
    (pytester.path / "prodready.toml").write_text(env_table("prod", 'embedded = "demo"', extra))
    result = run(pytester, "prod", "-rs", *([allow] if allow else []))
    result.assert_outcomes(passed=5, skipped=4)
    out = result.stdout.str()
    assert (
        "prodready read-only: POST /api/items is not tested on protected environment 'prod'" in out
    )
    assert "prodready read-only: stateful workflows write data" in out
    requests = read_request_log(log)
    assert any(r["path"] == "/api/items" for r in requests), "the read-only operations ran"
    assert {r["method"] for r in requests} <= SAFE, "an unsafe method reached the target"


def test_schema_from_a_file_and_include_by_operation_id_or_path(
    pytester: pytest.Pytester,
) -> None:
    spec = pytester.path / "spec" / "openapi.json"
    spec.parent.mkdir()
    spec.write_text(json.dumps(openapi_document("1.4.2")))
    config = env_table("f", 'embedded = "demo"', 'include = ["getHealth", "/api/version"]')
    (pytester.path / "prodready.toml").write_text(
        config.replace('"/api/openapi.json"', '"spec/openapi.json"')
    )
    result = run(pytester, "f", "-v")
    result.assert_outcomes(passed=2, skipped=1)
    result.stdout.fnmatch_lines(
        [
            "*test_operation[[]GET /api/health[]] PASSED*",
            "*test_operation[[]GET /api/version[]] PASSED*",
        ]
    )


def test_smoke_run_does_not_touch_the_api(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = pytester.path / "requests.jsonl"
    monkeypatch.setenv("PRODREADY_DEMO_LOG", str(log))
    result = run(pytester, "demo", "-m", "smoke", config=ROOT / "prodready.toml")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    assert read_request_log(log) == []
    assert "embedded demo target served" not in result.stdout.str()


def test_unreachable_schema_is_one_clear_failure_and_other_suites_still_run(
    pytester: pytest.Pytester,
) -> None:
    (pytester.path / "prodready.toml").write_text(
        env_table("gone", 'embedded = "demo"').replace("/api/openapi.json", "/api/missing.json")
    )
    result = pytester.runpytest(
        SUITE,
        str(ROOT / "suites" / "test_health.py"),
        "--target-env",
        "gone",
        "--prodready-config",
        str(pytester.path / "prodready.toml"),
        "-p",
        "no:cacheprovider",
    )
    result.assert_outcomes(failed=1, passed=1, skipped=1)
    out = result.stdout.str()
    assert "FAILED" in out
    assert "test_operation[openapi]" in out
    assert re.search(
        r"- \[HIGH\] contract\.schema-unavailable  The OpenAPI document cannot be loaded "
        r"\(evidence: GET https://127\.0\.0\.1:\d+/api/missing\.json \(\[envs\.gone\] openapi\) "
        r"answered 404 Not Found \(application/json\); expected 200 with an OpenAPI 3\.x or "
        r"Swagger 2\.0 document",
        out,
    ), out
    assert "Traceback" not in out


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    ("openapi", "evidence"),
    [
        pytest.param(
            "http://127.0.0.1:{port}/openapi.json",
            r"cannot connect on GET http://127\.0\.0\.1:\d+/openapi\.json: .*[Cc]onnection "
            r"refused.* \(\[envs\.bad\] openapi\); expected 200 with an OpenAPI 3\.x",
            id="connection-refused",
        ),
        pytest.param(
            "/",
            r"GET https://127\.0\.0\.1:\d+/ \(\[envs\.bad\] openapi\) answered 200 OK "
            r"\(text/html; charset=utf-8\), but it is not an OpenAPI document: the body is an "
            r"HTML or XML page, not JSON or YAML \(a docs page instead of the document it "
            r"shows\?\): '<!DOCTYPE html>.*'; expected 200 with an OpenAPI 3\.x",
            id="html-page",
        ),
    ],
)
def test_a_schema_that_cannot_load_is_one_line_and_other_suites_pass(
    pytester: pytest.Pytester, openapi: str, evidence: str
) -> None:
    config = env_table("bad", 'embedded = "demo"').replace(
        "/api/openapi.json", openapi.format(port=closed_port())
    )
    (pytester.path / "prodready.toml").write_text(config)
    result = pytester.runpytest(
        SUITE,
        str(ROOT / "suites" / "test_health.py"),
        "--target-env",
        "bad",
        "--prodready-config",
        str(pytester.path / "prodready.toml"),
        "-p",
        "no:cacheprovider",
    )
    result.assert_outcomes(failed=1, passed=1, skipped=1)
    out = result.stdout.str()
    # One finding, one line (on CI, pytest repeats it in the short summary).
    line = next(line for line in out.splitlines() if "contract.schema-unavailable" in line)
    assert re.match(
        r"- \[HIGH\] contract\.schema-unavailable  The OpenAPI document cannot be loaded "
        r"\(evidence: " + evidence,
        line,
    ), line
    assert "Traceback" not in out


def test_missing_secret_fails_naming_the_variable(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, demo_server: DemoServer
) -> None:
    monkeypatch.delenv(TOKEN_VAR, raising=False)
    body = f'base_url = "{demo_server.base_url}"\nca_bundle = "{demo_server.ca_bundle}"'
    (pytester.path / "prodready.toml").write_text(env_table("stage", body))
    result = run(pytester, "stage", "-k", "health and not detailed")
    result.assert_outcomes(failed=1)
    missing = (
        f"secret 'api_token' of environment 'stage' is not set: environment variable {TOKEN_VAR}"
    )
    result.stdout.fnmatch_lines([f"*{missing}*"])


def test_xdist_workers_each_run_their_own_operations(pytester: pytest.Pytester) -> None:
    (pytester.path / "prodready.toml").write_text(env_table("d", 'embedded = "demo"'))
    result = run(pytester, "d", "-n", "2", "-k", "items")
    result.assert_outcomes(passed=4)


@pytest.mark.slow
def test_stateful_workflows_run_on_an_unprotected_env(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = pytester.path / "requests.jsonl"
    monkeypatch.setenv("PRODREADY_DEMO_LOG", str(log))
    monkeypatch.setenv(TOKEN_VAR, TOKEN)
    (pytester.path / "prodready.toml").write_text(
        env_table("stage", 'embedded = "demo"', "stateful = true")
    )
    result = run(pytester, "stage", "-k", "workflows", "-rP")
    result.assert_outcomes(passed=1)
    figures = re.findall(
        r"(\w+ /api/items\S*): (\d+) requests, all checks passed", result.stdout.str()
    )
    assert {label for label, _ in figures} >= {"POST /api/items", "DELETE /api/items/{item_id}"}
    requests = [r for r in read_request_log(log) if r["path"].startswith("/api/items")]
    assert len(requests) == sum(int(count) for _, count in figures)
    # Workflows create items and delete them again: writes that reached the demo.
    statuses = {(r["method"], r["status"]) for r in requests}
    assert {("POST", 201), ("DELETE", 204)} <= statuses, statuses


def sent(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, seed: int) -> list[str]:
    """The operation requests one run with ``seed`` sent, from a fresh demo's request log."""
    log = pytester.path / f"requests-{seed}-{secrets.token_hex(4)}.jsonl"
    monkeypatch.setenv("PRODREADY_DEMO_LOG", str(log))
    config = env_table("seeded", 'embedded = "demo"', 'include = ["listItems", "getItem"]')
    (pytester.path / "prodready.toml").write_text(config.replace("seed = 7", f"seed = {seed}"))
    result = run(pytester, "seeded")
    result.assert_outcomes(passed=2, skipped=1)
    return [
        f"{r['method']} {r['path']}" for r in read_request_log(log) if "/api/items" in r["path"]
    ]


def test_the_same_seed_sends_the_same_requests(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TOKEN_VAR, TOKEN)
    first, again, other = (sent(pytester, monkeypatch, seed) for seed in (7, 7, 8))
    # Item ids come from the seed: the paths show what was generated.
    assert len({path for path in first if path.startswith("GET /api/items/")}) > 3, first
    assert again == first
    assert other != first


@dataclass(frozen=True)
class BrokenRun:
    """One run of the suite against demo-broken, every report written, the server still up."""

    out: str
    reports: dict[str, str]
    server: DemoServer


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokenRun]:
    where = tmp_path_factory.mktemp("contracts-broken")
    settings = DemoSettings(variant="demo-broken", admin_password="pw-" + TOKEN, api_token=TOKEN)
    with DemoServer(settings, where / "demo") as server:
        body = f'base_url = "{server.base_url}"\nca_bundle = "{server.ca_bundle}"'
        (where / "prodready.toml").write_text(env_table("broken", body))
        reports = {
            "junit": where / "run.xml",
            "html": where / "run.html",
            "json": where / "run.json",
        }
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                SUITE,
                "--target-env",
                "broken",
                "--prodready-config",
                str(where / "prodready.toml"),
                "-p",
                "no:cacheprovider",
                "-rA",
                f"--junitxml={reports['junit']}",
                f"--html={reports['html']}",
                "--self-contained-html",
                f"--prodready-json={reports['json']}",
            ],
            cwd=where,
            env={**os.environ, TOKEN_VAR: TOKEN},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        yield BrokenRun(
            proc.stdout + proc.stderr,
            {name: path.read_text(encoding="utf-8") for name, path in reports.items()},
            server,
        )


def test_demo_broken_fails_exactly_its_two_flawed_operations(broken: BrokenRun) -> None:
    failed = re.findall(r"^FAILED \S+::test_operation\[(.+?)\]", broken.out, re.MULTILINE)
    assert failed == ["GET /api/items", "GET /api/items/{item_id}"], broken.out
    assert "2 failed, 6 passed, 1 skipped" in broken.out


def _section(out: str, label: str) -> str:
    start = out.index(f"_ test_operation[{label}] _")
    end = out.find("\n_", start + 1)
    return out[start:end]


def test_each_failure_names_the_check_and_the_response(broken: BrokenRun) -> None:
    items = _section(broken.out, "GET /api/items")
    assert "- [HIGH] contract.schema-violation  A response body does not match" in items
    assert '"12.50" is not of type "integer"' in items
    assert "(schema at /components/schemas/Item/properties/price_cents)" in items
    item = _section(broken.out, "GET /api/items/{item_id}")
    assert "- [HIGH] contract.server-error  The operation answers 5xx (server error)" in item
    assert "answered 500 text/html" in item
    assert "contract.undocumented-status" not in item  # the 500 is reported once


def test_reproductions_work_with_the_token_from_the_environment(broken: BrokenRun) -> None:
    curls = dict(
        re.findall(r"contract\.([a-z-]+) .*?; reproduce: (curl .*?)\) at https://", broken.out)
    )
    assert set(curls) == {"schema-violation", "server-error"}
    for curl in curls.values():
        assert f'-H "Authorization: Bearer ${{{TOKEN_VAR}}}"' in curl
        assert str(broken.server.ca_bundle) in curl

    def replay(curl: str) -> tuple[str, str]:
        proc = subprocess.run(
            ["bash", "-c", curl + " -sS -w '\\n%{http_code}'"],
            env={TOKEN_VAR: TOKEN, "PATH": os.environ["PATH"]},
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        body, _, status = proc.stdout.rpartition("\n")
        return status, body

    status, body = replay(curls["server-error"])
    assert status == "500"
    assert "struct.error" in body
    status, body = replay(curls["schema-violation"])
    assert status == "200"
    assert isinstance(json.loads(body)[0]["price_cents"], str)


def test_the_token_is_in_no_output(broken: BrokenRun) -> None:
    assert TOKEN in broken.server.settings.api_token  # the run had a real secret to leak
    assert "reproduce: curl" in broken.out
    for name, text in {"terminal": broken.out, **broken.reports}.items():
        assert TOKEN not in text, f"the API token leaked into the {name} output"
