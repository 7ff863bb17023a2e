"""The library matcher on plain data: retire.js's version order (its own spec's cases), the
JavaScript-to-Python regex rewrite, each detection step, and the shipped dataset compiling
whole."""

from __future__ import annotations

import hashlib
import json
import re
import warnings

import pytest

from pytest_prodready.checks import libraries
from pytest_prodready.checks.jsregex import compile_js, required_literal, translate
from pytest_prodready.checks.libraries import Dataset, Script, detect, fixed_version
from pytest_prodready.checks.libraries import is_at_or_above as above
from pytest_prodready.core.findings import Severity
from pytest_prodready.probes import vulndata

# -- version order: retire.js's isAtOrAbove -----------------------------------------------


@pytest.mark.parametrize(
    ("version", "bound", "expected"),
    [
        ("1.12.4", "1.12.4", True),
        ("1.12.4", "1.12.4-beta", True),  # a release is above its pre-releases
        ("1.12.4-beta", "1.12.4", False),
        ("3.0.0", "3.0.0-rc1", True),
        ("3.0.0-rc1", "3.0.0", False),
        ("3.0.0-rc.1", "3.0.0-beta1", True),  # strings compare as strings: "rc" > "beta1"
        ("1.9.0", "1.9.0b1", True),  # "0" is a number, "0b1" a string: the number wins
        ("1.8.3", "1.9.0b1", False),
        ("1.10", "1.9", True),  # numbers compare as numbers, not text
        ("1.9", "1.10", False),
        ("2", "2.0.0", True),  # a missing part is 0
        ("2.0.0.1", "2", True),
        ("1.12.3", "1.12.4", False),
        ("10.0.0.beta.2", "10.0.0-*", True),
        # retire.js's versions.spec.ts, as (version, below): vulnerable when not at-or-above
        ("10.0.0", "10.0.0.beta.2", True),
        ("10.0.0.beta.3", "10.0.0.beta.2", True),
        ("1.9.0rc1", "1.9.0b1", True),
        ("10.0.0.beta.2", "10.0.0.beta.2", True),
        ("10.0.0.beta.1", "10.0.0.beta.2", False),
        ("10.0.0.beta.1", "10.0.0", False),
        ("10.0.0.rc.1", "10.0.0", False),
        ("10.0.0.rc.1", "10.0.0.beta.2", True),
    ],
)
def test_version_order_is_retire_js_own(version: str, bound: str, expected: bool) -> None:
    assert above(version, bound) is expected


@pytest.mark.parametrize(
    ("below", "fixed"),
    [
        ("3.5.0", "3.5.0"),
        ("3.0.0-beta1", "3.0.0-beta1"),
        ("2.999.999", "3.0.0"),  # "every 2.x release": fixed in the next major
        ("1.999", "2.0"),
        ("999.999.999", None),  # every release: end of life
        (None, None),
    ],
)
def test_fixed_version_reads_the_999_bounds(below: str | None, fixed: str | None) -> None:
    assert fixed_version(below) == fixed


def advisory(**fields: object) -> libraries.Advisory:
    base: dict[str, object] = {
        "below": "3.0.0",
        "at_or_above": None,
        "severity": "medium",
        "ids": ("CVE-2000-0001",),
        "summary": "",
    }
    return libraries.Advisory(**{**base, **fields})  # type: ignore[arg-type]


def test_an_advisory_holds_in_its_range_but_its_excludes() -> None:
    held = advisory(at_or_above="1.0.0", excludes=("1.12.4-aem",))
    assert held.affects("1.12.4")
    assert not held.affects("1.12.4-aem")
    assert not held.affects("0.9.9")
    assert not held.affects("3.0.0")
    assert advisory(below=None).affects("99.0")


# -- JavaScript patterns in Python ----------------------------------------------------------


@pytest.mark.parametrize(
    ("js", "python"),
    [
        (r"a\/b", "a/b"),
        (r"\$\.x", r"\$\.x"),
        (r"v\e", "ve"),  # an identity escape: JavaScript reads the letter
        (r"\A\Z", "AZ"),  # not anchors in JavaScript
        ("end$", r"end\Z"),
        ("a{,5}", r"a\{,5}"),  # not a quantifier in JavaScript
        ("a{2,5}", "a{2,5}"),
        ("[^]", r"[\s\S]"),
        ("[]", "(?!)"),
        ("[[a]", r"[\[a]"),
        ("(?<v>x)\\k<v>", "(?P<v>x)(?P=v)"),
        ("(?<=x)(?<!y)", "(?<=x)(?<!y)"),
        (r"\0", r"\x00"),
    ],
)
def test_javascript_syntax_is_rewritten(js: str, python: str) -> None:
    assert translate(js) == python


