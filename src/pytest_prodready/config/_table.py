"""Typed reads from one TOML table, each mistake a one-paragraph ``pytest.UsageError``."""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

import pytest

Scalar = str | int | float | bool


class Table:
    """Reads typed values from one TOML table and remembers which keys were consumed."""

    def __init__(self, source: Path, where: str, data: Mapping[str, Any]) -> None:
        self.source = source
        self.where = where
        self.data = data
        self._seen: set[str] = set()

    def error(self, key: str, problem: str, fix: str) -> pytest.UsageError:
        return pytest.UsageError(
            f"prodready: {self.source}: {self.where} key {key!r} {problem}. {fix}"
        )

    def missing(self, key: str, fix: str) -> pytest.UsageError:
        """``key`` is required and absent; a key beside it that looks like a typo of it is
        named first (``base_ulr``), since that is what the user has to change."""
        typo = difflib.get_close_matches(key, [k for k in self.data if k != key], n=1, cutoff=0.75)
        if typo:
            return pytest.UsageError(
                f"prodready: {self.source}: {self.where} has unknown key {typo[0]!r}: did you "
                f"mean {key!r}? ({key!r} is required and missing.) Rename it to {key}."
            )
        return self.error(key, "is missing", fix)

    def _get(self, key: str) -> Any:
        self._seen.add(key)
        return self.data.get(key)

    def string(self, key: str, *, required: bool = False) -> str | None:
        value = self._get(key)
        if value is None:
            if required:
                raise self.missing(key, f'Add {key} = "..." to {self.where}.')
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.error(key, f"must be a non-empty string, got {value!r}", "Quote it.")
        return value.strip()

    def url(self, key: str, *, required: bool = False, schemes: tuple[str, ...] = ()) -> str | None:
        value = self.string(key, required=required)
        if value is None:
            return None
        allowed = schemes or ("http", "https")
        try:
            parts = urlsplit(value)
            hostname = parts.hostname
        except ValueError:  # "http://[::1" and other unparsable netlocs
            hostname = None
        if hostname is None or parts.scheme not in allowed:
            raise self.error(
                key,
                f"must be an absolute {' or '.join(allowed)} URL with a host, got {value!r}",
                f"Write it like {allowed[-1]}://app.example.com.",
            )
        return value.rstrip("/")

    def boolean(self, key: str, default: bool) -> bool:
        value = self._get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.error(key, f"must be true or false, got {value!r}", "Use a TOML boolean.")
        return value

    def number(self, key: str, default: float, *, minimum: float, maximum: float) -> float:
        value = self._get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(
                key, f"must be a number, got {value!r}", f"Use e.g. {key} = {default}."
            )
        if not minimum < value <= maximum:
            raise self.error(
                key,
                f"must be greater than {minimum:g} and at most {maximum:g}, got {value!r}",
                f"Use e.g. {key} = {default:g}.",
            )
        return float(value)

    def path_list(self, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = self._get(key)
        if value is None:
            return default
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(
                key, f"must be a list of strings, got {value!r}", 'Use ["/", "/login"].'
            )
        for item in value:
            if not item.startswith("/"):
                raise self.error(
                    key,
                    f"has {item!r}, which is not a path",
                    "Paths start with '/', e.g. \"/login\".",
                )
        return tuple(dict.fromkeys(value))

    def name_map(self, key: str) -> Mapping[str, str]:
        value = self._get(key)
        if value is None:
            return MappingProxyType({})
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and v for k, v in value.items()
        ):
            raise self.error(
                key,
                "must map logical names to environment variable names",
                'Use secrets = { api_token = "PROD_API_TOKEN" }; never put a value here.',
            )
        return MappingProxyType(dict(value))

    def finish(self) -> None:
        """Refuse keys nobody read: they are typos or settings from a newer version."""
        unknown = sorted(set(self.data) - self._seen)
        if unknown:
            valid = ", ".join(sorted(self._seen))
            guesses = {
                k: match[0]
                for k in unknown
                if (match := difflib.get_close_matches(k, self._seen, n=1, cutoff=0.75))
            }
            meant = ""
            if len(unknown) == 1 and guesses:
                meant = f" Did you mean {guesses[unknown[0]]!r}?"
            elif guesses:
                meant = " Did you mean " + ", ".join(f"{v!r} for {k!r}" for k, v in guesses.items())
                meant += "?"
            raise pytest.UsageError(
                f"prodready: {self.source}: {self.where} has unknown key "
                f"{', '.join(repr(k) for k in unknown)}.{meant} Valid keys there: {valid}. "
                "Fix the spelling or remove the key."
            )

    def integer(self, key: str, default: int, *, minimum: int, maximum: int) -> int:
        value = self._get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
            raise self.error(
                key,
                f"must be a whole number from {minimum} to {maximum}, got {value!r}",
                f"Use e.g. {key} = {default}.",
            )
        return value

    def optional_number(self, key: str, *, maximum: float) -> float | None:
        if self.data.get(key) is None:
            self._seen.add(key)
            return None
        return self.number(key, 0.0, minimum=0, maximum=maximum)

    def ratio(self, key: str) -> float | None:
        """An optional fraction from 0 to 1 (0 allowed: "no errors at all")."""
        value = self._get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise self.error(
                key, f"must be a ratio from 0 to 1, got {value!r}", f"Use e.g. {key} = 0.01 (1 %)."
            )
        return float(value)

    def status_list(self, key: str, default: tuple[int, ...]) -> tuple[int, ...]:
        value = self._get(key)
        if value is None:
            return default
        if isinstance(value, int) and not isinstance(value, bool):
            value = [value]
        if not isinstance(value, list) or not all(
            isinstance(v, int) and not isinstance(v, bool) and 100 <= v <= 599 for v in value
        ):
            raise self.error(
                key, f"must be an HTTP status or a list of them, got {value!r}", "Use [401, 403]."
            )
        return tuple(value)

    def string_list(self, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = self._get(key)
        if value is None:
            return default
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.error(key, f"must be a list of strings, got {value!r}", 'Use ["a", "b"].')
        return tuple(value)

    def scalar_map(self, key: str) -> Mapping[str, Scalar]:
        value = self._get(key)
        if value is None:
            return MappingProxyType({})
        if not isinstance(value, dict) or not all(
            isinstance(v, str | int | float | bool) for v in value.values()
        ):
            raise self.error(
                key, f"must map keys to plain values, got {value!r}", 'Use { status = "ok" }.'
            )
        return MappingProxyType(dict(value))

    def choice(self, key: str, default: str, choices: tuple[str, ...]) -> str:
        value = self.string(key)
        if value is None:
            return default
        if value.upper() in choices:
            return value.upper()
        if value in choices:
            return value
        raise self.error(key, f"is {value!r}", f"Valid values: {', '.join(choices)}.")

    def day(self, key: str) -> date:
        """A required date: a TOML date (``2027-01-31``) or the same as an ISO string."""
        value = self._get(key)
        if isinstance(value, str):
            with contextlib.suppress(ValueError):  # not a date: refused just below
                value = date.fromisoformat(value.strip())
        if not isinstance(value, date) or isinstance(value, datetime):
            raise self.error(
                key,
                f"must be a date (YYYY-MM-DD), got {value!r}",
                f"Write it like {key} = 2027-01-31.",
            )
        return value

    def _child(self, key: str) -> str:
        return f"{self.where[:-1]}.{key}]" if self.where.startswith("[") else f"[{key}]"

    def table(self, key: str) -> Table:
        """A sub-table (empty when absent), for a section such as ``[envs.prod.release]``."""
        value = self._get(key)
        where = self._child(key)
        if value is None:
            return Table(self.source, where, {})
        if not isinstance(value, dict):
            raise self.error(key, f"must be a table, got {value!r}", f"Write it as {where}.")
        return Table(self.source, where, value)

    def tables(self, key: str) -> list[Table] | None:
        """An array of tables (``[[envs.prod.guarded_endpoints]]``); None when absent."""
        value = self._get(key)
        if value is None:
            return None
        where = self._child(key)
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.error(
                key, "must be an array of tables", f"Write each entry as [{where}] with keys below."
            )
        return [Table(self.source, f"{where[:-1]}[{i}]]", v) for i, v in enumerate(value)]
