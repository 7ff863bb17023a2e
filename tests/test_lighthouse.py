"""Lighthouse audits: pure parts on plain data, then real Lighthouse 12 on the system Chromium.

The real runs are few (each costs seconds): one suite run audits a good and a bad page once
each, and every test of the module reads that run. Lighthouse comes from
``tests/lighthouse`` (pinned by its lock file, installed once per machine).
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from pytest_prodready.browser.launch import chromium_switches
from pytest_prodready.browser.lighthouse import (
    LighthouseTool,
    benchmark_index,
    calibrated_slowdown,
    find_lighthouse,
    lighthouse_command,
    run_lighthouse,
)
from pytest_prodready.checks.lighthouse import lighthouse_findings, median_result, summarize
from pytest_prodready.config.environment import load_config
from pytest_prodready.config.lighthouse import LighthouseSpec
from tests.faults.secret_scan import fresh_values, occurrences, texts
from tests.lighthouse.install import InstallError, ensure_lighthouse, node_missing
from tests.servers import serve

ROOT = Path(__file__).resolve().parent.parent
SUITE = ROOT / "suites" / "test_lighthouse.py"
CHROMIUM = Path("/usr/bin/chromium")
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")


# -- pure: a report in, scores and findings out ----------------------------------------------


def report(scores: dict[str, float | None], *, slow: bool = False) -> dict[str, Any]:
    """A Lighthouse report as its JSON has it, cut down to what the checks read."""
    audits: dict[str, Any] = {
        "largest-contentful-paint": {
            "title": "Largest Contentful Paint",
            "score": 0.1 if slow else 1,
            "scoreDisplayMode": "numeric",
            "displayValue": "7.9\xa0s" if slow else "0.8\xa0s",
        },
        "render-blocking-resources": {
            "title": "Eliminate render-blocking resources",
            "score": 0 if slow else 1,
            "scoreDisplayMode": "metricSavings",
            "details": {"overallSavingsMs": 4310 if slow else 0},
        },
        "total-byte-weight": {
            "title": "Avoid enormous network payloads",
            "score": 0.2 if slow else 1,
            "scoreDisplayMode": "numeric",
            "metricSavings": {"LCP": 900, "FCP": 300, "CLS": 0.2},
            "details": {"overallSavingsBytes": 2_048_000},
        },
        "image-alt": {"title": "Images have alt", "score": 0, "scoreDisplayMode": "binary"},
        "manual-check": {"title": "Manual", "score": None, "scoreDisplayMode": "manual"},
        "render-blocking-insight": {
            "title": "Render-blocking requests",
            "score": 0,
            "scoreDisplayMode": "metricSavings",
            "details": {"overallSavingsMs": 4300},
        },
    }
    refs = {
        "performance": [
            {"id": "largest-contentful-paint", "weight": 25},
            {"id": "render-blocking-resources", "weight": 0},
            {"id": "total-byte-weight", "weight": 0},
            {"id": "render-blocking-insight", "weight": 0, "group": "hidden"},
        ],
        "accessibility": [{"id": "image-alt", "weight": 10}, {"id": "manual-check", "weight": 0}],
        "best-practices": [],
        "seo": [],
    }
    return {
        "requestedUrl": "https://shop.test/",
        "finalDisplayedUrl": "https://shop.test/",
        "categories": {
            cid: {"score": score, "auditRefs": refs[cid]} for cid, score in scores.items()
        },
        "audits": audits,
        "runWarnings": [],
    }


def test_scores_and_failing_audits_with_their_savings() -> None:
    result = summarize(report({"performance": 0.42, "accessibility": 0.87}, slow=True))
    assert result.scores == {"performance": 42.0, "accessibility": 87.0}
    worst = result.failing["performance"]
    # The weighted metric first (it moves the score), then the biggest saving.
    assert [a.id for a in worst] == [
        "largest-contentful-paint",
        "render-blocking-resources",
        "total-byte-weight",
    ]
    assert worst[1].describe() == "render-blocking-resources: saves 4,310 ms"
    # metricSavings give the milliseconds when details do not (CLS is unitless: not counted).
    assert worst[2].describe() == "total-byte-weight: saves 900 ms, 2,000 KiB"
    assert worst[0].describe() == "largest-contentful-paint (7.9 s)"
    # A manual audit is no failure; a binary one that failed is.
    assert [a.id for a in result.failing["accessibility"]] == ["image-alt"]


def test_budgets_both_ways_with_the_median_of_runs() -> None:
    spec = LighthouseSpec()
    runs = [
        summarize(report({"performance": p, "accessibility": 1.0}, slow=p < 0.9))
        for p in (0.55, 0.97, 0.61)
    ]
    (finding,) = lighthouse_findings(runs, spec, "performance", "https://shop.test/")
    assert finding.id == "lighthouse.performance-below"
    assert finding.evidence == (
        "performance 61 < budget 90 (mobile, median of 3 runs: 55, 97, 61); failing: "
        "largest-contentful-paint (7.9 s); render-blocking-resources: saves 4,310 ms; "
        "total-byte-weight: saves 900 ms, 2,000 KiB"
    )
    assert median_result(runs, "performance") is runs[2]
    assert lighthouse_findings(runs, spec, "accessibility", "https://shop.test/") == []
    # At the budget is within it; a budget of 0 never fires; a category not run is not judged.
    exact = [summarize(report({"performance": 0.9}))]
    assert lighthouse_findings(exact, spec, "performance", "u") == []
    desktop = LighthouseSpec(performance=0.0, form_factor="desktop")
    assert lighthouse_findings(runs[:1], desktop, "performance", "u") == []
    assert lighthouse_findings(runs[:1], spec, "seo", "u") == []
    (one,) = lighthouse_findings(
        runs[:1], LighthouseSpec(form_factor="desktop"), "performance", "u"
    )
    assert "(desktop, median of 1 run);" in one.evidence


def test_performance_evidence_shows_savings_even_when_every_metric_fails() -> None:
    slow = report({"performance": 0.3}, slow=True)
    for name in ("first-contentful-paint", "speed-index", "total-blocking-time"):
        slow["audits"][name] = {"title": name, "score": 0.2, "scoreDisplayMode": "numeric"}
        slow["categories"]["performance"]["auditRefs"].append({"id": name, "weight": 10})
    (finding,) = lighthouse_findings([summarize(slow)], LighthouseSpec(), "performance", "u")
    listed = finding.evidence.split("failing: ")[1].split("; ")
    assert len(listed) == 5
    assert listed[0] == "largest-contentful-paint (7.9 s)"  # the heaviest metric first
    assert listed[3:] == [
        "render-blocking-resources: saves 4,310 ms",
        "total-byte-weight: saves 900 ms, 2,000 KiB",
    ]


def test_performance_evidence_names_the_cpu_slowdown_simulated() -> None:
    slow = report({"performance": 0.5}, slow=True)
    slow["configSettings"] = {"throttling": {"cpuSlowdownMultiplier": 2.2}}
    slow["environment"] = {"benchmarkIndex": 551.5}
    result = summarize(slow)
    assert (result.cpu_slowdown, result.benchmark_index) == (2.2, 551.5)
    (finding,) = lighthouse_findings([result], LighthouseSpec(), "performance", "u")
    assert finding.evidence.startswith(
        "performance 50 < budget 90 (mobile, CPU slowdown 2.2x, median of 1 run); failing: "
    )


def test_cpu_slowdown_is_lighthouses_4x_on_the_host_it_expects_and_less_below() -> None:
    assert calibrated_slowdown(1000) == 4.0
    assert calibrated_slowdown(2400) == 4.0  # never heavier than Lighthouse's own setting
    assert calibrated_slowdown(550) == 2.2
    assert calibrated_slowdown(100) == 1.0  # never a phone faster than this machine


def config(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "prodready.toml"
    path.write_text(textwrap.dedent(body))
    return path


def test_config_defaults_are_the_seeds_and_mistakes_are_one_paragraph(tmp_path: Path) -> None:
    plain = load_config(
        config(tmp_path, '[envs.a]\nbase_url = "https://a.test"\npages = ["/", "/x"]\n'),
        "test",
        known_ids=(),
    )
    assert plain is not None
    env = plain.envs["a"]
    assert env.lighthouse == LighthouseSpec()
    assert (env.lighthouse.performance, env.lighthouse.accessibility) == (90, 95)
    assert (env.lighthouse.best_practices, env.lighthouse.seo) == (95, 90)
    assert not env.lighthouse.configured
    assert env.lighthouse.cpu_slowdown is None  # "auto": calibrated to the machine
    set_up = load_config(
        config(
            tmp_path,
            """
            [envs.a]
            base_url = "https://a.test"
            [envs.a.lighthouse]
            performance = 80
            seo = 0
            form_factor = "desktop"
            pages = ["/gallery"]
            runs = 5
            timeout_s = 60
            cpu_slowdown = 2.5
            """,
        ),
        "test",
        known_ids=(),
    )
    assert set_up is not None
    spec = set_up.envs["a"].lighthouse
    assert spec == LighthouseSpec(
        performance=80,
        seo=0,
        form_factor="desktop",
        pages=("/gallery",),
        runs=5,
        timeout_s=60,
        cpu_slowdown=2.5,
        configured=True,
    )
    assert spec.budget("best-practices") == 95
    bad = {
        "performance = 0.9": "is 0.9, a fraction: scores here are 0 to 100, as Lighthouse "
        "shows them. Write performance = 90.",
        "seo = 101": "'seo' must be greater than 0 and at most 100, got 101",
        'form_factor = "tablet"': "'form_factor' is 'tablet'. Valid values: mobile, desktop.",
        "pages = []": "'pages' is empty, so Lighthouse would audit nothing",
        "timeout_s = 0": "'timeout_s' must be greater than 0 and at most 600",
        "best_practise = 90": "best_practise",
        'cpu_slowdown = "fast"': "'cpu_slowdown' is 'fast'. Use \"auto\"",
        "cpu_slowdown = 0.5": "would make the emulated phone faster than this machine",
    }
    for line, message in bad.items():
        path = config(
            tmp_path, f'[envs.a]\nbase_url = "https://a.test"\n[envs.a.lighthouse]\n{line}\n'
        )
        with pytest.raises(pytest.UsageError) as caught:
            load_config(path, "test", known_ids=())
        text = str(caught.value)
        assert message in text, text
        assert "[envs.a.lighthouse]" in text
        assert "\n" not in text


def executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/usr/bin/env node\n")
    path.chmod(0o755)
    return path


def test_lighthouse_is_found_by_variable_then_project_then_path(tmp_path: Path) -> None:
    node = str(executable(tmp_path / "bin" / "node"))
    on_path = executable(tmp_path / "bin" / "lighthouse")
    local = executable(tmp_path / "project" / "node_modules" / ".bin" / "lighthouse")
    explicit = executable(tmp_path / "mine" / "lighthouse")
    which = {"node": node, "lighthouse": str(on_path)}.get
    project = tmp_path / "project"
    found = find_lighthouse(project, {"PRODREADY_LIGHTHOUSE": str(explicit)}, which)
    assert (found.cli, found.origin) == (explicit, "PRODREADY_LIGHTHOUSE environment variable")
    assert find_lighthouse(project, {}, which).cli == local
    assert find_lighthouse(tmp_path, {}, which).cli == on_path
    # An explicit path that is not there is reported, not swapped for another Lighthouse.
    gone = find_lighthouse(project, {"PRODREADY_LIGHTHOUSE": str(tmp_path / "nope")}, which)
    assert not gone.found
    assert gone.problem is not None
    assert "npm install -g lighthouse@12" in gone.problem
    assert "\n" not in gone.problem
    nothing = find_lighthouse(tmp_path, {}, {"node": node}.get)
    assert nothing.problem == (
        f"prodready: no Lighthouse (looked at PRODREADY_LIGHTHOUSE, "
        f"{tmp_path}/node_modules/.bin/lighthouse and PATH): install it with npm install -g "
        "lighthouse@12 (Node >= 18.16), or point PRODREADY_LIGHTHOUSE at a lighthouse CLI"
    )
    no_node = find_lighthouse(project, {}, {"lighthouse": str(on_path)}.get)
    assert no_node.problem is not None
    assert "needs Node.js" in no_node.problem


def test_command_pins_the_leaf_and_picks_the_form_factor(tmp_path: Path) -> None:
    cli = executable(tmp_path / "lighthouse")
    tool = LighthouseTool(cli, Path("/usr/bin/node"), "test")
    switches = chromium_switches(root=True, pins=["PIN="])
    mobile = lighthouse_command(
        tool,
        "https://a.test/",
        tmp_path / "r.json",
        form_factor="mobile",
        chrome_switches=switches,
        max_wait_ms=10_000,
    )
    assert mobile[:3] == ["/usr/bin/node", str(cli), "https://a.test/"]
    assert "--only-categories=performance,accessibility,best-practices,seo" in mobile
    assert "--max-wait-for-load=10000" in mobile
    flags = next(a for a in mobile if a.startswith("--chrome-flags="))
    assert "--headless=new" in flags
    assert "--ignore-certificate-errors-spki-list=PIN=" in flags
    assert "--ignore-certificate-errors " not in f"{flags} "  # trust by pin only
    assert not any(a.startswith("--preset") for a in mobile)  # Lighthouse's default: mobile
    desktop = lighthouse_command(
        tool, "u", tmp_path / "r.json", form_factor="desktop", chrome_switches=[], max_wait_ms=1
    )
    assert "--preset=desktop" in desktop


# -- real Lighthouse, real Chromium ----------------------------------------------------------

GOOD = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Lab: a good page</title>
<meta name="description" content="A small, fast and accessible page the audits should pass.">
<link rel="icon" href="data:,">
</head><body><main><h1>A good page</h1>
<p>Readable text in a readable colour, and <a href="/bad">a link with words</a>.</p>
<img src="/pixel.png" alt="One grey pixel" width="1" height="1">
</main></body></html>"""