def test_a_variable_width_lookbehind_becomes_its_fixed_widths() -> None:
    pattern = compile_js(r'="(\d[\d.]+)(?<=[0-9]{1,2}\.[0-9]{1,2})"')
    assert pattern.search('x="4.17"').group(1) == "4.17"  # type: ignore[union-attr]
    assert pattern.search('x="1.2"').group(1) == "1.2"  # type: ignore[union-attr]
    assert pattern.search('x="4.171"') is None
    negative = compile_js(r"a(?<![0-9]{1,2}a)b")
    assert negative.search("xab")
    assert not negative.search("1ab")
    assert not negative.search("12ab")


@pytest.mark.parametrize(
    ("python", "needle"),
    [
        (r"/\*! jQuery v([0-9]+)", "/*! jQuery v"),
        (r"/\*!? jQuery v", " jQuery v"),  # the optional "!" cuts the run
        (r"ab+c", "ab"),
        (r"a{0,2}bcd", "bcd"),
        (r"x(?:yyyy)?z", "x"),
        (r"abc|defg", ""),  # an alternation at the top: nothing is required
        (r"[abc]+\d", ""),
    ],
)
def test_required_literal_is_in_every_match(python: str, needle: str) -> None:
    assert required_literal(python) == needle


# -- detection steps, on a small repository ------------------------------------------------

REPO = {
    "jquery": {
        "vulnerabilities": [
            {
                "atOrAbove": "1.2.0",
                "below": "3.5.0",
                "severity": "medium",
                "identifiers": {"CVE": ["CVE-2020-11022"], "githubID": "GHSA-gxr4-xjj5-5px2"},
            },
            {
                "below": "2.999.999",
                "severity": "low",
                "identifiers": {"summary": "EOL", "retid": "73"},
            },
        ],
        "extractors": {
            "uri": ["/(§§version§§)/jquery(\\.min)?\\.js"],
            "filename": ["jquery-(§§version§§)(\\.min)?\\.js"],
            "filecontent": ["/\\*!? jQuery v(§§version§§)"],
            "hashes": {hashlib.sha1(b"anonymous\nbuild").hexdigest(): "1.8.1"},
        },
    },
    "dojo": {
        "vulnerabilities": [
            {"below": "1.2.0", "severity": "critical", "identifiers": {"CVE": ["CVE-2000-0002"]}}
        ],
        "extractors": {
            "filecontentreplace": [
                "/dojo.version=\\{major:([0-9]+),minor:([0-9]+),patch:([0-9]+)/$1.$2.$3/"
            ]
        },
    },
    "dont check": {
        "vulnerabilities": [],
        "extractors": {"uri": ["^http[s]?://(ssl|www).google-analytics.com/ga.js"]},
    },
}
DATA = Dataset.from_json(REPO, "test data")


def found(script: Script) -> list[tuple[str, str, str]]:
    return [(d.library, d.version, d.how) for d in detect(DATA, script)]


def test_the_url_comes_first_then_the_file_name_then_the_content() -> None:
    cdn = Script("https://cdn.example.invalid/ajax/libs/jquery/1.8.1/jquery.min.js", "")
    assert found(cdn) == [("jquery", "1.8.1", "uri")]
    named = Script("http://127.0.0.1/js/jquery-3.5.0.min.js", "/*! jQuery v1.4.2 */")
    # retire.js stops at the first step that finds anything; ".min" is not the version.
    assert found(named) == [("jquery", "3.5.0", "filename")]
    hashed = Script("http://127.0.0.1/js/4f1a.js?v=2", "/*! jQuery v1.4.2 */")
    assert found(hashed) == [("jquery", "1.4.2", "filecontent")]
    assert found(Script("http://127.0.0.1/js/4f1a.js")) == []  # unread: URL only


def test_replacement_and_hash_are_the_last_resorts() -> None:
    dojo = Script("http://127.0.0.1/d.js", "x;dojo.version={major:1,minor:1,patch:4};")
    assert found(dojo) == [("dojo", "1.1.4", "filecontentreplace")]
    crlf = Script("http://127.0.0.1/d.js", "anonymous\r\nbuild")  # hashed as "\n", as retire.js
    assert found(crlf) == [("jquery", "1.8.1", "hash")]


def test_a_dont_check_url_is_not_judged() -> None:
    ga = Script("https://www.google-analytics.com/ga.js", "/*! jQuery v1.4.2 */")
    assert found(ga) == []


