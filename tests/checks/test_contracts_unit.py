"""API contracts, the pure parts: schema location, operation selection, the read-only policy,
the schemathesis configuration, reproductions and findings, on plain values."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
import tracemalloc
import zlib
from pathlib import Path
from typing import Any

import pytest
import requests
import requests.adapters
import urllib3.connection
from schemathesis.config import SanitizationConfig, SchemathesisConfig
from schemathesis.core.errors import get_request_error_message

from pytest_prodready.config.contract import CONTRACT_CHECKS, ContractSpec
from pytest_prodready.contracts.checks import (
    CHECK_RULES,
    CheckFailure,
    OperationOutcome,
    curl_command,
    evaluate,
    excerpt,
    leaked,
)
from pytest_prodready.contracts.engine import UnsafeRequestRefused, transport_guard
from pytest_prodready.contracts.policy import (
    OPERATION_PHASES,
    Operation,
    SchemaSource,
    engine_settings,
    schema_source,
    selected,
    sends_unsafe,
    shell_value,
)
from pytest_prodready.contracts.transport import BudgetExceeded, per_operation_timeout

API = "https://api.test/v1"
ITEMS = Operation("GET", "/items", "listItems")
CREATE = Operation("POST", "/items", "createItem")
ITEM = Operation("GET", "/items/{id}", "getItem")
DELETE = Operation("DELETE", "/items/{id}", "deleteItem")


@pytest.mark.parametrize(
    ("openapi", "expected"),
    [
        ("https://docs.test/openapi.json", "https://docs.test/openapi.json"),
        ("/api/openapi.json", "https://api.test/api/openapi.json"),
        ("openapi.json", "https://api.test/v1/openapi.json"),
    ],
)
def test_schema_source_urls(openapi: str, expected: str, tmp_path: Path) -> None:
    assert schema_source(openapi, API, tmp_path) == SchemaSource(url=expected)


def test_schema_source_prefers_an_existing_file_next_to_the_config(tmp_path: Path) -> None:
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "openapi.yaml").write_text("openapi: 3.1.0\n")
    source = schema_source("specs/openapi.yaml", API, tmp_path)
    assert source == SchemaSource(path=tmp_path / "specs" / "openapi.yaml")
    assert schema_source("file:///etc/api.json", API, tmp_path).path == Path("/etc/api.json")


@pytest.mark.parametrize(
    ("include", "exclude", "expected"),
    [
        ((), (), [ITEMS, CREATE, ITEM, DELETE]),
        (("/items",), (), [ITEMS, CREATE]),
        (("GET /items/{id}", "createItem"), (), [CREATE, ITEM]),
        ((), ("deleteItem", "post /items"), [ITEMS, ITEM]),
        (("/items",), ("listItems",), [CREATE]),
    ],
)
def test_include_and_exclude_by_path_label_or_operation_id(
    include: tuple[str, ...], exclude: tuple[str, ...], expected: list[Operation]
) -> None:
    spec = ContractSpec(include=include, exclude=exclude)
    assert selected([ITEMS, CREATE, ITEM, DELETE], spec) == expected


@pytest.mark.parametrize(
    ("operation", "checks", "protected", "unsafe"),
    [
        (ITEMS, (), False, False),
        (CREATE, (), False, True),
        (DELETE, (), True, True),
        (Operation("HEAD", "/x"), (), False, False),
        (Operation("OPTIONS", "/x"), (), False, False),
        (Operation("TRACE", "/x"), (), False, True),
        # unexpected-method probes go with unsupported_method, only where writes are allowed
        (ITEMS, ("unsupported_method",), False, True),
        (ITEMS, ("unsupported_method",), True, False),
    ],
)
def test_what_counts_as_sending_unsafe_methods(
    operation: Operation, checks: tuple[str, ...], protected: bool, unsafe: bool
) -> None:
    spec = ContractSpec(checks=(*ContractSpec().checks, *checks))
    assert sends_unsafe(operation, spec, protected=protected) is unsafe


def settings(spec: ContractSpec | None = None, **kwargs: Any) -> dict[str, Any]:
    options: dict[str, Any] = {
        "headers": {"Authorization": "Bearer t0k3n"},
        "secret_headers": ["X-Api-Key"],
        "sanitized_by_default": SanitizationConfig().keys_to_sanitize,
        "ca_bundle": None,
        "timeout_s": 7.0,
        "protected": False,
        **kwargs,
    }
    return engine_settings(spec or ContractSpec(), **options)


def test_engine_settings_default_checks_budget_and_no_local_state() -> None:
    result = settings(ContractSpec(max_examples=7, exclude_checks=("content_type_conformance",)))
    checks = result["checks"]
    assert checks == {
        "enabled": False,
        "not_a_server_error": {"enabled": True},
        "status_code_conformance": {"enabled": True},
        "response_schema_conformance": {"enabled": True},
        "response_headers_conformance": {"enabled": True},
    }
    assert result["generation"] == {"max-examples": 7, "database": ":memory:"}
    assert result["cache"] == {"enabled": False}
    assert result["auth"] == {"auto-signup": False}
    assert result["request-timeout"] == 7.0
    assert result["tls-verify"] is True
    # No seed configured: one that fits TOML's 64-bit integers, so it can be pasted back.
    assert 0 <= result["seed"] < 2**63
    assert "rate-limit" not in result


def test_engine_settings_never_probe_unexpected_methods_on_protected_envs() -> None:
    spec = ContractSpec(checks=("not_a_server_error", "unsupported_method"))
    protected = settings(spec, protected=True)["phases"]
    assert protected["coverage"]["unexpected-methods"] == []
    open_env = settings(spec)["phases"]
    assert "unexpected-methods" not in open_env["coverage"]
    default = settings(protected=False)["phases"]
    assert default["coverage"]["unexpected-methods"] == []


def test_engine_settings_phases_seed_rate_limit_and_sanitized_headers(tmp_path: Path) -> None:
    spec = ContractSpec(seed=42, rate_limit="10/s", request_timeout_s=2.5)
    result = settings(spec, phases=("stateful",), ca_bundle=tmp_path / "ca.pem")
    assert result["phases"] == {
        "examples": {"enabled": False},
        "coverage": {"enabled": False, "unexpected-methods": []},
        "fuzzing": {"enabled": False},
        "stateful": {"enabled": True},
    }
    assert (result["seed"], result["rate-limit"], result["request-timeout"]) == (42, "10/s", 2.5)
    assert result["tls-verify"] == str(tmp_path / "ca.pem")
    keys = result["output"]["sanitization"]["keys-to-sanitize"]
    assert "x-api-key" in keys
    assert "authorization" in keys  # schemathesis's own defaults are kept


@pytest.mark.parametrize("protected", [True, False])
def test_engine_settings_are_valid_schemathesis_configuration(protected: bool) -> None:
    spec = ContractSpec(checks=CONTRACT_CHECKS, seed=1, rate_limit="5/m")
    config = SchemathesisConfig.from_dict(settings(spec, protected=protected))
    project = config.projects.get_default()
    assert project.generation.max_examples == 20
    assert project.checks.max_response_time.limit == 7.0
    assert project.auth.auto_signup is False
    unexpected = project.phases.coverage.unexpected_methods
    assert (unexpected == set()) is protected


def test_engine_settings_refuse_unknown_phases() -> None:
    with pytest.raises(ValueError, match="unknown schemathesis phases: warmup"):
        settings(phases=(*OPERATION_PHASES, "warmup"))


def test_every_configurable_check_has_a_finding_id() -> None:
    assert set(CHECK_RULES) == set(CONTRACT_CHECKS)
    assert all(r.id.startswith("contract.") for r in CHECK_RULES.values())


def test_shell_value_references_secrets_and_escapes_the_rest() -> None:
    text = shell_value('Token {api_token} "$HOME" `x` \\', {"api_token": "API_TOKEN"})
    assert text == 'Token ${API_TOKEN} \\"\\$HOME\\" \\`x\\` \\\\'


def test_curl_command_runs_in_a_real_shell_with_the_secret_from_the_environment(
    tmp_path: Path,
) -> None:
    command = curl_command(
        "POST",
        "https://api.test/v1/items?q=a b&x='1'",
        {"Authorization": "Bearer s3cr3t", "Cookie": "session=abc", "Content-Type": "a/b"},
        b'{"name": "it\'s"}',
        secret_headers={"authorization": shell_value("Bearer {token}", {"token": "TOKEN"})},
        masked={"cookie"},
        ca_bundle=tmp_path / "my ca.pem",
    )
    assert "s3cr3t" not in command
    assert "abc" not in command
    assert command.startswith("curl -X POST ")
    # The same words, printed one per line by a real shell instead of sent by curl.
    words = subprocess.run(
        ["bash", "-c", "printf '%s\\n' " + command.removeprefix("curl ")],
        env={"TOKEN": "from-env", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert words == [
        "-X",
        "POST",
        "-H",
        "Authorization: Bearer from-env",
        "-H",
        "Cookie: [masked]",
        "-H",
        "Content-Type: a/b",
        "--data-binary",
        '{"name": "it\'s"}',
        "--cacert",
        str(tmp_path / "my ca.pem"),
        "https://api.test/v1/items?q=a b&x='1'",
    ]


def failure(check: str, request_id: str = "r1", **kwargs: object) -> CheckFailure:
    fields: dict[str, object] = {
        "check": check,
        "title": "Server error",
        "message": "",
        "method": "GET",
        "url": "https://api.test/v1/items/0?x=1",
        "status": 500,
        "content_type": "text/html",
        "body": "<h1>boom</h1>",
        "curl": "curl -X GET https://api.test/v1/items/0?x=1",
        "request_id": request_id,
        **kwargs,
    }
    return CheckFailure(**fields)  # type: ignore[arg-type]


TRACEBACK = (
    b"Traceback (most recent call last):\n"
    b'  File "/srv/app/.venv/lib/python3.12/site-packages/starlette/middleware/errors.py", '
    b"line 164, in __call__\n    await self.app(scope, receive, _send)\nKeyError: 531075753\n"
)


def test_an_error_body_with_a_traceback_is_a_leak_beside_the_server_error() -> None:
    leaks = tuple(leaked(TRACEBACK, 500, "https://api.test/items/531075753"))
    assert [leak.id for leak in leaks] == ["leak.stack-trace"]
    outcome = OperationOutcome(
        "GET /items/{id}",
        requests=4,
        failures=[failure("not_a_server_error", leaks=leaks), failure("not_a_server_error")],
    )
    found = {f.id: f for f in evaluate(outcome)}
    assert sorted(found) == ["contract.server-error", "leak.stack-trace"]
    evidence = found["leak.stack-trace"].evidence
    assert evidence.startswith("GET /v1/items/0?x=1 answered 500: ")
    assert "Traceback" in evidence
    assert "reproduce: curl" in evidence


@pytest.mark.parametrize(
    ("body", "status"),
    [
        pytest.param(TRACEBACK, 200, id="success-status"),
        pytest.param(b'{"detail": "Internal Server Error"}', 500, id="generic-500"),
        pytest.param(TRACEBACK, None, id="no-response"),
    ],
)
def test_no_leak_without_an_error_answer_that_shows_one(body: bytes, status: int | None) -> None:
    assert leaked(body, status, "https://api.test/items/1") == []


def test_a_5xx_is_one_server_error_finding_with_its_reproduction() -> None:
    outcome = OperationOutcome(
        "GET /items/{id}",
        requests=12,
        failures=[
            failure("not_a_server_error"),
            failure("status_code_conformance", title="Undocumented status code"),
            failure("not_a_server_error", request_id="r2"),
        ],
        seed=3,
    )
    (finding,) = evaluate(outcome)
    assert finding.id == "contract.server-error"
    assert finding.url == "https://api.test/v1/items/0?x=1"
    assert finding.evidence == (
        "GET /v1/items/0?x=1 answered 500 text/html '<h1>boom</h1>'; not_a_server_error: "
        "Server error (+1 more failing request); reproduce: curl -X GET "
        "https://api.test/v1/items/0?x=1"
    )
    assert outcome.figure == "GET /items/{id}: 12 requests, failed: not_a_server_error (seed 3)"


def test_schema_violation_evidence_keeps_the_error_and_where_it_is_in_the_schema() -> None:
    message = (
        '"12.50" is not of type "integer"\n\nValidated against the response schema for status '
        "code 200.\n\nSchema at /components/schemas/Item/properties/price_cents:\n\n    {\n"
        '        "type": "integer"\n    }\n\nValue:\n\n    "12.50"'
    )
    outcome = OperationOutcome(
        "GET /items",
        failures=[
            failure(
                "response_schema_conformance",
                title="Response violates schema",
                message=message,
                status=200,
            )
        ],
    )
    (finding,) = evaluate(outcome)
    assert finding.id == "contract.schema-violation"
    assert (
        'response_schema_conformance: Response violates schema: "12.50" is not of type "integer" '
        "(schema at /components/schemas/Item/properties/price_cents); reproduce:"
    ) in finding.evidence


def test_errors_are_reported_once_each_and_a_clean_outcome_has_no_finding() -> None:
    assert evaluate(OperationOutcome("GET /items", requests=3)) == []
    outcome = OperationOutcome("GET /items", errors=["Network Error: refused"] * 2)
    (finding,) = evaluate(outcome)
    assert finding.id == "contract.request-error"
    assert finding.evidence == "GET /items: Network Error: refused"
    assert outcome.figure == "GET /items: 0 requests, all checks passed; 2 errors"


def test_excerpt_is_one_line_and_bounded() -> None:
    assert excerpt(b"<html>\n  <body>\n") == "<html> <body>"
    assert excerpt(b"") == "(empty body)"
    long = excerpt("x" * 500)
    assert len(long) == 160
    assert long.endswith("…")


def test_transport_guard_stops_unsafe_methods_before_they_leave() -> None:
    original = requests.adapters.HTTPAdapter.send
    # Port 9 on loopback is closed: a request that left would fail to connect instead.
    with transport_guard(
        read_only=True, budget_s=1, max_body_mb=1, origin="http://127.0.0.1:9"
    ) as transport:
        with pytest.raises(UnsafeRequestRefused, match="refused to send DELETE"):
            requests.delete("http://127.0.0.1:9/items/1", timeout=1)
        with pytest.raises(requests.ConnectionError):
            requests.get("http://127.0.0.1:9/items/1", timeout=1)
    assert transport.refused == ["DELETE http://127.0.0.1:9/items/1"]
    assert requests.adapters.HTTPAdapter.send is original
    assert "response_class" not in vars(urllib3.connection.HTTPConnection)


def test_transport_guard_lets_everything_through_when_not_read_only() -> None:
    with (
        transport_guard(
            read_only=False, budget_s=1, max_body_mb=1, origin="http://127.0.0.1:9"
        ) as transport,
        pytest.raises(requests.ConnectionError),
    ):
        requests.post("http://127.0.0.1:9/items", timeout=1)
    assert transport.refused == []


# What a scripted server sends after reading the request head: bytes, or seconds to sleep.
Script = list[bytes | float]


class ScriptedServer:
    """A one-thread HTTP server on 127.0.0.1 that answers every connection with ``script``
    and keeps the request heads it read."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.heads: list[str] = []
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}/items"

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self._sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            with conn:
                head = b""
                while b"\r\n\r\n" not in head and (data := conn.recv(4096)):
                    head += data
                self.heads.append(head.decode("latin-1"))
                try:
                    for step in self.script:
                        if isinstance(step, bytes):
                            conn.sendall(step)
                        elif self._stop.wait(step):
                            break
                except OSError:
                    pass  # the client gave up: expected for the slow scripts