BAD = """<html><head>
<title>Lab</title>
<meta name="robots" content="noindex, nofollow">
<link rel="icon" href="data:,">
<script src="/blocking.js"></script>
</head><body>
<p style="color:#d8d8d8;background:#ffffff">Low-contrast words: {secret}</p>
<img src="/pixel.png" width="300" height="40">
<button class="cart"><svg width="16" height="16"></svg></button>
<a href="/good"></a>
<script>console.error("lab: broken on purpose")</script>
</body></html>"""

# A render-blocking script of 2 MB that then keeps the main thread busy for 600 ms.
BLOCKING_JS = (
    "/*" + "x" * 2_000_000 + "*/\nvar end = Date.now() + 600; while (Date.now() < end) {}\n"
)
PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360606060000000050001a5f645400000000049454e44ae426082"
)


def lab_app(secret: str) -> Starlette:
    async def good(_: Request) -> Response:
        return HTMLResponse(GOOD)

    async def bad(_: Request) -> Response:
        return HTMLResponse(BAD.format(secret=secret))

    async def blocking(_: Request) -> Response:
        return Response(BLOCKING_JS, media_type="application/javascript")

    async def pixel(_: Request) -> Response:
        return Response(PIXEL, media_type="image/png", headers={"Cache-Control": "max-age=3600"})

    async def robots(_: Request) -> Response:
        return PlainTextResponse("User-agent: *\nAllow: /\n")

    async def hang(_: Request) -> Response:
        import asyncio

        await asyncio.sleep(25)
        return HTMLResponse(GOOD)

    return Starlette(
        routes=[
            Route("/good", good),
            Route("/bad", bad),
            Route("/blocking.js", blocking),
            Route("/pixel.png", pixel),
            Route("/robots.txt", robots),
            Route("/hang", hang),
        ]
    )


