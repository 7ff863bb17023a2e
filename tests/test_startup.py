"""Start-up: what a smoke run's process imports, the browser chain without pytest-playwright,
and the embedded demo in a process of its own.

The repository's ``addopts`` block the pytest plugins of schemathesis, hypothesis and
pytest-playwright (docs/performance.md); these tests run real ``pytest`` processes from the
repository root, so they see that configuration as a user's project would.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import tomllib
from pathlib import Path

import pytest

from pytest_prodready.target.embedded import DemoProcess, TargetError
from tests.faults.harness import child_env

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("hypothesis", "schemathesis", "playwright", "locust", "gevent")
# Not heavy, but not needed either: the pytest plugins of anyio, locust, platformdirs and
# xdist's looponfail, pytester's plugin (the tests' own conftest loads it), dnspython on a run
# without mail, httpx's command-line client and what it imports (pytest_prodready.core.lazy).
SPARED = (
    "anyio.pytest_plugin",
    "pytest_locust",
    "platformdirs.pytest_plugin",
    "xdist.looponfail",
    "<plugin pytester>",
    "dns",
    "rich",
    "click",
    # The suites no smoke test is in, and the modules behind them (suite_marks, the browser
    # package's lazy names).
    "suites.test_browser",
    "suites.test_contracts",
    "suites.test_load",
    "pytest_prodready.browser.facts",
    "pytest_prodready.browser.audits",
    "pytest_prodready.contracts",
    "pytest_prodready.load",
)
# The demo app's stack: served by a child process, never imported by the run itself.
DEMO_STACK = ("uvicorn", "starlette", "fastapi", "trustme")

MODULES_PROBE = """
import gc, json, os, sys

def pytest_unconfigure(config):
    names = sorted(set(sys.modules) | {name.split(".")[0] for name in sys.modules})
    # What the run froze for the garbage collector, as a pseudo-module name.
    names.append(f"<frozen {gc.get_freeze_count()}>")
    # And the plugins it registered, as pseudo-module names too.
    names += [f"<plugin {name}>" for name, _ in config.pluginmanager.list_name_plugin()]
    with open(os.environ["MODULES_OUT"], "w") as out:
        json.dump(names, out)