def dribbled(data: bytes, every_s: float = 0.1) -> Script:
    return [part for byte in data for part in (bytes([byte]), every_s)]


def head(length: int | None, *fields: str) -> bytes:
    lines = ["HTTP/1.1 200 OK", "Content-Type: application/json", *fields]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@pytest.mark.parametrize(
    "script",
    [
        pytest.param([head(10_000), *dribbled(b"[" * 100)], id="body"),
        pytest.param(dribbled(head(2)), id="headers"),
        pytest.param([30.0], id="silent"),
    ],
)
def test_a_dribbling_or_silent_server_costs_one_budget_per_request(script: Script) -> None:
    with (
        ScriptedServer(script) as server,
        transport_guard(read_only=False, budget_s=0.5, max_body_mb=1, origin=server.url),
    ):
        start = time.monotonic()
        with pytest.raises(BudgetExceeded) as raised:
            requests.get(server.url, timeout=0.5)
        took = time.monotonic() - start
    assert str(raised.value) == f"read timed out after 0.5 s on GET {server.url}"
    # Every read got what was left of the budget: the dribble never bought more time.
    assert 0.45 < took < 0.9
    # schemathesis reads its own report of a ReadTimeout out of the urllib3 error inside.
    assert get_request_error_message(raised.value) == "Read timed out after 0.5 seconds"


