"""What the run shows people: report header lines and redaction of every report artifact.

Terminal output, JUnit XML and pytest-html are all rendered from ``TestReport`` objects and
log records, so scrubbing those two at the source covers every reporter, including xdist
workers (which scrub before sending a report to the controller).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import Any

import pytest

from pytest_prodready.core.secrets import Redactor
from pytest_prodready.target.runtime import Runtime

__all__ = ["header_lines", "install_log_redaction", "scrub_report"]

_MAX_DEPTH = 12


def _scrub(obj: Any, redactor: Redactor, depth: int = 0) -> Any:
    """Return ``obj`` with secrets scrubbed from every string inside it.

    Walks the shapes a pytest report holds: strings, lists, tuples, dicts and the dataclasses
    of ``_pytest._code`` (``ReprEntry.lines``, ``ReprFileLocation.message``, ...). Mutable
    containers and dataclasses are changed in place so their identity is kept.
    """
    if depth > _MAX_DEPTH:
        return obj
    if isinstance(obj, str):
        return redactor.scrub(obj)
    if isinstance(obj, list):
        obj[:] = [_scrub(item, redactor, depth + 1) for item in obj]
        return obj
    if isinstance(obj, tuple):
        return (
            type(obj)(*(_scrub(i, redactor, depth + 1) for i in obj))
            if hasattr(obj, "_fields")
            else tuple(_scrub(i, redactor, depth + 1) for i in obj)
        )
    if isinstance(obj, dict):
        for key in list(obj):
            obj[key] = _scrub(obj[key], redactor, depth + 1)
        return obj
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name, None)
            if value is not None:
                object.__setattr__(obj, f.name, _scrub(value, redactor, depth + 1))
        return obj
    return obj


def scrub_report(report: pytest.TestReport, redactor: Redactor) -> None:
    """Remove secret values from a report's failure text, captured output and extras."""
    if not redactor:
        return
    report.longrepr = _scrub(report.longrepr, redactor)
    report.sections = [(title, redactor.scrub(text)) for title, text in report.sections]
    report.user_properties = [
        (name, redactor.scrub(value) if isinstance(value, str) else value)
        for name, value in report.user_properties
    ]
    for extra in getattr(report, "extras", None) or []:
        textual = isinstance(extra, dict) and extra.get("format_type") != "image"
        if textual and isinstance(extra.get("content"), str):
            extra["content"] = redactor.scrub(extra["content"])


def install_log_redaction(redactor: Redactor) -> Callable[[], None]:
    """Scrub every log record as it is created; returns a function that undoes it.

    A record factory (rather than a handler filter) reaches every handler: caplog, live
    logging, the captured-log report section and any handler a test adds.
    """
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if redactor:
            try:
                message = record.getMessage()
            except Exception:  # a bad format string is logging's own error to report
                return record
            scrubbed = redactor.scrub(message)
            if scrubbed != message:
                record.msg, record.args = scrubbed, None
        return record

    logging.setLogRecordFactory(factory)
    return lambda: logging.setLogRecordFactory(previous)


def header_lines(runtime: Runtime) -> list[str]:
    """The report header: env and its origin, base URL, protection and why, secrets (names
    only)."""
    env = runtime.declared
    cfg = runtime.config_file
    lines = [
        f"prodready: env {env.name!r} (from {runtime.selection.origin}); "
        f"config {cfg.path}{' [' + cfg.table + ']' if cfg.table else ''}"
    ]
    if runtime.base_url_override:
        url = f"{runtime.base_url_override} (from --base-url, overrides the env's base_url)"
    elif env.embedded:
        url = f"embedded {env.embedded} target on 127.0.0.1 (starts with the first test using it)"
    else:
        url = f"{env.base_url} (from env {env.name!r})"
    lines.append(f"prodready: base_url {url}")
    store = runtime.secrets
    parts = [f"{name} resolved" for name in store.resolved]
    parts += [f"{name} MISSING (${store.declared[name]})" for name in store.missing]
    lines.append(
        f"prodready: protected {'yes' if env.protected else 'no'} "
        f"({runtime.protection.reason}); "
        f"secrets: {', '.join(parts) if parts else 'none declared'}"
    )
    return lines
