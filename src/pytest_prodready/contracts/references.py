"""What an OpenAPI document may point at: its own fragments, and origins the env allows.

A compromised or hostile target controls every byte of its document. A ``$ref`` to
``file:///…/credentials.json``, to a bare path or to ``http://<internal>/creds``, or an
``externalValue`` URL, would make the runner read or fetch it, send the values to the target
as example data and publish them in its reports. So before schemathesis sees a document, this
module walks it: every reference that is not a local fragment is refused, unless its origin
is listed in ``[envs.X.contract] allow_ref_origins``; those are fetched by the caller (through
the env's own client, with its budget, body cap and encodings) and inlined here, so the engine
never resolves anything outside the document. Reference chains that only lead to more
references, cycles among them, and documents nested deeper than any real one are refused
too: each would otherwise end in a ``RecursionError`` per operation.

Pure: the caller passes ``fetch``; nothing here opens a file or a socket.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

__all__ = [
    "INLINED",
    "MAX_DEPTH",
    "MAX_DOCUMENTS",
    "MAX_REF_CHAIN",
    "Unsafe",
    "bundle",
    "origin",
]

# Keys whose string value names another document or a node of one.
REF_KEYS = ("$ref", "$dynamicRef", "$recursiveRef", "operationRef")
# Where fetched documents of allowed origins are kept, inside the document itself.
INLINED = "x-prodready-inlined"
MAX_REF_CHAIN = 32  # references that lead only to references; real documents use 1 or 2
MAX_DEPTH = 200  # nesting of objects and arrays; real documents stay under 40
MAX_DOCUMENTS = 16  # external documents fetched for one document


class Unsafe(ValueError):
    """The document points outside itself (or loops): one line naming the reference."""


@dataclass(frozen=True)
class _Node:
    value: Any
    pointer: str
    depth: int


def origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url``, lower-cased, default ports dropped; "" if none."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    host = parts.hostname.rstrip(".").lower()
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}[parts.scheme]
    return f"{parts.scheme}://{host}" + (f":{port}" if port not in (None, default) else "")


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _walk(document: Any, base: str = "") -> Iterator[_Node]:
    """Every object of the document with its JSON pointer, iteratively (no recursion)."""
    stack = [_Node(document, base, 0)]
    while stack:
        node = stack.pop()
        if node.depth > MAX_DEPTH:
            raise Unsafe(f"the document nests deeper than {MAX_DEPTH} levels at {node.pointer}")
        if isinstance(node.value, dict):
            yield node
            for key, child in node.value.items():
                stack.append(_Node(child, f"{node.pointer}/{_escape(str(key))}", node.depth + 1))
        elif isinstance(node.value, list):
            for index, child in enumerate(node.value):
                stack.append(_Node(child, f"{node.pointer}/{index}", node.depth + 1))


def _shown(reference: str) -> str:
    """A reference as evidence: no query string (it may carry a token), bounded."""
    without_query = reference.split("?", 1)[0]
    return without_query if len(without_query) <= 120 else without_query[:119] + "…"


def _is_local(reference: str) -> bool:
    return reference.startswith("#")


def _mapping_target_is_document(value: str) -> bool:
    """A discriminator mapping value is a schema name or a reference; a reference that is
    not a local fragment names another document."""
    if _is_local(value):
        return False
    return (
        "://" in value
        or value.startswith(("/", "./", "../"))
        or "." in value.rsplit("/", maxsplit=1)[-1]
    )


def _targets(node: _Node) -> Iterator[tuple[str, str]]:
    """(what, reference) for every reference this object makes to another node or document."""
    obj = node.value
    for key in REF_KEYS:
        value = obj.get(key)
        if isinstance(value, str):
            yield key, value
    value = obj.get("externalValue")
    if isinstance(value, str):
        yield "externalValue", value
    mapping = obj.get("mapping")
    if isinstance(mapping, dict) and "propertyName" in obj:
        for target in mapping.values():
            if isinstance(target, str) and _mapping_target_is_document(target):
                yield "discriminator mapping", target


def bundle(
    document: dict[str, Any],
    *,
    base_url: str,
    allowed_origins: Collection[str],
    fetch: Callable[[str], Any],
) -> dict[str, Any]:
    """A copy of ``document`` that references nothing outside itself; or :class:`Unsafe`.

    ``base_url`` is where the document came from (relative references resolve against it).
    A reference to an allowed origin is fetched once per document with ``fetch(url)`` (it
    returns the parsed document or raises :class:`Unsafe` saying why not) and inlined under
    ``INLINED``; its own references obey the same rules.
    """
    for _ in _walk(document):  # the depth check, before anything recursive sees the document
        pass
    result = copy.deepcopy(document)
    allowed = {origin(o) or o.rstrip("/").lower() for o in allowed_origins}
    inlined: dict[str, Any] = {}
    keys: dict[str, str] = {}  # document URL -> its key under INLINED
    queue: list[tuple[Any, str, str]] = [(result, "", base_url)]  # (doc, its pointer, its URL)
    while queue:
        current, prefix, url = queue.pop(0)
        for node in list(_walk(current, prefix)):
            for what, reference in list(_targets(node)):
                if what == "externalValue":
                    raise Unsafe(
                        f"externalValue {_shown(reference)!r} at {node.pointer or '/'}: an "
                        "example fetched from elsewhere is refused; put the value in the "
                        "document (value:)"
                    )
                if _is_local(reference):
                    if prefix and what in REF_KEYS:
                        node.value[what] = f"#{prefix}{reference[1:]}"
                    continue
                absolute = urljoin(url, reference) if url else reference
                target_origin = origin(absolute)
                if not target_origin or target_origin not in allowed:
                    raise Unsafe(
                        f"{what} {_shown(reference)!r} at {node.pointer or '/'} points outside "
                        "the document; only local references (#/...) are followed. Inline it, "
                        "or list its origin in [envs.X.contract] allow_ref_origins"
                    )
                if what not in REF_KEYS:
                    raise Unsafe(
                        f"{what} {_shown(reference)!r} at {node.pointer or '/'} points outside "
                        "the document; write it as a local reference (#/components/schemas/…)"
                    )
                address, fragment = urldefrag(absolute)
                if address not in keys:
                    if len(keys) >= MAX_DOCUMENTS:
                        raise Unsafe(
                            f"more than {MAX_DOCUMENTS} external documents are referenced "
                            f"(the next: {_shown(address)!r})"
                        )
                    keys[address] = str(len(keys))
                    fetched = fetch(address)
                    inlined[keys[address]] = fetched
                    queue.append((fetched, f"/{INLINED}/{keys[address]}", address))
                node.value[what] = f"#/{INLINED}/{keys[address]}{fragment}"
    if inlined:
        result[INLINED] = inlined
    _check_chains(result)
    return result


def _resolve(document: Any, pointer: str) -> Any:
    node = document
    for raw in pointer.lstrip("/").split("/") if pointer.strip("/") else []:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def _check_chains(document: dict[str, Any]) -> None:
    """Refuse chains of references that lead only to references: longer than
    :data:`MAX_REF_CHAIN`, or round in a cycle (a schema that contains a reference to itself
    is a recursive type and fine; a reference that is itself is not)."""
    for node in _walk(document):
        reference = node.value.get("$ref")
        if not isinstance(reference, str) or len(node.value) != 1:
            continue
        seen = [node.pointer or "/"]
        current = reference
        while isinstance(current, str) and _is_local(current):
            target = _resolve(document, current[1:])
            if not isinstance(target, dict) or set(target) != {"$ref"}:
                break
            if current[1:] in seen or current[1:] == node.pointer:
                raise Unsafe(
                    f"$ref {reference!r} at {node.pointer or '/'} leads round a cycle of "
                    "references that never reaches a schema"
                )
            seen.append(current[1:])
            if len(seen) > MAX_REF_CHAIN:
                raise Unsafe(
                    f"$ref {reference!r} at {node.pointer or '/'} starts a chain of more "
                    f"than {MAX_REF_CHAIN} references to references"
                )
            current = target["$ref"]
