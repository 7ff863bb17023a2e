"""A hostile target's OpenAPI document cannot turn the runner against itself (issue 20).

Real servers on loopback: the target on 127.0.0.1 serves a document that names the runner's
files, an "internal" service on 127.0.0.2 and a schema host on 127.0.0.3. Every server
records each request it gets. The contract suite runs for real (schemathesis, in a child
pytest) on a protected environment, and each case asserts what reached whom and what the
reports say: nothing read, nothing fetched but what the env allows, no canary anywhere.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SUITE = str(ROOT / "suites" / "test_contracts.py")
CANARY = "canary-" + secrets.token_hex(12)
MAX_BODY = 64 * 1024 * 1024  # what the endless-body server sends at most


@dataclass(frozen=True)
class Seen:
    method: str
    target: str  # path and query
    headers: dict[str, str]
    body: bytes


@dataclass
class Recorder:
    """A stdlib HTTP server on one loopback address: fixed answers, every request recorded."""

    host: str
    routes: dict[str, Callable[[], tuple[int, str, bytes]]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)

    def start(self) -> Recorder:
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def handle_one(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                recorder.seen.append(
                    Seen(
                        self.command,
                        self.path,
                        {k.lower(): v for k, v in self.headers.items()},
                        body,
                    )
                )
                route = recorder.routes.get(self.path.split("?", 1)[0])
                status, kind, payload = route() if route else (404, "text/plain", b"no")
                self.send_response(status)
                self.send_header("Content-Type", kind)
                if payload == b"endless":
                    self.end_headers()
                    sent = 0
                    chunk = b"[" + b"1," * 32767
                    try:
                        while sent < MAX_BODY:
                            self.wfile.write(chunk)
                            sent += len(chunk)
                    except OSError:
                        pass  # the reader stopped at its cap and closed
                    return
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = handle_one

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer((self.host, 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://{self.host}:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def json(self, path: str, value: Any) -> None:
        payload = json.dumps(value).encode()
        self.routes[path] = lambda: (200, "application/json", payload)


@pytest.fixture
def servers() -> Iterator[tuple[Recorder, Recorder, Recorder]]:
    """The target (127.0.0.1), an internal service (127.0.0.2), a schema host (127.0.0.3)."""
    started = [Recorder(host).start() for host in ("127.0.0.1", "127.0.0.2", "127.0.0.3")]
    target, internal, schemas = started
    target.json("/items", [{"id": 1}])
    internal.json("/creds", {"SecretAccessKey": CANARY, "token": CANARY})
    schemas.json("/common.json", {"Item": {"type": "object", "properties": {"id": {}}}})
    yield target, internal, schemas
    for server in started:
        server.stop()


def document(schema: dict[str, Any], **extra: Any) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": "listItems",
        "responses": {
            "200": {"description": "ok", "content": {"application/json": {"schema": schema}}}
        },
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": "hostile", "version": "1"},
        "paths": {"/items": {"get": operation}},
        "components": {"schemas": extra},
    }


@dataclass
class Run:
    result: pytest.RunResult
    outputs: str  # terminal, JUnit XML and JSON summary together


def run_contracts(
    pytester: pytest.Pytester, target: Recorder, contract: str = "", *, protected: bool = True
) -> Run:
    pytester.makefile(
        ".toml",
        prodready=f"""
