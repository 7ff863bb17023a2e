"""Known-vulnerable front-end libraries in the scripts a page loads, judged as retire.js does.

The dataset is retire.js's repository (its jsrepository format): per library, extractors
that read a version from a script's URL, its file name or its content, and advisories that
hold for versions ``atOrAbove`` <= v < ``below``. The matching follows retire.js 5.x
(``node/lib/retire.js`` and its browser extension) step by step, so a version it judges
vulnerable is judged so here:

1. the script's URL against the ``uri`` extractors; if none matched, its file name (the last
   path segment) against the ``filename`` ones, anchored at both ends;
2. if neither did and the script was read, its content (line ends normalized to ``\\n``)
   against ``filecontent``; if none matched, ``filecontentreplace`` (``/search/replacement/``);
   if none matched, the SHA-1 of the content against ``hashes``;
3. ``§§version§§`` is ``[0-9][0-9.a-z_\\-]+``, the version is the first group, less a
   ``.min``/``-min`` suffix; one result per library and version;
4. versions compare by :func:`is_at_or_above`, retire.js's ``isAtOrAbove``.

The loading of a dataset file lives in :mod:`pytest_prodready.probes.vulndata`; this module
holds the matching, over plain data.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pytest_prodready.checks import jsregex
from pytest_prodready.checks.jsregex import compile_js, required_literal, translate
from pytest_prodready.core.findings import Finding, Severity, rule
from pytest_prodready.core.store import Store

__all__ = [
    "Advisory",
    "Dataset",
    "Detection",
    "Extractor",
    "Library",
    "Script",
    "detect",
    "evaluate",
    "fixed_version",
    "is_at_or_above",
    "needles_kept_in",
]

VULNERABLE_LIBRARY = rule(
    "bundle.vulnerable-library",
    Severity.HIGH,
    "A script with known vulnerabilities is served",
    "Upgrade the library to the fixed version the evidence names (or later), rebuild and "
    "redeploy; a library past its end of life has no fixed version: replace it.",
)

PLACEHOLDER = "§§version§§"
DONT_CHECK = "dont check"
# retire.js's replaceVersion: what §§version§§ stands for.
VERSION = r"[0-9][0-9.a-z_\-]+"
_REPLACEMENT = re.compile(r"^/(.*[^\\])/([^/]+)/$", re.DOTALL)
_MIN_SUFFIX = re.compile(r"(\.|-)min$")
_PARTS = re.compile(r"[.\-]")
_DIGITS = re.compile(r"[0-9]+")
_GROUP_REF = re.compile(r"\$(\d{1,2}|\$)")
# retire.js severities (critical is its own level there) on ours.
_SEVERITY = {
    "critical": Severity.HIGH,
    "high": Severity.HIGH,
    "medium": Severity.MEDIUM,
    "low": Severity.LOW,
}
_RANK = {"low": 1, "medium": 2, "high": 3, "critical": 4}
# A bound made of 999s stands for "every release of this line": X.999.999 is fixed in X+1.
_SENTINEL = re.compile(r"(\d+)((?:\.999)+)")

NEEDLES_KEY = "prodready/vulnerable-library-needles"
# What each pattern needs, by its JavaScript source: it depends on the source and the
# translator alone, so pytest's cache keeps it from one run to the next (needles_kept_in).
_needs_of: dict[str, str] = {}


def _comparable(part: str | None) -> int | str:
    if part is None:
        return 0
    return int(part) if _DIGITS.fullmatch(part) else part


def is_at_or_above(version: str, bound: str) -> bool:
    """retire.js's ``isAtOrAbove``: split both on ``.`` and ``-``; compare part by part, a
    missing part as 0, numbers as numbers, other parts as strings; a number beats a string
    (so ``1.12.4`` is above ``1.12.4-beta`` and ``3.0.0`` above ``3.0.0-rc1``); equal is at."""
    a, b = _PARTS.split(version), _PARTS.split(bound)
    for i in range(max(len(a), len(b))):
        x = _comparable(a[i] if i < len(a) else None)
        y = _comparable(b[i] if i < len(b) else None)
        if type(x) is not type(y):
            return isinstance(x, int)
        if x > y:  # type: ignore[operator]  # same type, checked above
            return True
        if x < y:  # type: ignore[operator]
            return False
    return True


def fixed_version(below: str | None) -> str | None:
    """The first release an advisory's ``below`` bound lets through, None when every release
    is affected (no bound, or an end-of-life line: ``999.999.999``)."""
    if below is None:
        return None
    sentinel = _SENTINEL.fullmatch(below)
    if sentinel is None:
        return below
    head = sentinel.group(1)
    if head == "999":
        return None
    rest = sentinel.group(2).count(".")
    return ".".join([str(int(head) + 1), *["0"] * rest])


@dataclass(frozen=True)
class Advisory:
    """One entry of a library's ``vulnerabilities``."""

    below: str | None
    at_or_above: str | None
    severity: str
    ids: tuple[str, ...]
    summary: str
    excludes: tuple[str, ...] = ()

    def affects(self, version: str) -> bool:
        """retire.js's ``check`` for one advisory."""
        if self.below is not None and is_at_or_above(version, self.below):
            return False
        if self.at_or_above is not None and not is_at_or_above(version, self.at_or_above):
            return False
        return version not in self.excludes

    def describe(self) -> str:
        name = ", ".join(self.ids) if self.ids else _short(self.summary)
        line = _line(self.below)
        if fixed_version(self.below) is None:
            fix = "no fixed release"
        elif line is not None:
            fix = f"every {line}.x release"
        else:
            fix = f"fixed in {self.below}"
        return f"{name} ({self.severity}, {fix})"


