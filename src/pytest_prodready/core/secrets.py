"""Secrets: values that tests may use but no output may ever show.

Configuration names environment variables, never values. A resolved value lives in a
:class:`Secret` whose ``str``/``repr`` are masked, and is registered with the session's
:class:`Redactor`, which scrubs it from every report, captured stream and log record.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.parse
from base64 import b64encode, urlsafe_b64encode
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeAlias

__all__ = ["MASK", "Redactor", "Secret", "SecretStore", "load_dotenv"]

MASK = "********"
# Any run of FRAGMENT characters of a secret of at least FRAGMENT_FROM characters is masked.
FRAGMENT = 12
FRAGMENT_FROM = 20
FRAGMENT_STEP = 4  # pieces of FRAGMENT + FRAGMENT_STEP - 1 = 15 characters or more are found
# Secrets this long are also masked whatever their case (an upper-cased echo is still the
# secret); shorter ones are not, or a password like "Admin1" would mask "ADMIN1" in prose.
CASELESS_FROM = FRAGMENT_FROM
# Base64 and hex spellings shorter than this match unrelated text by chance (a base64 blob
# holds every 4-character string), so they are not masked; the raw value always is.
MIN_ENCODED = 8
# How an Authorization header wraps a secret; the base64 of the whole header value is masked
# whole (the secret's own part of it is masked anyway, by the alignments below).
HEADER_SCHEMES = ("Bearer ", "Basic ", "Token ", "token ", "Bot ")


class Secret:
    """A secret value with a masked ``str``/``repr``; ``.reveal()`` gives the real value."""

    __slots__ = ("_value", "name", "var")

    def __init__(self, name: str, var: str, value: str) -> None:
        self.name = name
        self.var = var
        self._value = value

    def reveal(self) -> str:
        """Return the real value. Use it only where the value must be sent."""
        return self._value

    @property
    def value(self) -> str:
        """The real value (same as :meth:`reveal`)."""
        return self._value

    def __str__(self) -> str:
        return MASK

    def __repr__(self) -> str:
        return f"Secret({self.name!r}, var={self.var!r}, value={MASK!r})"

    def __format__(self, format_spec: str) -> str:
        return format(MASK, format_spec)

    def __reduce__(self) -> tuple[object, ...]:
        # Refuse to travel by pickle (xdist, multiprocessing): that is how values leak to disk.
        raise TypeError("Secret values cannot be pickled; resolve them where they are used")


def _escaped(value: str) -> set[str]:
    """Spellings that keep the value's characters: raw, JSON/repr-escaped, URL-encoded."""
    forms = {
        value,
        json.dumps(value)[1:-1],
        repr(value)[1:-1],
        urllib.parse.quote(value, safe=""),
        urllib.parse.quote_plus(value),
    }
    return {form for form in forms if form}