@pytest.fixture(scope="module")
def one_browser_at_a_time(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The browser tests' lock (tests/test_browser.py): under xdist, Lighthouse's Chromium and
    theirs never compete for the machine's two cores (scores would drift with the load)."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        yield
        return
    lock = tmp_path_factory.getbasetemp().parent / "prodready-browser.lock"
    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="module")
def lighthouse_cli(one_browser_at_a_time: None) -> Path:
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium (Debian/Ubuntu: apt-get install chromium)")
    reason = node_missing()
    if reason is not None:
        pytest.skip(f"Lighthouse cannot run here: {reason}")
    try:
        return ensure_lighthouse()
    except InstallError as exc:
        pytest.fail(str(exc), pytrace=False)


SECRET_VAR = "LAB_PAGE_TOKEN"


@pytest.fixture(scope="module")
def lab_secret() -> str:
    return fresh_values([SECRET_VAR], prefix="lighthouse")[SECRET_VAR]


@pytest.fixture(scope="module")
def lab(lab_secret: str) -> Iterator[str]:
    with serve(lab_app(lab_secret)) as server:
        yield server.url


def run_suite(
    workdir: Path, toml: str, env: str, environ: dict[str, str], timeout: float
) -> subprocess.CompletedProcess[str]:
    (workdir / "prodready.toml").write_text(textwrap.dedent(toml))
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(SUITE),
            "--target-env",
            env,
            "--prodready-config",
            str(workdir / "prodready.toml"),
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            "-rfEs",
            "--prodready-json",
            str(workdir / "summary.json"),
            "--junitxml",
            str(workdir / "junit.xml"),
        ],
        cwd=workdir,
        env={**environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@dataclass(frozen=True)
class SuiteRun:
    out: str
    workdir: Path


@pytest.fixture(scope="module")
def audited(
    lighthouse_cli: Path, lab: str, lab_secret: str, tmp_path_factory: pytest.TempPathFactory
) -> SuiteRun:
    """The suite on the lab's good and bad page: one Lighthouse run each (``runs = 1``)."""
    workdir = tmp_path_factory.mktemp("lighthouse-suite")
    environ = {
        **os.environ,
        "PRODREADY_LIGHTHOUSE": str(lighthouse_cli),
        SECRET_VAR: lab_secret,
    }
    environ.pop("PRODREADY_ARTIFACTS", None)
    result = run_suite(
        workdir,
        f"""
        [envs.lab]
        base_url = "{lab}"
        plain_http = true
        pages = ["/good", "/bad"]
        secrets = {{ token = "{SECRET_VAR}" }}
        [envs.lab.lighthouse]
        runs = 1
        """,
        "lab",
        environ,
        timeout=400,
    )
    return SuiteRun(result.stdout + result.stderr, workdir)


def outcomes(junit: Path) -> dict[str, str]:
    """Each test's parameters (``/bad-seo``) and outcome, from the run's JUnit XML."""
    import xml.etree.ElementTree as ET

    found = {}
    for case in ET.parse(junit).iter("testcase"):
        name = case.get("name", "")
        params = name[name.index("[") + 1 : -1]
        failed = case.find("failure") is not None or case.find("error") is not None
        found[params] = "failed" if failed else "passed"
    return found


def finding_lines(out: str) -> list[str]:
    return re.findall(r"^- \[[A-Z]+\] lighthouse\.\S+ .*$", out, re.MULTILINE)


def test_bad_page_fails_each_category_and_good_page_none(audited: SuiteRun) -> None:
    out = audited.out
    assert "4 failed, 4 passed" in out, out[-3000:]
    assert outcomes(audited.workdir / "junit.xml") == {
        **{f"/good-{c}": "passed" for c in CATEGORIES},
        **{f"/bad-{c}": "failed" for c in CATEGORIES},
    }
    lines = finding_lines(out)
    fired = sorted({re.search(r"lighthouse\.(\S+)", line).group(1) for line in lines})  # type: ignore[union-attr]
    assert fired == [
        "accessibility-below",
        "best-practices-below",
        "performance-below",
        "seo-below",
    ], lines
    assert all("/bad" in line for line in lines)
    text = "\n".join(lines)
    assert re.search(
        r"performance \d+ < budget 90 \(mobile, CPU slowdown [\d.]+x, median of 1 run\); failing: ",
        text,
    )
    assert "render-blocking" in text
    assert "saves " in text
    assert " ms" in text
    assert "image-alt" in text
    assert "color-contrast" in text
    assert "is-crawlable" in text
    assert "doctype" in text
    summary = json.loads((audited.workdir / "summary.json").read_text())
    good_figures = [
        t for t in json.dumps(summary).split("lighthouse_") if t.startswith("performance")
    ]
    assert good_figures, "scores recorded as figures"


def test_progress_line_per_page_with_its_time(audited: SuiteRun) -> None:
    for path in ("/good", "/bad"):
        assert re.search(
            rf"prodready lighthouse: {path} mobile run 1/1: CPU benchmark [\d.]+: slowdown "
            rf"[\d.]+x, \d+\.\d s \(performance \d+",
            audited.out,
        ), audited.out[-3000:]


def test_report_kept_for_the_failing_page_only_and_secrets_masked(
    audited: SuiteRun, lab_secret: str
) -> None:
    kept = sorted((audited.workdir / "test-results" / "lighthouse").glob("*.json"))
    assert [p.name for p in kept] == ["bad-mobile.report.json"]
    saved = kept[0].read_text()
    report = json.loads(saved)
    assert report["lighthouseVersion"].startswith("12.")
    # The page echoed the secret and the contrast audit quotes its text: masked in the file.
    assert "[masked:token]" in saved
    scanned, found = occurrences(texts(audited.workdir), {SECRET_VAR: lab_secret})
    assert scanned >= 3
    assert found == {}
    assert lab_secret not in audited.out
    # No screenshots (no scrub reads pixels), and no run's working directory left behind.
    assert "data:image/jpeg" not in saved
    assert not list((audited.workdir / "test-results" / ".lighthouse-tmp").iterdir())


def test_benchmark_index_is_measured_in_chromium_and_leaves_nothing(
    lighthouse_cli: Path,
) -> None:
    before = set(profile_dirs())
    index = benchmark_index(CHROMIUM, chromium_switches(root=os.geteuid() == 0), timeout_s=60)
    assert index is not None
    assert 10 < index < 100_000
    assert set(profile_dirs()) <= before


def processes_naming(marker: str) -> list[str]:
    found = subprocess.run(
        ["pgrep", "-af", marker], capture_output=True, text=True, check=False
    ).stdout
    return [line for line in found.splitlines() if "pgrep" not in line]


def profile_dirs() -> list[str]:
    """The run directories named by running Chromium processes' command lines."""
    found = []
    for line in processes_naming("prodready-lh-"):
        if "chrom" in line:
            found += re.findall(r"/\S*prodready-lh-[^/\s]+", line)
    return found


def test_timeout_stops_lighthouse_and_its_chromium(
    lighthouse_cli: Path, lab: str, tmp_path: Path
) -> None:
    tool = find_lighthouse(ROOT, {"PRODREADY_LIGHTHOUSE": str(lighthouse_cli)})
    before = set(profile_dirs())
    seen: set[str] = set()
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            seen.update(set(profile_dirs()) - before)
            time.sleep(0.2)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        run = run_lighthouse(
            tool,
            f"{lab}/hang",
            chromium=CHROMIUM,
            chrome_switches=chromium_switches(root=os.geteuid() == 0),
            form_factor="mobile",
            max_wait_ms=60_000,
            timeout_s=8,
            parent=tmp_path,
        )
    finally:
        done.set()
        watcher.join()
    assert run.report is None
    assert run.error is not None
    assert run.error.startswith(f"Lighthouse ran past 8 s on {lab}/hang and was stopped")
    assert "\n" not in run.error
    (profile,) = seen  # Chromium was running, its profile in the run's own temp directory
    assert processes_naming(profile) == []
    assert not Path(profile).exists()
    assert list(tmp_path.iterdir()) == []


def test_missing_lighthouse_skips_in_one_line_or_fails_when_asked_for(
    lab: str, tmp_path: Path
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    node = shutil.which("node")
    if node:
        (bin_dir / "node").symlink_to(node)
    environ = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{Path(sys.executable).parent}"}
    environ.pop("PRODREADY_LIGHTHOUSE", None)
    result = run_suite(
        tmp_path,
        f"""
        [envs.plain]
        base_url = "{lab}"
        plain_http = true
        pages = ["/good"]
        [envs.asked]
        base_url = "{lab}"
        plain_http = true
        pages = ["/good"]
        [envs.asked.lighthouse]
        performance = 80
        """,
        "plain",
        environ,
        timeout=120,
    )
    out = result.stdout
    assert "4 skipped" in out, out[-2000:]
    skips = re.findall(r"^SKIPPED .*$", out, re.MULTILINE)
    assert len(skips) == 1, skips  # pytest folds the four into one line
    assert "npm install -g lighthouse@12" in skips[0]
    asked = run_suite(tmp_path, (tmp_path / "prodready.toml").read_text(), "asked", environ, 120)
    out = asked.stdout
    assert "4 errors" in out, out[-2000:]
    assert (
        "[envs.asked.lighthouse] asks for Lighthouse audits, so this fails rather than skips" in out
    )
    assert "Traceback" not in out