def _short(text: str, size: int = 70) -> str:
    line = " ".join(text.split())
    return f'"{line[: size - 1]}…"' if len(line) > size else f'"{line}"'


@dataclass(frozen=True)
class Extractor:
    """One pattern: its JavaScript source (``§§version§§`` filled in), the substring every
    match holds ("" if none), and the ``filecontentreplace`` replacement ("" otherwise).

    Compiled on first use: most content patterns never run, their substring being absent."""

    source: str
    needs: str = ""
    replacement: str = ""

    @property
    def pattern(self) -> re.Pattern[str] | None:
        """The compiled pattern; None when it has no Python equivalent."""
        return _compiled(self.source)


@functools.cache
def _compiled(source: str) -> re.Pattern[str] | None:
    try:
        return compile_js(source)
    except re.error:
        return None


@dataclass(frozen=True)
class Library:
    """A library's extractors and its advisories."""

    name: str
    advisories: tuple[Advisory, ...]
    uri: tuple[Extractor, ...] = ()
    filename: tuple[Extractor, ...] = ()
    filecontent: tuple[Extractor, ...] = ()
    filecontentreplace: tuple[Extractor, ...] = ()
    hashes: Mapping[str, str] = field(default_factory=dict)

    def extractors(self) -> Iterator[tuple[str, Extractor]]:
        for kind in ("uri", "filename", "filecontent", "filecontentreplace"):
            for extractor in getattr(self, kind):
                yield kind, extractor


@dataclass(frozen=True)
class Dataset:
    """A retire.js repository, ready to match, and what it is (``label``, for the evidence)."""

    libraries: tuple[Library, ...]
    label: str

    @functools.cached_property
    def needles(self) -> tuple[str, ...]:
        """Every distinct substring a content pattern needs, tested once per script."""
        found = {
            e.needs for lib in self.libraries for e in (*lib.filecontent, *lib.filecontentreplace)
        }
        return tuple(sorted(found - {""}))

    @functools.cached_property
    def url_needles(self) -> tuple[str, ...]:
        """The same for the URL and file name patterns: a pattern whose substring is not in
        the URL is never compiled."""
        found = {e.needs for lib in self.libraries for e in (*lib.uri, *lib.filename)}
        return tuple(sorted(found - {""}))

    @classmethod
    def from_json(cls, data: object, label: str) -> Dataset:
        """A parsed jsrepository; ``ValueError`` naming the first malformed entry."""
        if not isinstance(data, dict) or not data:
            raise ValueError("it is not a JSON object of libraries (retire.js jsrepository)")
        libraries: list[Library] = []
        for name, entry in data.items():
            try:
                libraries.append(_library(name, entry))
            except (KeyError, TypeError, AttributeError) as exc:
                raise ValueError(f"library {name!r} is malformed ({exc!r})") from None
        return cls(tuple(libraries), label)

    def library(self, name: str) -> Library:
        return next(lib for lib in self.libraries if lib.name == name)

    def problems(self) -> list[str]:
        """Compile every pattern: those with no Python equivalent (they never match)."""
        found = []
        for lib in self.libraries:
            for kind, extractor in lib.extractors():
                try:
                    compile_js(extractor.source)
                except re.error as exc:
                    found.append(f"{lib.name} {kind} {extractor.source!r}: {exc}")
        return found


def _extractor(source: str, replacement: str = "") -> Extractor:
    source = source.replace(PLACEHOLDER, VERSION)
    needs = _needs_of.get(source)
    if needs is None:
        needs = _needs_of[source] = required_literal(translate(source))
    return Extractor(source, needs, replacement)


