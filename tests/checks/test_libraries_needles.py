"""Each pattern's needle (the substring every match holds) kept in a store across runs: read
back under the same translator instead of translating every pattern again; found again when
the translator changed or the entry is not right. And the URL patterns skipped, uncompiled,
when their needle is not in the URL.

A dict stands in for pytest's cache (the same get/set); the shipped dataset is the data.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from pytest_prodready.checks import libraries
from pytest_prodready.checks.libraries import NEEDLES_KEY, Dataset, Script, detect
from pytest_prodready.probes import vulndata


class DictStore:
    def __init__(self) -> None:
        self.data: dict[str, object] = {}
        self.writes = 0

    def get(self, key: str, default: object) -> object:
        return self.data.get(key, default)

    def set(self, key: str, value: object) -> None:
        self.data[key] = json.loads(json.dumps(value))  # JSON values only, as pytest's cache
        self.writes += 1


@pytest.fixture
def raw() -> dict[str, object]:
    data: dict[str, object] = json.loads(vulndata.SHIPPED.read_text(encoding="utf-8"))
    return data


@pytest.fixture
def translations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The patterns translated from here on, with this process's memory of needles emptied."""
    done: list[str] = []
    translate = libraries.translate

    def counted(source: str) -> str:
        done.append(source)
        return translate(source)

    monkeypatch.setattr(libraries, "translate", counted)
    monkeypatch.setattr(libraries, "_needs_of", {})
    return done


def _load(raw: dict[str, object], store: DictStore | None) -> Dataset:
    with libraries.needles_kept_in(store):
        return Dataset.from_json(raw, "shipped")


def _needles(dataset: Dataset) -> list[tuple[str, str]]:
    return [(e.source, e.needs) for lib in dataset.libraries for _, e in lib.extractors()]


def _forget(monkeypatch: pytest.MonkeyPatch) -> None:
    """A new run: nothing in memory but what the store keeps."""
    monkeypatch.setattr(libraries, "_needs_of", {})


def test_a_second_run_reads_the_needles_and_translates_nothing(
    raw: dict[str, object], translations: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = DictStore()
    first = _load(raw, store)
    assert len(translations) == len({source for source, _ in _needles(first)})
    entry = store.data[NEEDLES_KEY]
    assert isinstance(entry, dict)
    assert len(entry["needs"]) == len(set(translations))

    translations.clear()
    _forget(monkeypatch)
    second = _load(raw, store)
    assert translations == []
    assert _needles(second) == _needles(first)
    assert store.writes == 1  # nothing new: not written again
    # And it still finds what it found: jQuery by its URL and by its content.
    url = Script("http://127.0.0.1/js/1.12.4/jquery.min.js")
    assert [(d.library, d.version) for d in detect(second, url)] == [("jquery", "1.12.4")]
    content = Script("http://127.0.0.1/js/app.js", "/*! jQuery v1.12.4 | (c) jQuery */")
    assert [(d.library, d.how) for d in detect(second, content)] == [("jquery", "filecontent")]


@pytest.mark.parametrize(
    "entry",
    [
        pytest.param({"translator": "0" * 16, "needs": {}}, id="another translator"),
        pytest.param({"needs": {}}, id="no translator"),
        pytest.param("needles", id="not an object"),
        pytest.param({"translator": None, "needs": ["jquery"]}, id="needs not a mapping"),
    ],
)
def test_an_entry_of_another_translator_or_malformed_is_made_again(
    raw: dict[str, object],
    translations: list[str],
    entry: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = DictStore()
    if isinstance(entry, dict) and entry.get("translator") is None and "translator" in entry:
        entry["translator"] = libraries._translator()  # the right translator, a bad value
    store.data[NEEDLES_KEY] = entry
    _load(raw, store)
    assert len(translations) > 250
    made = store.data[NEEDLES_KEY]
    assert isinstance(made, dict)
    assert made["translator"] == libraries._translator()
    assert len(made["needs"]) == len(set(translations))


def test_a_wrong_value_under_the_right_translator_is_skipped(
    raw: dict[str, object], translations: list[str]
) -> None:
    # A needle that is not text is not taken: that pattern is translated again.
    store = DictStore()
    _load(raw, store)
    entry = store.data[NEEDLES_KEY]
    assert isinstance(entry, dict)
    source = next(iter(entry["needs"]))
    entry["needs"][source] = 42
    translations.clear()
    libraries._needs_of.clear()
    _load(raw, store)
    assert translations == [source]


def test_without_a_store_every_pattern_is_translated(
    raw: dict[str, object], translations: list[str]
) -> None:
    first = _load(raw, None)
    assert len(translations) > 250
    translations.clear()
    libraries._needs_of.clear()
    assert _needles(_load(raw, None)) == _needles(first)
    assert len(translations) > 250


def _compiled_during(call: Callable[[], object]) -> int:
    libraries._compiled.cache_clear()
    call()
    return libraries._compiled.cache_info().currsize


def test_url_patterns_whose_needle_is_absent_are_never_compiled() -> None:
    dataset = vulndata.load()
    url_patterns = sum(len(lib.uri) + len(lib.filename) for lib in dataset.libraries)
    plain = Script("http://127.0.0.1/static/app.3f9a.js")
    compiled = _compiled_during(lambda: detect(dataset, plain))
    assert compiled < url_patterns // 10, (compiled, url_patterns)
    # A URL that names a library compiles its patterns, and finds its version.
    named = Script("http://127.0.0.1/static/jquery-1.12.4.min.js")
    found: list[tuple[str, str]] = []
    compiled = _compiled_during(
        lambda: found.extend((d.library, d.how) for d in detect(dataset, named))
    )
    assert found == [("jquery", "filename")]
    assert compiled >= 1
