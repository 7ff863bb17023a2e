"""Finding a secret in what a run left behind: its terminal output and every file it wrote.

Shared by ``tests/test_secret_sweep.py`` and ``benchmarks/reliability.py``. A secret shows up
raw, or encoded on its way through a URL, a JSON document, a base64 blob (a Playwright trace
is a zip of JSON lines and base64-encoded request bodies; a debug page may echo a header
base64-encoded) or a hex dump, so each spelling is counted; zip members are read one by one.
Values are fresh random strings (:func:`fresh_values`), so a hit is the run's doing, never a
coincidence. The spellings are derived here independently of the redactor's own code, so a
mistake there is not repeated here.
"""

from __future__ import annotations

import base64
import json
import secrets
import urllib.parse
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import NamedTuple

__all__ = [
    "BINARY",
    "CASELESS_FROM",
    "MIN_LENGTH",
    "Spelling",
    "base64_stable",
    "failing_findings",
    "fresh_values",
    "occurrences",
    "playwright_args",
    "report_args",
    "texts",
    "variants",
]

# Shorter spellings would match by chance (a base64 blob holds every 4-character string).
MIN_LENGTH = 8
# Values this long are looked for in any case (the redactor masks an upper-cased echo of them).
CASELESS_FROM = 20
# Screenshots and videos (Playwright's, and the screencast frames inside a trace) are
# compressed pixels. Their bytes are scanned like any file's: decoded as UTF-8 with errors
# replaced, every ASCII byte and every valid UTF-8 sequence survives, so a spelling in the
# bytes (a metadata chunk, a stray buffer) is found. What this cannot prove: a value drawn on
# the page is pixels, not bytes, and no scan short of OCR sees it in a screenshot or a video
# frame. Pages that typed a secret keep no trace or video (browser/artifacts.py) for that
# reason; screenshots stay because the login empties and masks the fields it filled.
BINARY = frozenset({".png", ".jpg", ".jpeg", ".webm"})


def fresh_values(variables: Iterable[str], prefix: str = "sweep") -> dict[str, str]:
    """A fresh random value for each environment variable, tagged with its name's end."""
    return {var: f"{prefix}-{var.lower()[-5:]}-{secrets.token_urlsafe(18)}" for var in variables}


class Spelling(NamedTuple):
    """One way a value reads in text; a ``caseless`` one is lower-case, matched in any case."""

    text: str
    caseless: bool = False


def base64_stable(raw: bytes) -> set[str]:
    """The base64 characters of ``raw`` that read the same whatever bytes surround it, at each
    of the three alignments (0, 1 or 2 bytes before it), in both alphabets, unpadded.

    Found by encoding ``raw`` between all-zero and between all-one neighbours and keeping the
    runs of characters on which both agree: a character holding even one neighbour bit
    differs between the two.
    """
    forms: set[str] = set()
    for before in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            zeros = encode(bytes(before) + raw + bytes(3)).decode()
            ones = encode(b"\xff" * before + raw + b"\xff" * 3).decode()
            agreed = "".join(a if a == b else " " for a, b in zip(zeros, ones, strict=True))
            forms.update(run for run in agreed.split() if "=" not in run)
    return forms


def variants(value: str) -> set[Spelling]:
    """Spellings under which a secret shows up in text: raw, URL-, JSON-, base64-encoded (at
    every alignment, and as ``Bearer <value>``), hex; in any case for long values."""
    raw = value.encode()
    textual = {
        value,
        urllib.parse.quote(value, safe=""),
        urllib.parse.quote_plus(value),
        json.dumps(value)[1:-1],
        raw.hex(),
    }
    exact = {raw.hex().upper(), *base64_stable(raw)}
    # Bearer's base64 holds the value's own at alignment 1, so it adds something only for
    # values too short for that to reach MIN_LENGTH.
    for blob in (raw, b"Bearer " + raw):
        exact.add(base64.b64encode(blob).decode().rstrip("="))
        exact.add(base64.urlsafe_b64encode(blob).decode().rstrip("="))
    if len(value) >= CASELESS_FROM:
        spellings = {Spelling(form.lower(), caseless=True) for form in textual}
        spellings |= {Spelling(form) for form in exact - {raw.hex().upper()}}
    else:
        spellings = {Spelling(form) for form in textual | exact}
    return {spelling for spelling in spellings if len(spelling.text) >= MIN_LENGTH}


def texts(directory: Path) -> Iterator[tuple[str, str]]:
    """(name, text) of every file under ``directory``, zip members (Playwright traces) too;
    a member's name is ``archive!member``. Every byte is read, binary files too (see
    :data:`BINARY` for what that proves of screenshots and videos)."""
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        name = str(path.relative_to(directory))
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                for member in archive.namelist():
                    yield f"{name}!{member}", _decoded(archive.read(member))
        else:
            yield name, _decoded(path.read_bytes())


def _decoded(data: bytes) -> str:
    # Lossless for every spelling: errors="replace" turns only the invalid bytes into U+FFFD,
    # so ASCII and every valid UTF-8 sequence read the same amid binary noise.
    return data.decode("utf-8", "replace")


def occurrences(
    named_texts: Iterable[tuple[str, str]], values: Mapping[str, str]
) -> tuple[int, dict[str, int]]:
    """(texts scanned, {"name (VARIABLE)": count}) for every text where a value shows up."""
    forms = {variable: variants(value) for variable, value in values.items()}
    scanned = 0
    found: dict[str, int] = {}
    for name, text in named_texts:
        scanned += 1
        lowered = text.lower()
        for variable, spellings in forms.items():
            count = sum((lowered if s.caseless else text).count(s.text) for s in spellings)
            if count:
                found[f"{name} ({variable})"] = count
    return scanned, found


def report_args(out: Path) -> list[str]:
    """Every report a run can write, into ``out``, and every artifact kept (pytest-playwright's
    traces, when the run brings that plugin back: see :func:`playwright_args`)."""
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
        "--prodready-report",
        str(out / "dashboard.html"),
        "--prodready-history",
        str(out / "history"),
        "--prodready-markdown",
        str(out / "summary.md"),
        "--prodready-artifacts",
        "all",
        "-p",
        "no:cacheprovider",
    ]


def playwright_args(out: Path) -> list[str]:
    """pytest-playwright back on (the repository's addopts block it), its artifacts in
    ``out``: for a run in a child process (in-process runs find its module already
    imported, and pytest refuses to load it again by name)."""
    return ["-p", "playwright", "--output", str(out / "playwright")]


def failing_findings(out: Path) -> dict[str, list[str]]:
    """The failing findings of a run given :func:`report_args` (its JSON summary in ``out``):
    their evidence, by id."""
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    found: dict[str, list[str]] = {}
    for finding in summary["findings"]:
        if finding["status"] == "failing":
            found.setdefault(finding["id"], []).append(finding["evidence"])
    return found
