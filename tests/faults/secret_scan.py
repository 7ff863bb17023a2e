"""Finding a secret in what a run left behind: its terminal output and every file it wrote.

Shared by ``tests/test_secret_sweep.py`` and ``benchmarks/reliability.py``. A secret shows up
raw, or encoded on its way through a URL, a JSON document or a base64 blob (a Playwright trace
is a zip of JSON lines and base64-encoded request bodies), so each spelling is counted; zip
members are read one by one. Values are fresh random strings (:func:`fresh_values`), so a hit
is the run's doing, never a coincidence.
"""

from __future__ import annotations

import base64
import json
import secrets
import urllib.parse
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

__all__ = ["MIN_LENGTH", "fresh_values", "occurrences", "report_args", "texts", "variants"]

# Shorter spellings would match by chance (a base64 blob holds every 4-character string).
MIN_LENGTH = 8


def fresh_values(variables: Iterable[str], prefix: str = "sweep") -> dict[str, str]:
    """A fresh random value for each environment variable, tagged with its name's end."""
    return {var: f"{prefix}-{var.lower()[-5:]}-{secrets.token_urlsafe(18)}" for var in variables}


def variants(value: str) -> set[str]:
    """Spellings under which a secret shows up in text: raw, URL-, JSON- and base64-encoded."""
    raw = value.encode()
    forms = {
        value,
        urllib.parse.quote(value, safe=""),
        urllib.parse.quote_plus(value),
        json.dumps(value)[1:-1],
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
    }
    return {form for form in forms if len(form) >= MIN_LENGTH}


def texts(directory: Path) -> Iterator[tuple[str, str]]:
    """(name, text) of every file under ``directory``, zip members (Playwright traces) too;
    a member's name is ``archive!member``."""
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        name = str(path.relative_to(directory))
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                for member in archive.namelist():
                    yield f"{name}!{member}", archive.read(member).decode("utf-8", "replace")
        else:
            yield name, path.read_bytes().decode("utf-8", "replace")


def occurrences(
    named_texts: Iterable[tuple[str, str]], values: Mapping[str, str]
) -> tuple[int, dict[str, int]]:
    """(texts scanned, {"name (VARIABLE)": count}) for every text where a value shows up."""
    forms = {variable: variants(value) for variable, value in values.items()}
    scanned = 0
    found: dict[str, int] = {}
    for name, text in named_texts:
        scanned += 1
        for variable, spellings in forms.items():
            count = sum(text.count(form) for form in spellings)
            if count:
                found[f"{name} ({variable})"] = count
    return scanned, found


def report_args(out: Path) -> list[str]:
    """Every report a run can write, into ``out``; Playwright's artifacts too, all of them."""
    return [
        "--junitxml",
        str(out / "junit.xml"),
        "--html",
        str(out / "report.html"),
        "--self-contained-html",
        "--prodready-json",
        str(out / "summary.json"),
        "--prodready-sarif",
        str(out / "prodready.sarif"),
        "--prodready-artifacts",
        "all",
        "--output",
        str(out / "playwright"),
        "-p",
        "no:cacheprovider",
    ]