[envs.prod]
base_url = "{target.url}"
openapi = "/openapi.json"
timeout_s = 2
max_body_mb = 1
{"" if protected else "protected = false"}
[envs.prod.contract]
max_examples = 2
seed = 1
{contract}
""",
    )
    result = pytester.runpytest_subprocess(
        SUITE,
        "--target-env",
        "prod",
        "--prodready-config",
        str(pytester.path / "prodready.toml"),
        "--junitxml",
        "junit.xml",
        "--prodready-json",
        "summary.json",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:xdist",
        "-rs",
        timeout=120,
    )
    outputs = "\n".join(
        [
            result.stdout.str(),
            result.stderr.str(),
            *(
                (pytester.path / name).read_text()
                for name in ("junit.xml", "summary.json")
                if (pytester.path / name).exists()
            ),
        ]
    )
    return Run(result, outputs)


def unsafe_line(run: Run) -> str:
    [line] = [
        line
        for line in run.result.stdout.lines
        if line.startswith("- [HIGH] contract.schema-unsafe")
    ]
    return line


@pytest.mark.parametrize(
    ("name", "reference"),
    [
        ("file", "file://{canary_file}#/token"),
        ("bare path", "{canary_file}#/token"),
        ("relative", "credentials.json#/token"),
        ("internal http", "{internal}/creds#/SecretAccessKey"),
    ],
)
def test_an_external_ref_is_refused_unread_and_unfetched(
    pytester: pytest.Pytester,
    servers: tuple[Recorder, Recorder, Recorder],
    tmp_path: Path,
    name: str,
    reference: str,
) -> None:
    target, internal, _ = servers
    canary_file = tmp_path / "credentials.json"
    canary_file.write_text(json.dumps({"token": CANARY}))
    ref = reference.format(canary_file=canary_file, internal=internal.url)
    target.json("/openapi.json", document({"$ref": ref}))
    run = run_contracts(pytester, target)
    run.result.assert_outcomes(failed=1, skipped=1)
    line = unsafe_line(run)
    assert ref.split("#")[0] in line
    assert "points outside the document" in line
    assert internal.seen == []
    assert [(s.method, s.target) for s in target.seen] == [("GET", "/openapi.json")]
    assert CANARY not in run.outputs
    assert "Traceback" not in run.outputs


def test_an_external_value_is_refused_unfetched(
    pytester: pytest.Pytester, servers: tuple[Recorder, Recorder, Recorder]
) -> None:
    target, internal, _ = servers
    doc = document({"type": "array"})
    media = doc["paths"]["/items"]["get"]["responses"]["200"]["content"]["application/json"]
    media["examples"] = {"leak": {"externalValue": f"{internal.url}/creds?token=x"}}
    target.json("/openapi.json", doc)
    run = run_contracts(pytester, target)
    assert "externalValue" in unsafe_line(run)
    assert "token=x" not in run.outputs
    assert internal.seen == []


@pytest.mark.parametrize("shape", ["deep chain", "cycle"])
def test_a_ref_chain_that_never_ends_fails_in_one_line(
    pytester: pytest.Pytester, servers: tuple[Recorder, Recorder, Recorder], shape: str
) -> None:
    target, _, _ = servers
    count = 2000 if shape == "deep chain" else 3
    chain = {
        f"S{i}": {"$ref": f"#/components/schemas/S{(i + 1) % count if shape == 'cycle' else i + 1}"}
        for i in range(count)
    }
    if shape == "deep chain":
        chain[f"S{count}"] = {"type": "string"}
    target.json("/openapi.json", document({"$ref": "#/components/schemas/S0"}, **chain))
    run = run_contracts(pytester, target)
    run.result.assert_outcomes(failed=1, skipped=1)
    assert ("chain of more than" if shape == "deep chain" else "cycle") in unsafe_line(run)
    assert "RecursionError" not in run.outputs
    assert len((pytester.path / "junit.xml").read_text()) < 5000


def test_an_allowed_schema_host_is_fetched_once_without_the_api_s_credentials(
    pytester: pytest.Pytester, servers: tuple[Recorder, Recorder, Recorder]
) -> None:
    target, internal, schema_host = servers
    target.json(
        "/openapi.json",
        document({"type": "array", "items": {"$ref": f"{schema_host.url}/common.json#/Item"}}),
    )
    run = run_contracts(
        pytester,
        target,
        f'allow_ref_origins = ["{schema_host.url}"]\nheaders = {{ X-Api-Key = "k-{CANARY}" }}',
    )
    run.result.assert_outcomes(passed=1, skipped=1)
    [fetch] = schema_host.seen
    assert (fetch.method, fetch.target) == ("GET", "/common.json")
    assert "x-api-key" not in fetch.headers
    assert internal.seen == []
    assert any(s.target.startswith("/items") for s in target.seen)


def test_an_endless_body_from_an_allowed_host_stops_at_the_body_cap(
    pytester: pytest.Pytester, servers: tuple[Recorder, Recorder, Recorder]
) -> None:
    target, _, schema_host = servers
    schema_host.routes["/endless.json"] = lambda: (200, "application/json", b"endless")
    target.json("/openapi.json", document({"$ref": f"{schema_host.url}/endless.json#/X"}))
    run = run_contracts(pytester, target, f'allow_ref_origins = ["{schema_host.url}"]')
    run.result.assert_outcomes(failed=1, skipped=1)
    assert "max_body_mb" in unsafe_line(run)
    assert "MemoryError" not in run.outputs


def operation_with(**details: Any) -> dict[str, Any]:
    return {"responses": {"200": {"description": "ok"}}, **details}


def test_a_protected_env_is_sent_no_body_and_no_method_override(
    pytester: pytest.Pytester, servers: tuple[Recorder, Recorder, Recorder]
) -> None:
    target, _, _ = servers
    string = {"type": "string", "enum": ["DELETE"]}
    body = {"content": {"application/json": {"schema": {"type": "object"}}}, "required": True}
    override = {"name": "X-HTTP-Method-Override", "in": "header", "required": True}
    query = {"name": "_method", "in": "query", "required": True}
    target.json(
        "/openapi.json",
        {
            "openapi": "3.0.3",
            "info": {"title": "hostile", "version": "1"},
            "paths": {
                "/search": {"get": operation_with(requestBody=body)},
                "/items": {"get": operation_with(parameters=[{**override, "schema": string}])},
                "/legacy": {"get": operation_with(parameters=[{**query, "schema": string}])},
            },
        },
    )
    for path in ("/search", "/legacy"):
        target.json(path, {})
    run = run_contracts(pytester, target)
    run.result.assert_outcomes(failed=3, skipped=1)
    prefix = "- [HIGH] contract.request-error"
    errors = [line for line in run.result.stdout.lines if line.startswith(prefix)]
    assert len(errors) == 3
    assert all("prodready refused to send GET" in line for line in errors)
    sent = [s for s in target.seen if s.target != "/openapi.json"]
    assert not [s for s in sent if s.body or "x-http-method-override" in s.headers]
    assert not [s for s in sent if "_method" in s.target]


def test_the_document_does_not_decide_how_long_the_run_takes(
    pytester: pytest.Pytester, servers: tuple[Recorder, Recorder, Recorder]
) -> None:
    target, _, _ = servers
    paths = {f"/op{i}": {"get": operation_with()} for i in range(3000)}

    def slow() -> tuple[int, str, bytes]:
        time.sleep(0.5)  # 30 operations cannot all finish inside the 2 s cap
        return 200, "text/plain", b"ok"

    for path in paths:
        target.routes[path] = slow
    target.json(
        "/openapi.json",
        {"openapi": "3.0.3", "info": {"title": "big", "version": "1"}, "paths": paths},
    )
    run = run_contracts(pytester, target, "max_operations = 30\nmax_time_s = 2")
    outcomes = run.result.parseoutcomes()
    assert outcomes.get("passed", 0) + outcomes.get("skipped", 0) == 32
    run.result.stdout.fnmatch_lines(
        [
            "SKIPPED [[]1[]] *2970 more operations of the OpenAPI document not tested: "
            "max_operations = 30*",
        ]
    )
    requested = {s.target.split("?")[0] for s in target.seen} - {"/openapi.json"}
    assert len(requested) <= 30
    # The time cap cut the run: said once, for every operation it cut.
    run.result.stdout.fnmatch_lines(
        ["SKIPPED [[]*[]] *contract time cap reached: max_time_s = 2 s*"]
    )
    assert outcomes["skipped"] > 2
