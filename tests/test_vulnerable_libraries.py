"""Known-vulnerable libraries in the scripts a page loads, judged on real releases from npm
(``tests/vendor_libs``) served by a real server on 127.0.0.1: the old releases fire with
their advisories, the releases that fix them stay silent, minified or not, and a version
only the URL names (a same-origin file or another origin's, never fetched) counts too.

The scripts are served under hashed names (``/static/js/4f1a.js``): what the content says is
judged, not the name; ``/js/jquery-1.12.4.min.js`` is a stub whose name alone says it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from pytest_prodready.checks import libraries
from pytest_prodready.config import Environment
from pytest_prodready.core.findings import Finding, Severity
from pytest_prodready.http import ResponseCache, make_client
from pytest_prodready.probes import vulndata
from pytest_prodready.probes.bundle import gather_all, loaded_scripts
from tests.servers import serve
from tests.vendor import ensure_installed, npm_missing, release

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(npm_missing() is not None, reason=npm_missing() or "")

# Served path: (release, file in it).
OLD = {
    "/static/js/4f1a.js": ("jquery-1.12.4", "dist/jquery.min.js"),
    "/static/js/9c2e.js": ("jquery-1.12.4", "dist/jquery.js"),
    "/static/js/b7d0.js": ("lodash-4.17.4", "lodash.js"),
    "/static/js/e311.js": ("moment-2.19.3", "min/moment.min.js"),
    "/static/js/02aa.js": ("moment-2.19.3", "moment.js"),
    "/static/js/77c1.js": ("angular-1.5.0", "angular.min.js"),
}
FIXED = {
    "/static/js/1d3f.js": ("jquery-3.7.1", "dist/jquery.min.js"),
    "/static/js/5a90.js": ("jquery-3.7.1", "dist/jquery.js"),
    "/static/js/c0de.js": ("lodash-4.17.23", "lodash.min.js"),
    "/static/js/c0df.js": ("lodash-4.17.23", "lodash.js"),
    "/static/js/8e8e.js": ("moment-2.30.1", "min/moment.min.js"),
    "/static/js/8e8f.js": ("moment-2.30.1", "moment.js"),
}
EOL = {"/static/js/a0a0.js": ("angular-1.8.3", "angular.min.js")}
STUB = "/js/jquery-1.12.4.min.js"
CDN = "https://cdn.example.invalid/ajax/libs/moment.js/2.19.3/moment.min.js"


def page(*scripts: str) -> str:
    tags = "".join(f'<script src="{s}"></script>' for s in scripts)
    return f"<!DOCTYPE html><html><head><title>Shop</title>{tags}</head><body>Hi</body></html>"


def vendor_app() -> Starlette:
    files = {path: release(*where) for path, where in {**OLD, **FIXED, **EOL}.items()}
    files[STUB] = b"window.$ = window.$ || {};"
    pages = {
        "/old": page(*OLD),
        "/fixed": page(*FIXED),
        "/url-only": page(STUB, CDN),
        "/eol": page(*EOL),
    }

    async def route(request: Request) -> Response:
        path = request.url.path
        if path in pages:
            return HTMLResponse(pages[path])
        if path in files:
            return Response(files[path], media_type="application/javascript")
        return HTMLResponse("not found", status_code=404)

    app = Starlette()
    app.add_route("/{path:path}", route)
    return app


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    ensure_installed()
    with serve(vendor_app()) as server:
        yield server.url


@contextlib.contextmanager
def cache(url: str) -> Iterator[ResponseCache]:
    env = Environment(name="t", base_url=url, plain_http=True)
    with make_client(env) as client:
        yield ResponseCache(client)


def judge(url: str, *paths: str) -> list[Finding]:
    with cache(url) as fetch:
        assets, _ = gather_all(fetch, paths)
        scripts = loaded_scripts(fetch, paths, assets)
    return libraries.evaluate(vulndata.load(), scripts)


def by_library(findings: list[Finding]) -> dict[str, Finding]:
    return {" ".join(f.evidence.split()[:2]): f for f in findings}


def test_old_releases_fire_with_their_advisories(site: str) -> None:
    found = by_library(judge(site, "/old"))
    assert set(found) == {"jquery 1.12.4", "lodash 4.17.4", "moment.js 2.19.3", "angularjs 1.5.0"}
    assert all(f.id == "bundle.vulnerable-library" for f in found.values())
    jquery = found["jquery 1.12.4"]
    for advisory in ("CVE-2020-11022", "CVE-2020-11023", "CVE-2019-11358", "CVE-2015-9251"):
        assert advisory in jquery.evidence
    assert "GHSA-gxr4-xjj5-5px2" in jquery.evidence
    assert "upgrade to 3.5.0 or later" in jquery.evidence
    # The minified and the full file are one finding, at the first script that has it.
    assert jquery.url == site + "/static/js/4f1a.js"
    assert "(from its content; also in 1 more script(s))" in jquery.evidence
    assert jquery.severity == Severity.MEDIUM
    assert "CVE-2019-10744" in found["lodash 4.17.4"].evidence
    assert "upgrade to 4.17.23 or later" in found["lodash 4.17.4"].evidence
    assert found["lodash 4.17.4"].severity == Severity.HIGH
    moment = found["moment.js 2.19.3"]
    assert "CVE-2022-24785" in moment.evidence
    assert "CVE-2022-31129" in moment.evidence
    assert "also in 1 more script(s)" in moment.evidence  # min/moment.min.js and moment.js
    assert "CVE-2019-10768" in found["angularjs 1.5.0"].evidence
    label = vulndata.load().label
    assert label.startswith("RetireJS data from @salesforce/code-analyzer-retirejs-engine ")
    assert all(f.evidence.endswith(f"judged by {label}") for f in found.values())


def test_releases_that_fix_them_are_silent(site: str) -> None:
    assert judge(site, "/fixed") == []
    # They are recognised, not missed: each fixed release is detected with no advisory.
    with cache(site) as fetch:
        assets, _ = gather_all(fetch, ("/fixed",))
        scripts = loaded_scripts(fetch, ("/fixed",), assets)
    dataset = vulndata.load()
    seen = {
        (d.library, d.version, d.advisories) for s in scripts for d in libraries.detect(dataset, s)
    }
    assert seen == {("jquery", "3.7.1", ()), ("lodash", "4.17.23", ()), ("moment.js", "2.30.1", ())}


def test_a_version_only_in_the_url_counts(site: str) -> None:
    found = by_library(judge(site, "/url-only"))
    assert set(found) == {"jquery 1.12.4", "moment.js 2.19.3"}
    assert found["jquery 1.12.4"].url == site + STUB
    assert "(from its file name)" in found["jquery 1.12.4"].evidence
    # Another origin's script is judged by its URL and never fetched.
    assert found["moment.js 2.19.3"].url == CDN
    assert "(from its URL)" in found["moment.js 2.19.3"].evidence


def test_an_end_of_life_release_has_no_fixed_version(site: str) -> None:
    [finding] = judge(site, "/eol")
    assert finding.evidence.startswith("angularjs 1.8.3 (from its content)")
    assert "no fixed release (end of life): replace it" in finding.evidence


def test_detection_is_the_same_without_the_substring_prefilter(site: str) -> None:
    """The needle test per pattern only skips patterns that cannot match."""
    dataset = vulndata.load()
    unfiltered = libraries.Dataset(
        tuple(
            dataclasses.replace(
                lib,
                filecontent=tuple(dataclasses.replace(e, needs="") for e in lib.filecontent),
                filecontentreplace=tuple(
                    dataclasses.replace(e, needs="") for e in lib.filecontentreplace
                ),
            )
            for lib in dataset.libraries
        ),
        dataset.label,
    )
    for where in (*OLD.values(), *FIXED.values(), *EOL.values()):
        script = libraries.Script("http://127.0.0.1/x.js", release(*where).decode())
        assert libraries.detect(dataset, script) == libraries.detect(unfiltered, script)
        # Every match of every content pattern holds its needle.
        for lib in dataset.libraries:
            for extractor in (*lib.filecontent, *lib.filecontentreplace):
                assert extractor.pattern is not None
                for match in extractor.pattern.finditer(script.text or ""):
                    assert extractor.needs in match.group(0), (lib.name, extractor.source)


# -- the suite, end to end -------------------------------------------------------------------


def run_suite(pytester: pytest.Pytester, url: str, page_path: str, extra: str = "") -> str:
    (pytester.path / "prodready.toml").write_text(
        f'[envs.shop]\nbase_url = "{url}"\npages = ["{page_path}"]\n{extra}'
    )
    result = pytester.runpytest(
        str(ROOT / "suites" / "test_bundle.py"),
        "-k",
        "vulnerable",
        "--target-env=shop",
        "--prodready-config=prodready.toml",
        "-p",
        "no:cacheprovider",
    )
    return result.stdout.str() + result.stderr.str()


def test_suite_fails_on_old_releases_and_passes_on_fixed_ones(
    pytester: pytest.Pytester, site: str
) -> None:
    out = run_suite(pytester, site, "/old")
    assert "1 failed" in out
    assert "[MEDIUM] bundle.vulnerable-library" in out
    assert "[HIGH] bundle.vulnerable-library" in out
    assert "CVE-2020-11022" in out
    assert "1 passed" in run_suite(pytester, site, "/fixed")


def test_suite_reads_a_newer_dataset_from_the_configuration(
    pytester: pytest.Pytester, site: str
) -> None:
    # A dataset where jQuery 3.7.1 is vulnerable: the configured file is the one judging.
    data = json.loads(vulndata.SHIPPED.read_text(encoding="utf-8"))
    data["jquery"]["vulnerabilities"].append(
        {
            "below": "3.8.0",
            "severity": "high",
            "identifiers": {"summary": "made up", "CVE": ["CVE-2099-0001"]},
            "info": ["https://example.invalid/"],
        }
    )
    (pytester.path / "newer.json").write_text(json.dumps(data))
    out = run_suite(
        pytester, site, "/fixed", '[envs.shop.bundle]\nvulnerability_data = "newer.json"\n'
    )
    assert "CVE-2099-0001 (high, fixed in 3.8.0)" in out
    assert f"judged by RetireJS data from {pytester.path / 'newer.json'} (modified" in out


def test_an_unusable_dataset_is_one_paragraph(pytester: pytest.Pytester, site: str) -> None:
    (pytester.path / "broken.json").write_text("[1, 2]")
    out = run_suite(
        pytester, site, "/fixed", '[envs.shop.bundle]\nvulnerability_data = "broken.json"\n'
    )
    assert "is not usable: it is not a JSON object of libraries" in out
    assert "Traceback" not in out
    assert "another exception occurred" not in out
    missing = run_suite(
        pytester, site, "/fixed", '[envs.shop.bundle]\nvulnerability_data = "nowhere.json"\n'
    )
    assert "key 'vulnerability_data' points at" in missing
    assert "which is not a file" in missing