def _translator() -> str:
    """A fingerprint of the translator: needles it found hold while it is unchanged."""
    return hashlib.sha256(Path(jsregex.__file__).read_bytes()).hexdigest()[:16]


@contextmanager
def needles_kept_in(store: Store | None) -> Iterator[None]:
    """While loading a dataset: each pattern's needle comes from ``store`` when this
    translator found it before, and the ones found now are kept there (translating some 400
    patterns costs about 30 ms a run). Without a store (pytest's cache disabled), each is
    found again."""
    if store is None:
        yield
        return
    translator = _translator()
    entry = store.get(NEEDLES_KEY, None)
    entry = entry if isinstance(entry, dict) else {}
    kept = entry.get("needs")
    if isinstance(kept, dict) and entry.get("translator") == translator:
        for source, needs in kept.items():
            if isinstance(source, str) and isinstance(needs, str):
                _needs_of.setdefault(source, needs)
    known = len(_needs_of)
    yield
    if len(_needs_of) != known or not isinstance(kept, dict):
        store.set(NEEDLES_KEY, {"translator": translator, "needs": dict(sorted(_needs_of.items()))})


def _library(name: str, entry: Mapping[str, Any]) -> Library:
    extractors: Mapping[str, Any] = entry.get("extractors", {})
    replace = []
    for source in extractors.get("filecontentreplace", ()):
        parts = _REPLACEMENT.match(source)
        if parts is None:
            raise TypeError(f"filecontentreplace {source!r} is not /search/replacement/")
        replace.append(_extractor(parts.group(1), parts.group(2)))
    advisories = []
    for vuln in entry["vulnerabilities"]:
        found = vuln.get("identifiers", {})
        cves = found.get("CVE", [])
        ghsa = [found["githubID"]] if found.get("githubID") else []
        advisories.append(
            Advisory(
                below=str(vuln["below"]) if "below" in vuln else None,
                at_or_above=str(vuln["atOrAbove"]) if "atOrAbove" in vuln else None,
                severity=str(vuln.get("severity", "medium")),
                ids=tuple(dict.fromkeys([*cves, *ghsa])),
                summary=str(found.get("summary", "")),
                excludes=tuple(vuln.get("excludes", ())),
            )
        )
    return Library(
        name=name,
        advisories=tuple(advisories),
        uri=tuple(_extractor(s) for s in extractors.get("uri", ())),
        # retire.js's splitAndMatchAll anchors file names at both ends.
        filename=tuple(_extractor(f"^{s}$") for s in extractors.get("filename", ())),
        filecontent=tuple(_extractor(s) for s in extractors.get("filecontent", ())),
        filecontentreplace=tuple(replace),
        hashes=dict(extractors.get("hashes", {})),
    )


@dataclass(frozen=True)
class Script:
    """A script a page loads: its URL and, when it was read, its text."""

    url: str
    text: str | None = None


@dataclass(frozen=True)
class Detection:
    """A library version found in a script, how (``uri``, ``filename``, ``filecontent``,
    ``filecontentreplace``, ``hash``), and the advisories that hold for it."""

    library: str
    version: str
    how: str
    url: str
    advisories: tuple[Advisory, ...]


class _DontCheck(Exception):
    """A ``uri`` extractor without a version group (retire's "dont check" list) matched."""


def _versions(extractor: Extractor, text: str, present: frozenset[str] | None) -> Iterator[str]:
    """The versions ``extractor`` reads in ``text`` (``present``: the needles in ``text``;
    None: not computed, run the pattern)."""
    if present is not None and extractor.needs and extractor.needs not in present:
        return
    pattern = extractor.pattern
    if pattern is None:
        return
    for match in pattern.finditer(text):
        if extractor.replacement:
            yield _expand(extractor.replacement, match)
        elif pattern.groups == 0 or match.group(1) is None:
            raise _DontCheck
        else:
            yield match.group(1)


def _expand(template: str, match: re.Match[str]) -> str:
    """A JavaScript replacement string (``$1``, ``$$``) filled from ``match``."""

    def group(ref: re.Match[str]) -> str:
        token = ref.group(1)
        if token == "$":
            return "$"
        index = int(token)
        if 0 < index <= (match.re.groups or 0):
            return match.group(index) or ""
        return ref.group(0)

    return _GROUP_REF.sub(group, template)