"""


def _modules_of_a_run(
    tmp_path: Path, *args: str, cache_dir: Path | None = None
) -> tuple[set[str], str]:
    """The top-level modules loaded by ``pytest suites -m smoke --target-env demo *args``,
    run from the repository root, and its output; pytest's cache off unless ``cache_dir``."""
    cache = ("-o", f"cache_dir={cache_dir}") if cache_dir else ("-p", "no:cacheprovider")
    (tmp_path / "modules_probe.py").write_text(MODULES_PROBE, encoding="utf-8")
    out = tmp_path / "modules.json"
    env = child_env(
        {"MODULES_OUT": str(out), "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "suites",
            "-m",
            "smoke",
            "--target-env",
            "demo",
            "-p",
            "modules_probe",
            *cache,
            "-q",
            *args,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    return set(json.loads(out.read_text(encoding="utf-8"))), proc.stdout


def test_a_smoke_run_imports_no_heavy_library(tmp_path: Path) -> None:
    modules, output = _modules_of_a_run(tmp_path)
    assert " passed" in output
    assert not modules & set(HEAVY), sorted(modules & set(HEAVY))
    assert not modules & set(DEMO_STACK), sorted(modules & set(DEMO_STACK))
    assert not modules & set(SPARED), sorted(modules & set(SPARED))
    assert {"<plugin prodready>", "<plugin xdist>"} <= modules  # the probe sees plugins


def test_a_second_smoke_run_reads_the_key_patterns_from_pytests_cache(tmp_path: Path) -> None:
    # The first run imports detect-secrets and keeps its patterns; the second reads them.
    first, _ = _modules_of_a_run(tmp_path, cache_dir=tmp_path / "cache")
    second, output = _modules_of_a_run(tmp_path, cache_dir=tmp_path / "cache")
    assert {"detect_secrets", "requests"} <= first
    assert not second & {"detect_secrets", "requests"}, sorted(second & {"detect_secrets"})
    assert "test_bundle.py" not in output  # both passed


def test_a_run_freezes_what_it_collected_but_a_run_inside_a_run_does_not(
    tmp_path: Path, pytester: pytest.Pytester
) -> None:
    modules, _ = _modules_of_a_run(tmp_path)
    frozen = next(name for name in modules if name.startswith("<frozen "))
    assert int(frozen.removeprefix("<frozen ").rstrip(">")) > 10_000, frozen

    # This test runs inside a run that froze its collection: an in-process run adds nothing.
    assert gc.get_freeze_count() > 0
    before = gc.get_freeze_count()
    pytester.makepyfile(test_inner="def test_inner():\n    assert True\n")
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
    # Frozen objects still go when their last reference does: the count may only shrink.
    assert gc.get_freeze_count() <= before


def test_httpx_command_line_still_works_after_the_deferral() -> None:
    # The stand-in for httpx._main imports the real one when the command is called.
    code = "import sys, pytest_prodready, httpx; sys.argv = ['httpx', '--help']; httpx.main()"
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Usage: httpx" in proc.stdout


def test_the_same_run_without_the_blocks_imports_them(tmp_path: Path) -> None:
    # The probe can fail: with the repository's addopts replaced, the plugins load again.
    modules, _ = _modules_of_a_run(tmp_path, "-o", "addopts=--strict-markers")
    assert {"hypothesis", "schemathesis", "playwright"} <= modules


USERS_OWN_PAGE_TEST = """
def test_my_page_has_a_title(page):
    page.goto("/")
    assert page.title()
"""


def test_browser_tests_run_on_our_chain_when_pytest_playwright_is_blocked(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_mine=USERS_OWN_PAGE_TEST)
    result = pytester.runpytest_subprocess(
        "test_mine.py",
        str(ROOT / "suites" / "test_browser.py"),
        "--target-env=demo",
        "-p",
        "no:playwright",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:xdist",
        "-v",
        timeout=180,
    )
    result.stdout.fnmatch_lines(
        [
            "prodready browser: artifacts off (pytest-playwright is not active)*",
            "*::test_my_page_has_a_title PASSED*",
            "*test_browser.py::test_no_console_errors* PASSED*",
        ]
    )
    assert result.ret == 0, result.stdout.str()[-3000:]


def _settings(tmp_path: Path, **changes: str) -> dict[str, str | None]:
    settings: dict[str, str | None] = {
        "variant": "demo",
        "version": "1.4.2",
        "admin_password": "correct-horse-battery",
        "api_token": "token-for-the-demo-child",
        "request_log": str(tmp_path / "requests.jsonl"),
    }
    settings.update(changes)
    return settings


def _refused(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def test_the_demo_child_serves_then_stops_and_frees_its_ports(tmp_path: Path) -> None:
    demo = DemoProcess(_settings(tmp_path), tmp_path / "demo")
    try:
        demo.ready()
        port = int(demo.base_url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
    finally:
        demo.stop()
    assert demo.process.returncode == 0
    assert _refused(port)


def test_a_demo_child_that_cannot_start_says_why_in_one_line(tmp_path: Path) -> None:
    demo = DemoProcess(_settings(tmp_path, admin_password=""), tmp_path / "demo")
    with pytest.raises(TargetError) as refused:
        demo.ready()
    assert str(refused.value) == "ValueError: admin_password must not be empty"
    assert demo.process.poll() is not None


ORPHAN = """
import sys
from pathlib import Path
from pytest_prodready.target.embedded import DemoProcess
demo = DemoProcess(
    {"variant": "demo", "version": "1", "admin_password": "pw-of-the-orphan",
     "api_token": "tok-of-the-orphan", "request_log": None},
    Path(sys.argv[1]),
)
demo.ready()
print(demo.process.pid, demo.base_url, flush=True)
import os
os._exit(0)  # dies without stopping its demo
"""


def test_the_demo_child_exits_when_the_run_dies(tmp_path: Path) -> None:
    parent = subprocess.run(
        [sys.executable, "-c", ORPHAN, str(tmp_path / "demo")],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env=child_env({"PYTHONPATH": str(ROOT / "src")}),
    )
    pid_text, base_url = parent.stdout.split()
    pid, port = int(pid_text), int(base_url.rsplit(":", 1)[1])
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        os.kill(pid, signal.SIGKILL)
        pytest.fail(f"the orphaned demo (pid {pid}) was still running 15 s after its run died")
    assert _refused(port)


def test_the_demo_request_carries_its_secrets_on_a_pipe_not_the_command_line(
    tmp_path: Path,
) -> None:
    demo = DemoProcess(_settings(tmp_path), tmp_path / "demo")
    try:
        demo.ready()
        command = Path(f"/proc/{demo.process.pid}/cmdline").read_bytes().decode()
    finally:
        demo.stop()
    assert "correct-horse-battery" not in command
    assert textwrap.shorten(command.replace("\0", " "), 200).endswith("pytest_prodready.demo.child")


def test_prodready_init_tells_a_project_to_block_the_plugins_until_it_does() -> None:
    from pytest_prodready.init.render import BLOCKED_PLUGINS, startup_tip

    tip = startup_tip('[tool.pytest.ini_options]\naddopts = ["-p", "no:schemathesis"]\n')
    assert tip is not None
    assert '"-p", "no:hypothesispytest"' in tip
    assert '"-p", "no:xdist.looponfail"' in tip
    assert "docs/performance.md" in tip
    # The tip is valid TOML, and following it silences it.
    advised = tomllib.loads(tip.split("\n", 1)[1])["addopts"]
    assert advised[1::2] == [f"no:{name}" for name in BLOCKED_PLUGINS]
    blocked = "addopts = " + json.dumps(advised)
    assert startup_tip(f"[tool.pytest.ini_options]\n{blocked}\n") is None
    assert startup_tip(f"[tool.pytest.ini_options]\n{blocked.replace('no:locust', '')}\n")
    # This repository follows its own advice.
    assert startup_tip((ROOT / "pyproject.toml").read_text(encoding="utf-8")) is None
