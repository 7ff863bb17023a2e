"""Secrets: values that tests may use but no output may ever show.

Configuration names environment variables, never values. A resolved value lives in a
:class:`Secret` whose ``str``/``repr`` are masked, and is registered with the session's
:class:`Redactor`, which scrubs it from every report, captured stream and log record.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from base64 import b64encode
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["MASK", "Redactor", "Secret", "SecretStore", "load_dotenv"]

MASK = "********"
# Any run of FRAGMENT characters of a secret of at least FRAGMENT_FROM characters is masked.
FRAGMENT = 12
FRAGMENT_FROM = 20
FRAGMENT_STEP = 4  # pieces of FRAGMENT + FRAGMENT_STEP - 1 = 15 characters or more are found


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


def _variants(value: str) -> set[str]:
    """Spellings under which a value shows up in text: raw, JSON/repr escaped, URL-encoded."""
    forms = {
        value,
        json.dumps(value)[1:-1],
        repr(value)[1:-1],
        urllib.parse.quote(value, safe=""),
        urllib.parse.quote_plus(value),
        b64encode(value.encode()).decode().rstrip("="),
    }
    return {form for form in forms if form}


@dataclass
class Redactor:
    """Scrubs known secret values from text. One per session, shared by every reporter."""

    _replacements: dict[str, str] = field(default_factory=dict)
    _fragments: dict[str, str] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def register(self, name: str, value: str) -> None:
        """Remember ``value`` (and its common encodings) as the secret ``name``."""
        if not value:
            return
        mask = f"[masked:{name}]"
        with self._lock:
            for form in _variants(value):
                self._replacements.setdefault(form, mask)
            # Pieces too: pytest shortens long strings in assertion output ('abc...xyz'), and
            # a shortened secret is still most of a secret.
            if len(value) >= FRAGMENT_FROM:
                for start in range(len(value) - FRAGMENT + 1):
                    self._fragments.setdefault(value[start : start + FRAGMENT], mask)

    def __bool__(self) -> bool:
        return bool(self._replacements)

    def scrub(self, text: str) -> str:
        """Return ``text`` with every registered value replaced by its mask."""
        if not self._replacements or not text:
            return text
        # Longest first, so a value that contains another is masked whole.
        for form in sorted(self._replacements, key=len, reverse=True):
            if form in text:
                text = text.replace(form, self._replacements[form])
        return self._scrub_fragments(text)

    def _scrub_fragments(self, text: str) -> str:
        fragments = self._fragments
        if not fragments or len(text) < FRAGMENT:
            return text
        # Probe every FRAGMENT_STEP-th window (a piece of FRAGMENT + FRAGMENT_STEP - 1 or more
        # characters contains one), then grow each hit to the whole piece: linear in the text,
        # with one dict lookup per step, whatever the secrets' lengths.
        spans: list[tuple[int, int, str]] = []
        last = len(text) - FRAGMENT
        for probe in range(0, last + 1, FRAGMENT_STEP):
            if spans and probe <= spans[-1][1] - FRAGMENT:
                continue  # inside a piece already found
            mask = fragments.get(text[probe : probe + FRAGMENT])
            if mask is None:
                continue
            start = probe
            while start > 0 and text[start - 1 : start - 1 + FRAGMENT] in fragments:
                start -= 1
            end = probe
            while end < last and text[end + 1 : end + 1 + FRAGMENT] in fragments:
                end += 1
            if spans and start <= spans[-1][1]:
                start = spans.pop()[0]
            spans.append((start, end + FRAGMENT, mask))
        for start, end, mask in reversed(spans):
            text = text[:start] + mask + text[end:]
        return text

    def leaks(self, text: str) -> list[str]:
        """Names of the secrets whose raw value occurs in ``text`` (for self-checks)."""
        return sorted({mask[8:-1] for form, mask in self._replacements.items() if form in text})


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
