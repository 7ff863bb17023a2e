"""API contracts, the document: find the env's OpenAPI document, fetch it, make sure it is
one, and list its operations. Every way this can fail is one :class:`SchemaUnavailable`
paragraph (location, what came back, what was expected), reported by one failing test.
"""

from __future__ import annotations

import copy
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pytest_prodready.config import Environment
from pytest_prodready.contracts.checks import SCHEMA_UNAVAILABLE, SCHEMA_UNSAFE, excerpt
from pytest_prodready.contracts.policy import (
    Operation,
    SchemaSource,
    origin_of,
    schema_source,
    selected,
)
from pytest_prodready.contracts.references import Unsafe, bundle
from pytest_prodready.core.findings import Finding
from pytest_prodready.target.runtime import Runtime, TargetError

if TYPE_CHECKING:
    from schemathesis import BaseSchema

__all__ = ["LoadedSchema", "SchemaUnavailable", "load", "seal_engine"]

_EXPECTED = (
    "expected 200 with an OpenAPI 3.x or Swagger 2.0 document (JSON or YAML, with a top-level "
    '"openapi" or "swagger" key and "paths")'
)


@dataclass(frozen=True)
class SchemaUnavailable:
    """The OpenAPI document could not be loaded: where from, and why, in one paragraph."""

    source: str
    reason: str
    unsafe: bool = False  # the document points outside itself: refused, not unreadable

    def finding(self) -> Finding:
        """The ``contract.schema-unavailable`` (or ``contract.schema-unsafe``) finding."""
        url = self.source if "://" in self.source else None
        return (SCHEMA_UNSAFE if self.unsafe else SCHEMA_UNAVAILABLE)(self.reason, url=url)

    def __str__(self) -> str:
        return "openapi"


@dataclass(frozen=True)
class LoadedSchema:
    """A loaded OpenAPI document: where from, its content, where requests go, what it has."""

    env: Environment
    source: SchemaSource
    document: dict[str, Any]
    base_url: str
    operations: tuple[Operation, ...]


def _parse(body: str) -> object:
    """JSON, else YAML (schemathesis's own reader); None when it is neither."""
    from schemathesis.errors import LoaderError
    from schemathesis.openapi.loaders import ContentType, load_content

    try:
        return load_content(body, ContentType.UNKNOWN)
    except (LoaderError, RecursionError):  # nested past the parser's depth: no real document
        return None


def _not_openapi(document: object, text: str) -> str | None:
    """Why ``document`` is not an OpenAPI document; None when it looks like one."""
    if not isinstance(document, dict):
        if text.lstrip()[:1] == "<":
            # Most often the docs UI (Swagger UI, ReDoc) instead of the document it renders.
            return (
                f"the body is an HTML or XML page, not JSON or YAML (a docs page instead of the "
                f"document it shows?): {excerpt(text)!r}"
            )
        return f"the body is not a JSON or YAML object: {excerpt(text)!r}"
    if "openapi" not in document and "swagger" not in document:
        keys = ", ".join(sorted(map(str, document))[:6]) or "none"
        return f'it has no "openapi" or "swagger" key (top-level keys: {keys})'
    if not isinstance(document.get("paths", {}), dict):
        return '"paths" is not an object'
    return None


@dataclass(frozen=True)
class _Fetched:
    text: str
    what: str  # "GET <url> answered 200 (<content type>)", for messages


def _headers(runtime: Runtime, env: Environment) -> dict[str, str]:
    headers = {"Accept": "application/json, application/yaml;q=0.9, */*;q=0.1"}
    secrets = runtime.secrets
    # The document may sit behind the API's own auth: send it when its secrets are set (a
    # missing one fails the operation tests later, naming the variable to export).
    for name, template in env.contract.headers.items():
        fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
        if all(f in secrets.resolved for f in fields):
            headers[name] = template.format_map({f: secrets.get(f).reveal() for f in fields})
    return headers


def _fetch(
    runtime: Runtime, env: Environment, source: SchemaSource
) -> _Fetched | SchemaUnavailable:
    where = f"[envs.{env.name}] openapi"
    if source.path is not None:
        try:
            text = source.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            return SchemaUnavailable(str(source), f"cannot read {source.path} ({where}): {exc}.")
        return _Fetched(text, f"{source.path} ({where}) was read")
    import httpx

    from pytest_prodready.http import describe_error

    assert source.url is not None
    try:
        response = runtime.client().get(source.url, headers=_headers(runtime, env))
    except httpx.RequestError as exc:
        return SchemaUnavailable(source.url, f"{describe_error(exc)} ({where}); {_EXPECTED}.")
    kind = response.headers.get("content-type", "no content type")
    what = f"GET {source.url} ({where}) answered {response.status_code} {response.reason_phrase}"
    if response.status_code != 200:
        return SchemaUnavailable(source.url, f"{what} ({kind}); {_EXPECTED}.")
    return _Fetched(response.text, f"{what} ({kind})")