def bomb(inflated_mb: int) -> bytes:
    deflate = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    return deflate.compress(bytes(inflated_mb << 20)) + deflate.flush()


@pytest.mark.parametrize(
    ("fields", "body", "expected"),
    [
        pytest.param((), b"a" * (3 << 20), b"a" * (1 << 20), id="identity"),
        pytest.param(("Content-Encoding: gzip",), bomb(32), bytes(1 << 20), id="gzip-bomb"),
        pytest.param(
            ("Content-Encoding: deflate",),
            zlib.compress(b"[1]" * 10, 9)[2:-4],  # raw deflate, as many servers send it
            b"[1]" * 10,
            id="raw-deflate",
        ),
    ],
)
def test_bodies_are_read_up_to_the_cap_after_decompression(
    fields: tuple[str, ...], body: bytes, expected: bytes
) -> None:
    with ScriptedServer([head(len(body), *fields), body]) as server:
        with transport_guard(
            read_only=False, budget_s=5, max_body_mb=1, origin=server.url
        ) as transport:
            tracemalloc.start()
            response = requests.get(
                server.url, headers={"X-Schemathesis-TestCaseId": "case-1"}, timeout=5
            )
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        assert "accept-encoding: gzip, deflate\r\n" in server.heads[0].lower()
    assert response.content == expected
    assert transport.truncated == ({"case-1"} if len(expected) == 1 << 20 else set())
    # A few copies of the capped body; 32 MiB of inflated zeros never existed at once.
    assert peak < 8 << 20