def test_one_finding_per_vulnerable_version_worst_severity_first_script() -> None:
    scripts = [
        Script("http://127.0.0.1/a.js", "/*! jQuery v1.8.1 */"),
        Script("http://127.0.0.1/b.js", "/*! jQuery v1.8.1 */"),
        Script("http://127.0.0.1/c.js", "/*! jQuery v3.5.0 */"),  # fixed: silent
        Script("http://127.0.0.1/d.js", "dojo.version={major:1,minor:1,patch:0}"),
    ]
    jquery, dojo = libraries.evaluate(DATA, scripts)
    assert jquery.url == "http://127.0.0.1/a.js"
    assert jquery.severity == Severity.MEDIUM
    assert jquery.evidence == (
        "jquery 1.8.1 (from its content; also in 1 more script(s)): 2 advisories, worst "
        "medium: CVE-2020-11022, GHSA-gxr4-xjj5-5px2 (medium, fixed in 3.5.0); "
        '"EOL" (low, every 2.x release); upgrade to 3.5.0 or later; judged by test data'
    )
    assert dojo.severity == Severity.HIGH  # retire.js's critical
    assert libraries.evaluate(DATA, scripts[2:3]) == []


@pytest.mark.parametrize(
    ("belows", "advice"),
    [
        (["3.5.0", "2.999.999"], "upgrade to 3.5.0 or later"),  # 3.5.0 is past the 2.x line
        (["1.8.4", "1.999"], "no fixed 1.x release (end of life): move to a later major"),
        (["1.8.4", "999.999.999"], "no fixed release (end of life): replace it"),
        (["1.2.0", "1.10.0", "1.9.9"], "upgrade to 1.10.0 or later"),  # numbers, not text
    ],
)
def test_the_advice_is_the_highest_fix_unless_a_line_ended(belows: list[str], advice: str) -> None:
    vulns = [{"below": b, "severity": "low", "identifiers": {"summary": b}} for b in belows]
    repo = {
        "lib": {"vulnerabilities": vulns, "extractors": {"filename": ["lib-(§§version§§)\\.js"]}}
    }
    data = Dataset.from_json(repo, "test data")
    [finding] = libraries.evaluate(data, [Script("http://127.0.0.1/lib-0.1.js")])
    assert f"; {advice}" in finding.evidence


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ([], "not a JSON object of libraries"),
        ({"x": {"extractors": {}}}, "library 'x' is malformed"),
        ({"x": {"vulnerabilities": [{"below": "1"}], "extractors": []}}, "'x' is malformed"),
    ],
)
def test_a_malformed_repository_names_its_entry(data: object, problem: str) -> None:
    with pytest.raises(ValueError, match=re.escape(problem)):
        Dataset.from_json(data, "x")


# -- the shipped snapshot -----------------------------------------------------------------


def test_every_extractor_of_the_shipped_dataset_compiles() -> None:
    raw = json.loads(vulndata.SHIPPED.read_text(encoding="utf-8"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Python's FutureWarning on [[ or -- in a class
        dataset = Dataset.from_json(raw, "shipped")
        assert dataset.problems() == []
    for kind in ("uri", "filename", "filecontent", "filecontentreplace"):
        wanted = sum(len(lib.get("extractors", {}).get(kind, [])) for lib in raw.values())
        assert sum(len(getattr(lib, kind)) for lib in dataset.libraries) == wanted
    assert len(dataset.libraries) == len(raw) >= 60


def test_the_shipped_snapshot_is_the_one_its_source_names() -> None:
    source = json.loads(vulndata.source_of(vulndata.SHIPPED).read_text(encoding="utf-8"))
    assert source["package"] == vulndata.PACKAGE
    assert hashlib.sha256(vulndata.SHIPPED.read_bytes()).hexdigest() == source["sha256"]
    label = vulndata.load().label
    assert label == (
        f"RetireJS data from {vulndata.PACKAGE} {source['version']} "
        f"(published {source['published'][:10]}, fetched {source['fetched'][:10]})"
    )
    notice = (vulndata.SHIPPED.parent / "retirejs.NOTICE.txt").read_text(encoding="utf-8")
    assert "Apache License, Version 2.0" in notice
    assert "Copyright (c) 2024, Salesforce.com, Inc." in notice


def test_the_production_react_and_next_releases_are_not_vulnerable_here() -> None:
    """The field bed's next@16.5.0 and react@19.3.1 (tests/field/nextjs/package.json)."""
    dataset = vulndata.load()
    for name, version in (("nextjs", "16.5.0"), ("react", "19.3.1"), ("react-dom", "19.3.1")):
        assert [a for a in dataset.library(name).advisories if a.affects(version)] == []
    assert any(a.affects("16.0.6") for a in dataset.library("nextjs").advisories)