def _refuse(what: str) -> Callable[..., Any]:
    def refuse(location: str, *_: object, **__: object) -> Any:
        from schemathesis.core.errors import RefResolutionError

        raise RefResolutionError(
            f"prodready refused to {what} {location.split('?', 1)[0]!r}: only references "
            "inside the document are followed"
        )

    return refuse


def seal_engine() -> None:
    """Take from schemathesis its ways to read a file or fetch a URL named by a reference.

    :func:`load` inlines or refuses every reference before the engine sees a document; this
    is the backstop, so a reference the walk missed fails in one line instead of reading the
    runner's files or reaching an internal address. For the whole process: nothing here
    ever wants the engine to resolve an external reference.
    """
    from schemathesis.core.jsonschema import resolver
    from schemathesis.specs.openapi import examples

    resolver.retrieve = _refuse("resolve")
    resolver.load_file_impl = _refuse("open")
    resolver._load_remote_uri = _refuse("fetch")  # type: ignore[assignment]
    examples.load_external_example = _refuse("fetch")  # type: ignore[assignment]


def _fetch_reference(runtime: Runtime) -> Callable[[str], Any]:
    """``fetch(url)`` for :func:`~pytest_prodready.contracts.references.bundle`: a GET through
    the env's own client (its timeout, body cap and encodings), without the API's headers
    (an allowed origin is still not the API), no redirect followed."""
    import httpx

    from pytest_prodready.core.evidence import TRUNCATED
    from pytest_prodready.http import describe_error

    def fetch(url: str) -> Any:
        try:
            response = runtime.client().get(url, headers={"Accept": "application/json"})
        except httpx.RequestError as exc:
            raise Unsafe(
                f"the referenced document cannot be fetched: {describe_error(exc)}"
            ) from None
        what = f"the referenced document {url} answered {response.status_code}"
        if response.status_code != 200:
            raise Unsafe(f"{what}, expected 200 with a JSON or YAML document")
        if response.extensions.get(TRUNCATED):
            cap = runtime.environment().max_body_mb
            raise Unsafe(f"{what} with a body larger than max_body_mb = {cap:g} MB (cut there)")
        document = _parse(response.text)
        if not isinstance(document, dict | list):
            raise Unsafe(f"{what} with a body that is not JSON or YAML")
        return document

    return fetch


def _operations(schema: BaseSchema) -> tuple[Operation, ...]:
    from schemathesis.core.result import Ok

    operations = []
    for result in schema.get_all_operations():
        if isinstance(result, Ok):
            operation = result.ok()
            raw = operation.definition.raw
            operation_id = raw.get("operationId") if isinstance(raw, dict) else None
            operations.append(Operation(operation.method.upper(), operation.path, operation_id))
            continue
        # An operation schemathesis cannot read still gets its test (the engine reports the
        # error there): it must not silently drop out of the list of endpoints.
        error = result.err()
        if error.method and error.path:
            operations.append(Operation(error.method.upper(), error.path))
    return tuple(operations)


def load(runtime: Runtime) -> LoadedSchema | SchemaUnavailable | None:
    """Load the selected environment's OpenAPI document; None when it declares none.

    Starts an embedded target (the document is served by it). Every failure, from a target
    that does not start to a document that is not OpenAPI, is a :class:`SchemaUnavailable`
    naming the location, what came back and what was expected.
    """
    declared = runtime.declared
    if declared.openapi is None:
        return None
    try:
        env = runtime.environment()
    except TargetError as exc:
        return SchemaUnavailable(declared.openapi, str(exc))
    assert env.api_url is not None  # resolved: it defaults to base_url
    assert env.openapi is not None
    source = schema_source(env.openapi, env.api_url, runtime.config_file.path.parent)
    fetched = _fetch(runtime, env, source)
    if isinstance(fetched, SchemaUnavailable):
        return fetched
    document = _parse(fetched.text)
    problem = _not_openapi(document, fetched.text)
    if problem is not None or not isinstance(document, dict):
        return SchemaUnavailable(
            str(source),
            f"{fetched.what}, but it is not an OpenAPI document: {problem}; {_EXPECTED}.",
        )
    try:
        document = bundle(
            document,
            base_url=source.url or "",
            allowed_origins=env.contract.allow_ref_origins,
            fetch=_fetch_reference(runtime),
        )
    except Unsafe as exc:
        return SchemaUnavailable(str(source), f"{fetched.what}, but {exc}.", unsafe=True)
    import schemathesis
    from schemathesis.config import SchemathesisConfig
    from schemathesis.errors import SchemathesisError

    seal_engine()
    try:
        schema = schemathesis.openapi.from_dict(
            copy.deepcopy(document), config=SchemathesisConfig()
        )
        base_url = origin_of(env.api_url) + schema.declared_base_path().rstrip("/")
        operations = selected(_operations(schema), env.contract)
    except SchemathesisError as exc:
        # Unsupported version, unresolvable references, malformed servers...: the document
        # is the problem, said in schemathesis's words.
        detail = getattr(exc, "message", None) or str(exc)
        return SchemaUnavailable(
            str(source), f"{fetched.what}, but schemathesis cannot use it: {detail}"
        )
    return LoadedSchema(env, source, document, base_url, tuple(operations))