def _scan(
    libraries: Iterable[Library], kind: str, text: str, present: frozenset[str] | None
) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for library in libraries:
        if kind == "hash":
            digest = hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()
            versions: Iterable[str] = [library.hashes[digest]] if digest in library.hashes else []
        else:
            versions = (v for e in getattr(library, kind) for v in _versions(e, text, present))
        for version in versions:
            key = (library.name, _MIN_SUFFIX.sub("", version))
            if key not in found:
                found.append(key)
    return found


def _file_name(url: str) -> str:
    match = re.search(r"/([^/?#]+)$", urlsplit(url).path)
    return match.group(1) if match else ""


def detect(dataset: Dataset, script: Script) -> list[Detection]:
    """The library versions retire.js would find in ``script``, each with the advisories
    that hold for it (an empty tuple: known, and not vulnerable)."""
    found: list[tuple[str, str]] = []
    how = ""
    present: frozenset[str] | None = None
    try:
        steps = [("uri", script.url), ("filename", _file_name(script.url))]
        if script.text is not None:
            content = script.text.replace("\r\n", "\n").replace("\r", "\n")
            steps += [(k, content) for k in ("filecontent", "filecontentreplace", "hash")]
        for how, text in steps:
            # A substring test per needle is ~20x faster than the regex engine's scan.
            if how in ("uri", "filename"):
                present = frozenset(n for n in dataset.url_needles if n in text)
            elif how == "filecontent":  # and filecontentreplace after it
                present = frozenset(n for n in dataset.needles if n in text)
            found = _scan(dataset.libraries, how, text, present)
            if found:
                break
    except _DontCheck:
        return []
    if any(name == DONT_CHECK for name, _ in found):
        return []  # retire.js's list of scripts it must not judge (analytics and the like)
    detections = []
    for name, version in found:
        library = dataset.library(name)
        held = tuple(a for a in library.advisories if a.affects(version))
        detections.append(Detection(name, version, how, script.url, held))
    return detections


def _worst(advisories: Iterable[Advisory]) -> str:
    return max((a.severity for a in advisories), key=lambda s: _RANK.get(s, 2))


def _line(below: str | None) -> str | None:
    """The major line a bound of 999s closes (``2.999.999``: "2"), else None."""
    sentinel = _SENTINEL.fullmatch(below or "")
    return sentinel.group(1) if sentinel else None


def _upgrade(advisories: Iterable[Advisory]) -> str:
    """The advice: the highest fixed version, unless a whole line has no fix (end of life)
    beyond it. A line's end counts as its next major (2.999.999: 3.0.0), which a fixed version
    of the same advisories may already pass (jQuery 1.12.4: 3.5.0 is past the 2.x line)."""
    highest = ""
    ends: list[tuple[str, str]] = []
    for advisory in advisories:
        fix, line = fixed_version(advisory.below), _line(advisory.below)
        if fix is None:
            return "no fixed release (end of life): replace it"
        if line is not None:
            ends.append((line, fix))
        elif not highest or not is_at_or_above(highest, fix):
            highest = fix
    closed = [line for line, end in ends if not highest or not is_at_or_above(highest, end)]
    if closed:
        return f"no fixed {closed[0]}.x release (end of life): move to a later major or replace it"
    return f"upgrade to {highest} or later"


_WHERE = {
    "uri": "its URL",
    "filename": "its file name",
    "filecontent": "its content",
    "filecontentreplace": "its content",
    "hash": "its SHA-1",
}


def evaluate(dataset: Dataset, scripts: Iterable[Script]) -> list[Finding]:
    """One finding per vulnerable library version, at the first script it was found in;
    its severity is the worst advisory's (retire.js's critical and high are high)."""
    findings: list[Finding] = []
    seen: dict[tuple[str, str], list[str]] = {}
    firsts: list[Detection] = []
    for script in scripts:
        for found in detect(dataset, script):
            if not found.advisories:
                continue
            urls = seen.setdefault((found.library, found.version), [])
            if not urls:
                firsts.append(found)
            if found.url not in urls:
                urls.append(found.url)
    for found in firsts:
        urls = seen[(found.library, found.version)]
        also = f"; also in {len(urls) - 1} more script(s)" if len(urls) > 1 else ""
        worst = _worst(found.advisories)
        evidence = (
            f"{found.library} {found.version} (from {_WHERE[found.how]}{also}): "
            f"{len(found.advisories)} advisories, worst {worst}: "
            + "; ".join(a.describe() for a in found.advisories)
            + f"; {_upgrade(found.advisories)}; judged by {dataset.label}"
        )
        findings.append(VULNERABLE_LIBRARY(evidence, url=found.url, severity=_SEVERITY.get(worst)))
    return findings