def _base64_middles(raw: bytes) -> set[str]:
    """The base64 of ``raw`` as it reads wherever ``raw`` sits in a larger blob.

    Preceded by 0, 1 or 2 other bytes (every offset is one of these modulo 3), output
    character ``i`` holds bits ``6i .. 6i+5`` of the blob and ``raw`` bits ``8k .. 8(k+n)-1``:
    the characters from ``ceil(8k/6)`` up to ``floor(8(k+n)/6)`` depend on ``raw`` alone. Those,
    in both alphabets, without padding; the one or two characters at each edge mix in the
    neighbours' bits and cannot be known (they carry at most 4 bits of the secret).
    """
    forms = set()
    for k in range(3):
        first, end = -(-8 * k // 6), 8 * (k + len(raw)) // 6
        blob = bytes(k) + raw  # any k bytes would do: the kept characters do not see them
        forms.add(b64encode(blob).decode()[first:end])
        forms.add(urlsafe_b64encode(blob).decode()[first:end])
    return forms


def _encoded(value: str) -> set[str]:
    """Base64 (every alignment, both alphabets) and hex (lower, upper) spellings of ``value``
    and the base64 of the Authorization header values built from it; none shorter than
    MIN_ENCODED."""
    raw = value.encode()
    forms = _base64_middles(raw) | {raw.hex(), raw.hex().upper()}
    blobs = [raw]
    if len(raw) * 8 >= MIN_ENCODED * 6:
        # Only when the secret's own part is long enough: "Bearer ab" would mask the start
        # of every other bearer token beginning with "ab".
        blobs += [f"{scheme}{value}".encode() for scheme in HEADER_SCHEMES]
    for blob in blobs:
        # Whole, from the blob's first byte: masks the last character too when the blob ends.
        forms.add(b64encode(blob).decode().rstrip("="))
        forms.add(urlsafe_b64encode(blob).decode().rstrip("="))
    return {form for form in forms if len(form) >= MIN_ENCODED}


def _lower(text: str) -> str:
    """``text`` lower-cased character for character: same length, so indexes agree."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    # A few characters lower-case to two ("İ"); those stay as they are.
    return "".join(low if len(low := c.lower()) == 1 else c for c in text)


# (form, mask, None) masks form as written; (casefolded form, mask, pattern) masks any case.
_Rule: TypeAlias = tuple[str, str, re.Pattern[str] | None]


@dataclass
class Redactor:
    """Scrubs known secret values from text. One per session, shared by every reporter.

    A value is masked raw, JSON/repr-escaped and URL-encoded; as hex in either case; as base64
    wherever it sits in a blob (both alphabets), and as the base64 of ``Bearer <value>`` and
    the like. A value of CASELESS_FROM characters or more is masked in any case, and so is
    any piece of it or of its hex or base64 of FRAGMENT + FRAGMENT_STEP - 1 characters.

    Every spelling is computed once, at :meth:`register`; :meth:`scrub` runs on every report
    line, so it does a fixed number of linear passes over the text whatever it holds.
    """

    _replacements: dict[str, str] = field(default_factory=dict)
    _caseless: dict[str, str] = field(default_factory=dict, repr=False)
    _fragments: dict[str, str] = field(default_factory=dict, repr=False)
    _rules: list[_Rule] = field(default_factory=list, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def register(self, name: str, value: str) -> None:
        """Remember ``value`` (and its common encodings) as the secret ``name``."""
        if not value:
            return
        mask = f"[masked:{name}]"
        hexed = value.encode().hex()
        texts, encoded = _escaped(value), _encoded(value)
        with self._lock:
            if len(value) >= CASELESS_FROM:
                # Hex too: either case, or a mix of them, is the same bytes.
                for form in texts | {hexed}:
                    self._caseless.setdefault(form, mask)
                encoded -= {hexed, hexed.upper()}
            else:
                encoded |= texts
            for form in encoded:
                self._replacements.setdefault(form, mask)
            # Pieces too: pytest shortens long strings in assertion output ('abc...xyz') and
            # evidence is clipped, and a shortened secret, or its hex or base64, is still
            # most of a secret. Pieces are matched in any case (see _scrub_fragments).
            if len(value) >= FRAGMENT_FROM:
                for form in texts | {hexed} | _base64_middles(value.encode()):
                    for start in range(len(form) - FRAGMENT + 1):
                        piece = _lower(form[start : start + FRAGMENT])
                        self._fragments.setdefault(piece, mask)
            rules: list[_Rule] = [(form, m, None) for form, m in self._replacements.items()]
            rules += [
                (form.casefold(), m, re.compile(re.escape(form), re.IGNORECASE))
                for form, m in self._caseless.items()
            ]
            # Longest first, so a value that contains another is masked whole. Replaced, not
            # changed in place: scrub reads the list without the lock.
            self._rules = sorted(rules, key=lambda rule: len(rule[0]), reverse=True)

    def __bool__(self) -> bool:
        return bool(self._rules)

    def scrub(self, text: str) -> str:
        """Return ``text`` with every registered value replaced by its mask."""
        rules = self._rules
        if not rules or not text:
            return text
        folded = text.casefold() if self._caseless else ""
        for form, mask, pattern in rules:
            if pattern is None:
                if form in text:
                    text = text.replace(form, mask)
            elif form in folded:  # found in the casefolded text: now replace in any case
                text = pattern.sub(mask.replace("\\", "\\\\"), text)
        return self._scrub_fragments(text)

    def _scrub_fragments(self, text: str) -> str:
        fragments = self._fragments
        if not fragments or len(text) < FRAGMENT:
            return text
        # Probe every FRAGMENT_STEP-th window (a piece of FRAGMENT + FRAGMENT_STEP - 1 or more
        # characters contains one), then grow each hit to the whole piece: linear in the text,
        # with one dict lookup per step, whatever the secrets' lengths. Windows are read from
        # the lower-cased text, as the pieces were stored.
        lowered = _lower(text)
        spans: list[tuple[int, int, str]] = []
        last = len(text) - FRAGMENT
        for probe in range(0, last + 1, FRAGMENT_STEP):
            if spans and probe <= spans[-1][1] - FRAGMENT:
                continue  # inside a piece already found
            mask = fragments.get(lowered[probe : probe + FRAGMENT])
            if mask is None:
                continue
            start = probe
            while start > 0 and lowered[start - 1 : start - 1 + FRAGMENT] in fragments:
                start -= 1
            end = probe
            while end < last and lowered[end + 1 : end + 1 + FRAGMENT] in fragments:
                end += 1
            if spans and start <= spans[-1][1]:
                start = spans.pop()[0]
            spans.append((start, end + FRAGMENT, mask))
        if not spans:
            return text
        parts: list[str] = []
        done = 0
        for start, end, mask in spans:
            parts += (text[done:start], mask)
            done = end
        parts.append(text[done:])
        return "".join(parts)

    def leaks(self, text: str) -> list[str]:
        """Names of the secrets a registered spelling of which occurs in ``text``."""
        folded = text.casefold()
        return sorted(
            {
                mask[8:-1]
                for form, mask, pattern in self._rules
                if form in (text if pattern is None else folded)
            }
        )


def load_dotenv(path: Path) -> dict[str, str]:
    """Read a ``.env`` file with python-dotenv; a missing file is a usage error."""
    import pytest
    from dotenv import dotenv_values

    if not path.is_file():
        raise pytest.UsageError(
            f"prodready: the dotenv file {path} (from --prodready-dotenv) does not exist. "
            "Pass the path of an existing .env file, or drop the option to read secrets "
            "from environment variables only."
        )
    return {key: value for key, value in dotenv_values(path).items() if value is not None}


class SecretStore:
    """Resolves an environment's logical secret names to :class:`Secret` values."""

    def __init__(
        self,
        env_name: str,
        declared: Mapping[str, str],
        sources: Iterable[Mapping[str, str]],
        redactor: Redactor,
    ) -> None:
        self.env_name = env_name
        self.declared = dict(declared)
        self._values: dict[str, str] = {}
        source_list = list(sources)
        for name, var in self.declared.items():
            for source in source_list:
                value = source.get(var, "")
                if value:
                    self._values[name] = value
                    redactor.register(name, value)
                    break

    @property
    def resolved(self) -> list[str]:
        return [name for name in self.declared if name in self._values]

    @property
    def missing(self) -> list[str]:
        return [name for name in self.declared if name not in self._values]

    def get(self, name: str) -> Secret:
        """The secret ``name``, or a test failure saying exactly what is missing."""
        # Imported here: Secret and Redactor belong to the pytest-free public API.
        import pytest

        if name not in self.declared:
            known = ", ".join(sorted(self.declared)) or "none"
            pytest.fail(
                f"prodready: the test asked for secret {name!r}, which environment "
                f"{self.env_name!r} does not declare (declared: {known}). Add it to "
                f'[envs.{self.env_name}] secrets = {{ {name} = "ENV_VAR_NAME" }}.',
                pytrace=False,
            )
        var = self.declared[name]
        if name not in self._values:
            pytest.fail(
                f"prodready: secret {name!r} of environment {self.env_name!r} is not set: "
                f"environment variable {var} is missing or empty. Export {var}, or put it "
                "in a .env file passed with --prodready-dotenv.",
                pytrace=False,
            )
        return Secret(name, var, self._values[name])
