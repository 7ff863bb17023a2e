"""Video with the system ffmpeg: pytest-playwright's ``--video`` records through Debian's
``ffmpeg`` (linked where Playwright looks for its own), or is refused in one line and the
tests run without it."""

from __future__ import annotations

import os
import re
import shutil
import stat
from pathlib import Path

import pytest

from pytest_prodready.browser.ffmpeg import REGISTRY_VAR, _revision, enable_system_ffmpeg
from tests.test_browser import SUITES, one_browser_at_a_time  # noqa: F401 - a fixture

ROOT = Path(__file__).resolve().parent.parent


def executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_no_ffmpeg_anywhere_is_one_line_and_changes_nothing(tmp_path: Path) -> None:
    environ = {REGISTRY_VAR: str(tmp_path / "registry")}
    support = enable_system_ffmpeg(environ, which=lambda _: None, home=tmp_path / "own")
    assert support.ffmpeg is None
    assert support.problem == (
        "video off: Playwright's ffmpeg is not installed and no ffmpeg on PATH "
        "(Debian/Ubuntu: apt-get install ffmpeg, or set PRODREADY_FFMPEG)"
    )
    assert "\n" not in support.problem
    assert environ == {REGISTRY_VAR: str(tmp_path / "registry")}
    assert not (tmp_path / "own").exists()


def test_system_ffmpeg_is_linked_beside_the_user_s_registry(tmp_path: Path) -> None:
    registry = tmp_path / "registry"
    (registry / "chromium-1234").mkdir(parents=True)
    system = executable(tmp_path / "bin" / "ffmpeg")
    environ = {REGISTRY_VAR: str(registry)}
    support = enable_system_ffmpeg(environ, which=lambda _: str(system), home=tmp_path / "own")
    ours = tmp_path / "own" / "registry"
    assert support == type(support)(system.resolve())
    assert environ[REGISTRY_VAR] == str(ours)
    assert (ours / f"ffmpeg-{_revision()}" / "ffmpeg-linux").resolve() == system.resolve()
    assert (ours / "chromium-1234").resolve() == (registry / "chromium-1234").resolve()
    # Again (another xdist worker): the same links, no error.
    again = {REGISTRY_VAR: str(registry)}
    assert enable_system_ffmpeg(again, which=lambda _: str(system), home=tmp_path / "own")
    assert again == environ


def test_playwright_s_own_ffmpeg_wins_and_a_bad_override_is_named(tmp_path: Path) -> None:
    registry = tmp_path / "registry"
    own = executable(registry / f"ffmpeg-{_revision()}" / "ffmpeg-linux")
    environ = {REGISTRY_VAR: str(registry)}
    assert enable_system_ffmpeg(environ, which=lambda _: None).ffmpeg == own
    assert environ == {REGISTRY_VAR: str(registry)}
    shutil.rmtree(registry)
    bad = {REGISTRY_VAR: str(registry), "PRODREADY_FFMPEG": str(tmp_path / "nope")}
    problem = enable_system_ffmpeg(bad, which=lambda _: None).problem
    assert problem is not None
    assert f"$PRODREADY_FFMPEG points at {tmp_path / 'nope'}, not an executable" in problem


def run_flows(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    flows = [s for s in SUITES if "flows" in str(s)]
    return pytester.runpytest_subprocess(
        *flows,
        "--target-env",
        "demo-broken",
        "--prodready-config",
        str(ROOT / "prodready.toml"),
        "-p",
        "no:cacheprovider",
        "-p",
        "no:xdist",
        # The recommended addopts block pytest-playwright; a run that wants video brings it back.
        "-p",
        "playwright",
        "--output",
        str(pytester.path / "out"),
        *args,
        timeout=180,
    )


@pytest.fixture
def secrets_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRODREADY_DEMO_ADMIN_PASSWORD", "correct-horse-battery")
    monkeypatch.setenv("PRODREADY_DEMO_API_TOKEN", "tok-" + "9" * 24)
    monkeypatch.delenv("PRODREADY_ARTIFACTS", raising=False)


@pytest.mark.usefixtures("one_browser_at_a_time", "secrets_in_env")
def test_video_on_failure_records_with_debian_ffmpeg(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not Path("/usr/bin/ffmpeg").exists():
        pytest.skip("no /usr/bin/ffmpeg (apt-get install ffmpeg; .ci/run installs it)")
    # An empty registry: Playwright's own ffmpeg is certainly absent.
    monkeypatch.setenv(REGISTRY_VAR, str(pytester.path / "empty-registry"))
    report = pytester.path / "reports" / "dashboard.html"
    result = run_flows(pytester, "--video", "retain-on-failure", f"--prodready-report={report}")
    out = result.stdout.str() + result.stderr.str()
    assert "Executable doesn't exist" not in out
    result.stdout.fnmatch_lines(
        ["prodready browser: video retain-on-failure with ffmpeg /usr/bin/ffmpeg*"]
    )
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) >= 1
    assert not outcomes.get("error")
    videos = list((pytester.path / "out").rglob("*.webm"))
    assert videos, out[-3000:]
    assert all(v.stat().st_size > 500 for v in videos)
    assert os.environ[REGISTRY_VAR] == str(pytester.path / "empty-registry")
    # The dashboard shows the failed tests' screenshots and plays their videos, from files
    # beside it (relative links, nothing fetched).
    page = report.read_text()
    media = re.findall(r'<(?:img|video) src="([^"]+)"', page)
    assert any(m.endswith(".png") for m in media), page[-2000:]
    assert any(m.endswith(".webm") for m in media)
    for link in media:
        assert not link.startswith(("/", "http")), link
        assert (report.parent / link).is_file(), link


@pytest.mark.usefixtures("one_browser_at_a_time", "secrets_in_env")
def test_video_without_any_ffmpeg_is_refused_in_one_line_and_tests_run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(REGISTRY_VAR, str(pytester.path / "empty-registry"))
    monkeypatch.setenv("PRODREADY_FFMPEG", str(pytester.path / "no-ffmpeg"))
    result = run_flows(pytester, "--video", "on")
    out = result.stdout.str() + result.stderr.str()
    assert out.count("prodready browser: video off: ") == 1
    assert "Executable doesn't exist" not in out
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) >= 1
    assert not outcomes.get("error")
    assert not list(pytester.path.rglob("*.webm"))