def test_a_body_that_is_not_its_content_encoding_is_a_decoding_error() -> None:
    body = b"not gzip at all"
    with (
        ScriptedServer([head(len(body), "Content-Encoding: gzip"), body]) as server,
        transport_guard(read_only=False, budget_s=5, max_body_mb=1, origin=server.url),
        pytest.raises(requests.exceptions.ContentDecodingError, match="not valid gzip"),
    ):
        requests.get(server.url, timeout=5)


def test_a_body_ended_by_closing_the_connection_is_read_whole() -> None:
    # HTTP/1.0 without Content-Length: http.client closes the connection while the body is
    # still to be read; the deadline reader must keep the socket open until it is.
    script: Script = [b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n", 0.05, b"[1, 2]"]
    with (
        ScriptedServer(script) as server,
        transport_guard(read_only=False, budget_s=5, max_body_mb=1, origin=server.url),
    ):
        assert requests.get(server.url, timeout=5).json() == [1, 2]
        session = requests.Session()
        # A header the test case sets itself is sent as it is.
        session.get(server.url, headers={"Accept-Encoding": "identity"}, timeout=5)
        session.close()
    assert "accept-encoding: identity\r\n" in server.heads[1].lower()


@pytest.mark.parametrize(
    ("timeout", "expected"),
    [(None, 2.0), (10, 2.0), (1.5, 1.5), ((1, 30), (1.0, 2.0)), ((None, None), (2.0, 2.0))],
)
def test_no_socket_operation_waits_past_the_budget(timeout: object, expected: object) -> None:
    assert per_operation_timeout(timeout, 2.0) == expected


def test_a_truncated_body_is_named_in_the_evidence_and_the_figure() -> None:
    outcome = OperationOutcome(
        "GET /items",
        requests=2,
        truncated=2,
        failures=[
            failure(
                "content_type_conformance",
                title="Undocumented Content-Type",
                status=200,
                body="aaaa",
                truncated_at_mb=1.0,
            )
        ],
    )
    (finding,) = evaluate(outcome)
    assert finding.evidence.startswith(
        "GET /v1/items/0?x=1 answered 200 text/html 'aaaa' (body larger than 1 MB, cut at "
        "max_body_mb); content_type_conformance: Undocumented Content-Type;"
    )
    assert outcome.figure == (
        "GET /items: 2 requests, failed: content_type_conformance; 2 bodies cut at max_body_mb"
    )
