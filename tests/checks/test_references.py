"""What an OpenAPI document may point at (contracts/references.py) and what a protected
environment may be sent (contracts/policy.refusal): plain data, no network."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_prodready.contracts.policy import refusal
from pytest_prodready.contracts.references import (
    INLINED,
    MAX_DOCUMENTS,
    MAX_REF_CHAIN,
    Unsafe,
    bundle,
    origin,
)

BASE = "https://api.example.com/openapi.json"


def doc(schema: dict[str, Any], **components: Any) -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/items": {
                "get": {
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {"application/json": {"schema": schema}},
                        }
                    }
                }
            }
        },
        "components": {"schemas": components},
    }


def never(url: str) -> Any:
    raise AssertionError(f"fetched {url}")


def run(document: dict[str, Any], *, allowed: tuple[str, ...] = (), fetch: Any = never) -> Any:
    return bundle(document, base_url=BASE, allowed_origins=allowed, fetch=fetch)


def test_local_references_pass_untouched() -> None:
    document = doc({"$ref": "#/components/schemas/Item"}, Item={"type": "object"})
    assert run(document) == document


def test_a_recursive_schema_is_a_type_not_a_loop() -> None:
    node = {"type": "object", "properties": {"child": {"$ref": "#/components/schemas/Node"}}}
    document = doc({"$ref": "#/components/schemas/Node"}, Node=node)
    assert run(document) == document


@pytest.mark.parametrize(
    "reference",
    [
        "file:///home/runner/.aws/credentials.json#/token",
        "/etc/passwd",
        "credentials.json#/token",
        "../secrets.yaml",
        "http://127.0.0.2:8080/creds#/SecretAccessKey",
        "https://api.example.com/other.json#/X",  # the API's own origin is not allowed either
    ],
)
def test_a_reference_outside_the_document_is_refused_naming_it(reference: str) -> None:
    with pytest.raises(Unsafe, match="points outside the document") as raised:
        run(doc({"$ref": reference}))
    message = str(raised.value)
    assert reference.split("?", maxsplit=1)[0] in message
    assert "/paths/~1items/get/responses/200" in message
    assert "\n" not in message


def test_the_query_string_of_a_refused_reference_is_not_repeated() -> None:
    with pytest.raises(Unsafe) as raised:
        run(doc({"$ref": "http://127.0.0.2/creds?token=CANARY-1#/x"}))
    assert "CANARY-1" not in str(raised.value)


@pytest.mark.parametrize("key", ["$dynamicRef", "$recursiveRef"])
def test_other_reference_keywords_are_held_to_the_same_rule(key: str) -> None:
    with pytest.raises(Unsafe, match=f"\\{key}"):
        run(doc({key: "file:///etc/passwd"}))


def test_an_external_operation_ref_of_a_link_is_refused() -> None:
    document = doc({"type": "object"})
    document["paths"]["/items"]["get"]["responses"]["200"]["links"] = {
        "next": {"operationRef": "http://127.0.0.2/other.json#/paths/~1x/get"}
    }
    with pytest.raises(Unsafe, match="operationRef"):
        run(document)


def test_an_external_value_is_refused_even_from_an_allowed_origin() -> None:
    document = doc({"type": "object"})
    media = document["paths"]["/items"]["get"]["responses"]["200"]["content"]
    media["application/json"]["examples"] = {"a": {"externalValue": "https://api.example.com/x"}}
    with pytest.raises(Unsafe, match="externalValue"):
        run(document, allowed=("https://api.example.com",))


def test_a_discriminator_mapping_to_another_document_is_refused() -> None:
    schema = {
        "oneOf": [{"$ref": "#/components/schemas/Dog"}],
        "discriminator": {"propertyName": "kind", "mapping": {"dog": "file:///etc/passwd"}},
    }
    with pytest.raises(Unsafe, match="discriminator mapping"):
        run(doc(schema, Dog={"type": "object"}))


def test_a_discriminator_mapping_to_a_schema_name_or_fragment_passes() -> None:
    schema = {
        "oneOf": [{"$ref": "#/components/schemas/Dog"}],
        "discriminator": {
            "propertyName": "kind",
            "mapping": {"dog": "Dog", "cat": "#/components/schemas/Dog"},
        },
    }
    assert run(doc(schema, Dog={"type": "object"}))["components"]["schemas"]["Dog"]


def test_an_allowed_origin_is_fetched_once_and_inlined() -> None:
    fetched: list[str] = []
    shared = {
        "components": {
            "schemas": {
                "Error": {"type": "object", "properties": {"code": {"$ref": "#/$defs/Code"}}}
            }
        },
        "$defs": {"Code": {"type": "integer"}},
    }

    def fetch(url: str) -> Any:
        fetched.append(url)
        return shared

    document = doc(
        {"$ref": "https://schemas.example.com/common.json#/components/schemas/Error"},
        Again={"$ref": "https://schemas.example.com/common.json#/$defs/Code"},
    )
    result = run(document, allowed=("https://schemas.example.com",), fetch=fetch)
    assert fetched == ["https://schemas.example.com/common.json"]
    schema = result["paths"]["/items"]["get"]["responses"]["200"]["content"]["application/json"]
    assert schema["schema"] == {"$ref": f"#/{INLINED}/0/components/schemas/Error"}
    inlined = result[INLINED]["0"]
    # The fetched document's own local references now point inside its inlined copy.
    assert inlined["components"]["schemas"]["Error"]["properties"]["code"] == {
        "$ref": f"#/{INLINED}/0/$defs/Code"
    }
    assert document["components"]["schemas"]["Again"]["$ref"].startswith("https://")


def test_an_allowed_document_may_not_lead_elsewhere() -> None:
    def fetch(url: str) -> Any:
        return {"X": {"$ref": "file:///etc/passwd"}}

    with pytest.raises(Unsafe, match="file:///etc/passwd"):
        run(
            doc({"$ref": "https://schemas.example.com/a.json#/X"}),
            allowed=("https://schemas.example.com",),
            fetch=fetch,
        )


def test_fetched_documents_are_bounded() -> None:
    schemas = {f"S{i}": {"$ref": f"https://s.example.com/{i}.json#/X"} for i in range(40)}
    with pytest.raises(Unsafe, match=f"more than {MAX_DOCUMENTS} external documents"):
        run(
            doc({"type": "object"}, **schemas),
            allowed=("https://s.example.com",),
            fetch=lambda url: {"X": {"type": "string"}},
        )


def test_a_deep_chain_of_references_fails_in_one_line() -> None:
    chain = {f"S{i}": {"$ref": f"#/components/schemas/S{i + 1}"} for i in range(2000)}
    chain["S2000"] = {"type": "string"}
    with pytest.raises(Unsafe, match=f"chain of more than {MAX_REF_CHAIN} references"):
        run(doc({"$ref": "#/components/schemas/S0"}, **chain))


def test_a_short_chain_passes() -> None:
    chain = {f"S{i}": {"$ref": f"#/components/schemas/S{i + 1}"} for i in range(5)}
    chain["S5"] = {"type": "string"}
    assert run(doc({"$ref": "#/components/schemas/S0"}, **chain))


@pytest.mark.parametrize("length", [1, 2, 3])
def test_a_cycle_of_references_fails_in_one_line(length: int) -> None:
    cycle = {f"S{i}": {"$ref": f"#/components/schemas/S{(i + 1) % length}"} for i in range(length)}
    with pytest.raises(Unsafe, match="cycle of references"):
        run(doc({"$ref": "#/components/schemas/S0"}, **cycle))


def test_a_document_nested_past_any_real_one_is_refused_without_recursion() -> None:
    deep: dict[str, Any] = {"type": "string"}
    for _ in range(5000):
        deep = {"type": "object", "properties": {"a": deep}}
    with pytest.raises(Unsafe, match="nests deeper than"):
        run(doc(deep))


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://API.example.com:443/x", "https://api.example.com"),
        ("http://example.com:80", "http://example.com"),
        ("http://127.0.0.1:8080/a?b", "http://127.0.0.1:8080"),
        ("http://[::1]:9/", "http://[::1]:9"),
        ("file:///etc/passwd", ""),
        ("/relative", ""),
        ("http://host:notaport/", ""),
    ],
)
def test_origin(url: str, expected: str) -> None:
    assert origin(url) == expected


@pytest.mark.parametrize(
    ("method", "url", "headers", "body", "why"),
    [
        ("DELETE", "https://a/x", [], False, "only GET, HEAD and OPTIONS"),
        ("GET", "https://a/x", ["X-HTTP-Method-Override"], False, "x-http-method-override"),
        ("GET", "https://a/x", ["x-method-override"], False, "x-method-override"),
        ("HEAD", "https://a/x", ["X-HTTP-Method"], False, "x-http-method"),
        ("GET", "https://a/x?_method=DELETE", [], False, "_method"),
        ("GET", "https://a/x?_METHOD=delete&a=1", [], False, "_method"),
        ("GET", "https://a/x", [], True, "with a body"),
        ("OPTIONS", "https://a/x", ["Content-Type"], True, "with a body"),
    ],
)
def test_a_protected_env_refuses_writes_in_disguise(
    method: str, url: str, headers: list[str], body: bool, why: str
) -> None:
    reason = refusal(method, url, headers, body=body, read_only=True)
    assert reason is not None
    assert why in reason
    assert refusal(method, url, headers, body=body, read_only=False) is None


@pytest.mark.parametrize(
    ("method", "url", "headers"),
    [
        ("GET", "https://a/x?method=list&q=1", ["Authorization", "Accept"]),
        ("HEAD", "https://a/x", []),
        ("OPTIONS", "https://a/x?x-method=1", ["Origin"]),
    ],
)
def test_a_plain_read_passes_on_a_protected_env(method: str, url: str, headers: list[str]) -> None:
    assert refusal(method, url, headers, body=False, read_only=True) is None
