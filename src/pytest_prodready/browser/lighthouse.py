"""Lighthouse in a child process on the system Chromium: find it, run it bounded, leave nothing.

Lighthouse is a Node program (the ``lighthouse`` npm package, 12.x: 13 needs Node 22.19).
It is found by ``PRODREADY_LIGHTHOUSE`` (the CLI's path), then ``node_modules/.bin/lighthouse``
in the project (the rootdir), then ``lighthouse`` on ``PATH``; ``node`` must be on ``PATH``.

Each run gets a directory of its own under ``parent`` (the run's artifact directory) for its
report and log, and a short one under ``/tmp`` for Chromium. chrome-launcher starts Chromium
*detached* (its own process group, its profile in ``mktemp -d`` under ``TMPDIR``), so killing
Lighthouse's group would leave Chromium running: ``TMPDIR`` points at the short directory, and
after every run (and at once on a timeout) each process whose command line names it has its
process group killed. Short, because Chromium puts its singleton socket under ``TMPDIR`` too
and a Unix socket path longer than 107 bytes makes it fail to start ("Unable to connect to
Chrome"). Chromium trusts a private CA the way the browser suite's does: the
leaf certificate, verified in Python against ``ca_bundle``, pinned with
``--ignore-certificate-errors-spki-list`` (never ``--ignore-certificate-errors``).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_CPU_SLOWDOWN",
    "INSTALL_HINT",
    "LIGHTHOUSE_VAR",
    "LighthouseRun",
    "LighthouseTool",
    "benchmark_index",
    "calibrated_slowdown",
    "find_lighthouse",
    "lighthouse_command",
    "run_lighthouse",
    "sweep",
]

LIGHTHOUSE_VAR = "PRODREADY_LIGHTHOUSE"
INSTALL_HINT = (
    "install it with npm install -g lighthouse@12 (Node >= 18.16), or point "
    f"{LIGHTHOUSE_VAR} at a lighthouse CLI"
)
CATEGORY_IDS = ("performance", "accessibility", "best-practices", "seo")
# How long a killed run's processes get to disappear before the sweep gives up looking.
_REAP_S = 5.0
_SHORT_TMP = Path("/tmp")
# Lighthouse's mobile CPU slowdown, and the benchmark index of the host it is meant for: it
# warns that a host scoring below 1000 is slower than it expects ("calibrate the multiplier",
# its docs/throttling.md); 4x on such a host emulates a low-end phone (~250).
DEFAULT_CPU_SLOWDOWN = 4.0
REFERENCE_BENCHMARK = 1000.0
# Lighthouse's BenchmarkIndex (core/lib/page-functions.js computeBenchmarkIndex, Apache-2.0):
# the same two loops, in a blank page of the same Chromium, result in the title.
_BENCHMARK_PAGE = """<title>-</title><script>
function gc(){const t=Date.now();let n=0;while(Date.now()-t<500){let s='';
for(let j=0;j<10000;j++)s+='a';if(s.length===1)throw new Error('no');n++}
return Math.round(n/10/((Date.now()-t)/1000))}
function copy(){const a=[],b=[];for(let i=0;i<100000;i++)a[i]=b[i]=i;const t=Date.now();let n=0;
while(n%10!==0||Date.now()-t<500){const s=n%2===0?a:b,d=n%2===0?b:a;
for(let j=0;j<s.length;j++)d[j]=s[j];n++}return Math.round(n/10/((Date.now()-t)/1000))}
document.title='benchmark-index:'+((gc()+copy())/2);
</script>"""


@dataclass(frozen=True)
class LighthouseTool:
    """The Lighthouse CLI and the ``node`` that runs it, or the one line saying why not."""

    cli: Path | None
    node: Path | None
    origin: str
    problem: str | None = None

    @property
    def found(self) -> bool:
        return self.problem is None


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def find_lighthouse(
    rootdir: Path, environ: Mapping[str, str], which: Callable[[str], str | None] = shutil.which
) -> LighthouseTool:
    """The CLI, by precedence: ``PRODREADY_LIGHTHOUSE`` (never replaced by another one when it
    does not exist), ``node_modules/.bin/lighthouse`` under ``rootdir``, ``lighthouse`` on
    ``PATH``."""
    node_path = which("node")
    node = Path(node_path) if node_path else None
    explicit = environ.get(LIGHTHOUSE_VAR)
    if explicit:
        cli, origin = Path(explicit), f"{LIGHTHOUSE_VAR} environment variable"
        if not _executable(cli) and not (cli.is_file() and cli.suffix == ".js"):
            return LighthouseTool(
                None,
                node,
                origin,
                f"prodready: no Lighthouse: {origin} points at {cli}, which is not an "
                f"executable file; {INSTALL_HINT}",
            )
    else:
        local = rootdir / "node_modules" / ".bin" / "lighthouse"
        on_path = which("lighthouse")
        if _executable(local):
            cli, origin = local, f"node_modules/.bin in {rootdir}"
        elif on_path:
            cli, origin = Path(on_path), "PATH"
        else:
            return LighthouseTool(
                None,
                node,
                "nowhere",
                f"prodready: no Lighthouse (looked at {LIGHTHOUSE_VAR}, "
                f"{local} and PATH): {INSTALL_HINT}",
            )
    if node is None:
        return LighthouseTool(
            cli,
            None,
            origin,
            "prodready: Lighthouse needs Node.js and no node is on PATH: install Node >= 18.16 "
            "(Debian/Ubuntu: apt-get install nodejs)",
        )
    return LighthouseTool(cli, node, origin)


def _argv0(tool: LighthouseTool) -> list[str]:
    """npm links ``.bin/lighthouse`` to a JavaScript file: run it with the ``node`` found, so
    the one on PATH is the one a too-old-Node message names."""
    assert tool.cli is not None
    assert tool.node is not None
    target = tool.cli.resolve()
    try:
        head = target.read_bytes()[:128]
    except OSError:
        head = b""
    if target.suffix in (".js", ".mjs", ".cjs") or (head.startswith(b"#!") and b"node" in head):
        return [str(tool.node), str(target)]
    return [str(tool.cli)]


def lighthouse_command(
    tool: LighthouseTool,
    url: str,
    output: Path,
    *,
    form_factor: str,
    chrome_switches: Sequence[str],
    max_wait_ms: int,
    cpu_slowdown: float | None = None,
) -> list[str]:
    """The Lighthouse 12 command line (flags as in its ``cli/cli-flags.js``)."""
    command = [
        *_argv0(tool),
        url,
        "--output=json",
        f"--output-path={output}",
        f"--only-categories={','.join(CATEGORY_IDS)}",
        f"--max-wait-for-load={max_wait_ms}",
        # The report is kept only with a finding; the full-page image would multiply its size.
        "--disable-full-page-screenshot",
        "--no-enable-error-reporting",
        "--quiet",
        f"--chrome-flags={' '.join(['--headless=new', *chrome_switches])}",
    ]
    if form_factor == "desktop":
        # The desktop preset: desktop screen, user agent and (lighter) throttling together.
        command.append("--preset=desktop")
    if cpu_slowdown is not None:
        command.append(f"--throttling.cpuSlowdownMultiplier={cpu_slowdown:g}")
    return command


@dataclass(frozen=True)
class LighthouseRun:
    """One run: its JSON report (parsed), or the one line saying why there is none."""

    report: Mapping[str, Any] | None
    seconds: float
    error: str | None = None
    text: str = ""


def _processes_naming(marker: str) -> list[tuple[int, int]]:
    """(pid, process group) of every process whose command line contains ``marker``."""
    found: list[tuple[int, int]] = []
    proc = Path("/proc")
    if not proc.is_dir():
        return found
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            if marker.encode() in cmdline:
                pid = int(entry.name)
                found.append((pid, os.getpgid(pid)))
        except (OSError, ProcessLookupError):
            continue
    return found


def sweep(workdir: Path) -> list[int]:
    """Kill every process group with a process whose command line names ``workdir`` (Chromium
    and its helpers, which chrome-launcher detaches), and those its ``chrome.pid`` files name.
    Returns the groups killed."""
    own = os.getpgid(0)
    groups: set[int] = set()
    for pid_file in workdir.glob("**/chrome.pid"):
        with contextlib.suppress(OSError, ValueError, ProcessLookupError):
            groups.add(os.getpgid(int(pid_file.read_text().strip())))
    deadline = time.monotonic() + _REAP_S
    killed: set[int] = set()
    while True:
        groups |= {group for _, group in _processes_naming(str(workdir))}
        groups.discard(own)  # never this process's own group (pytest's)
        if not groups - killed and not _processes_naming(str(workdir)):
            break
        for group in groups:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(group, signal.SIGKILL)
        killed |= groups
        if time.monotonic() > deadline:
            break
        time.sleep(0.1)
    return sorted(killed)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=_REAP_S)


def _last_line(path: Path) -> str:
    try:
        lines = [ln.strip() for ln in path.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return ""
    # Lighthouse's own errors start with "Runtime error encountered:" or name the problem.
    for line in lines:
        if "error" in line.lower():
            return line[:300]
    return lines[-1][:300] if lines else ""


def run_lighthouse(
    tool: LighthouseTool,
    url: str,
    *,
    chromium: Path,
    chrome_switches: Sequence[str],
    form_factor: str,
    max_wait_ms: int,
    timeout_s: float,
    parent: Path,
    cpu_slowdown: float | None = None,
) -> LighthouseRun:
    """One Lighthouse run of ``url``, bounded by ``timeout_s``; its working directory (under
    ``parent``) and every process it started are gone when this returns."""
    parent.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="lighthouse-", dir=parent))
    output, log = workdir / "report.json", workdir / "lighthouse.log"
    short = Path(
        tempfile.mkdtemp(prefix="prodready-lh-", dir=_SHORT_TMP if _SHORT_TMP.is_dir() else None)
    )
    env = {
        **os.environ,
        "CHROME_PATH": str(chromium),
        # chrome-launcher makes Chromium's profile with mktemp: in here, where sweep finds it.
        "TMPDIR": str(short),
    }
    command = lighthouse_command(
        tool,
        url,
        output,
        form_factor=form_factor,
        chrome_switches=chrome_switches,
        max_wait_ms=max_wait_ms,
        cpu_slowdown=cpu_slowdown,
    )
    started = time.monotonic()
    try:
        with log.open("wb") as sink:
            proc = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=workdir,
                start_new_session=True,
            )
            try:
                code = proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                _stop(proc)
                sweep(short)
                return LighthouseRun(
                    None,
                    time.monotonic() - started,
                    f"Lighthouse ran past {timeout_s:g} s on {url} and was stopped with its "
                    "Chromium; raise [envs.X.lighthouse] timeout_s if the page is that slow",
                )
        seconds = time.monotonic() - started
        sweep(short)
        try:
            text = output.read_text(encoding="utf-8")
            report = json.loads(text)
        except (OSError, ValueError):
            why = _last_line(log) or f"exit status {code}"
            return LighthouseRun(None, seconds, f"Lighthouse failed on {url}: {why}")
        runtime_error = report.get("runtimeError") if isinstance(report, dict) else None
        if isinstance(runtime_error, dict) and runtime_error.get("code"):
            message = str(runtime_error.get("message", "")).strip()
            return LighthouseRun(
                None,
                seconds,
                f"Lighthouse could not audit {url}: {runtime_error['code']}: {message[:300]}",
            )
        return LighthouseRun(report, seconds, text=text)
    finally:
        sweep(short)
        shutil.rmtree(short, ignore_errors=True)
        shutil.rmtree(workdir, ignore_errors=True)


def calibrated_slowdown(index: float) -> float:
    """The CPU slowdown that makes a host of benchmark ``index`` emulate what Lighthouse's 4x
    emulates on the host it expects: 4x from 1000 up, proportionally less below, at least 1x."""
    scaled = DEFAULT_CPU_SLOWDOWN * index / REFERENCE_BENCHMARK
    return round(min(DEFAULT_CPU_SLOWDOWN, max(1.0, scaled)), 1)


def benchmark_index(
    chromium: Path, chrome_switches: Sequence[str], timeout_s: float
) -> float | None:
    """Lighthouse's benchmark index of this host, measured in a blank page of ``chromium``
    (about 1 s of work); None when it cannot be measured. Bounded and swept like a run."""
    from urllib.parse import quote

    short = Path(
        tempfile.mkdtemp(prefix="prodready-lh-", dir=_SHORT_TMP if _SHORT_TMP.is_dir() else None)
    )
    command = [
        str(chromium),
        "--headless=new",
        *chrome_switches,
        f"--user-data-dir={short}",
        "--dump-dom",
        "data:text/html," + quote(_BENCHMARK_PAGE),
    ]
    try:
        proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "TMPDIR": str(short)},
            start_new_session=True,
        )
        try:
            out, _ = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            _stop(proc)
            return None
        found = re.search(rb"<title>benchmark-index:([0-9.]+)</title>", out)
        return float(found.group(1)) if found else None
    except OSError:
        return None
    finally:
        sweep(short)
        shutil.rmtree(short, ignore_errors=True)
