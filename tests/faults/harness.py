"""One fault run: its config and command line, a watchdog, and the judge of its output.

Shared by ``tests/test_faults.py`` and ``benchmarks/reliability.py``. A run is
``python -m pytest <suites> --target-env fault`` in a child process (its own session, so a
watchdog can kill everything it started), against an env whose ``timeout_s`` is
:data:`TIMEOUT_S`. :func:`judge` turns what the child printed into a list of problems: a hang,
a crash or stack dump, a failure that is not one line, a fault nobody named, a test that ran
past its requests' timeouts, and, for a fault with a healthy twin, a peak RSS that grew past
what a capped body explains.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.faults.catalogue import Fault, by_name
from tests.faults.rss_probe import RSS_FILE_VAR
from tests.faults.server import HOST, NO_SUCH_HOST, RELEASE, FaultServer

__all__ = [
    "MARGIN_S",
    "ROOT",
    "TIMEOUT_S",
    "Launch",
    "Outcome",
    "Plan",
    "child_env",
    "failure_blocks",
    "judge",
    "launch",
    "plan",
    "run",
]

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 1.0
# Interpreter start, plugin imports (hypothesis, schemathesis, playwright: ~2.5 s on an idle
# machine) and collection, on a loaded two-core CI runner: generous, it only bounds a hang.
STARTUP_S = 30.0
# What a test may take beyond the timeouts of the requests it makes.
MARGIN_S = 1.0
WAIT_POLL_S = 0.05

# Requests each suite test makes at most against this harness's env (one page, one protected
# page, one guarded endpoint, no latency budget): its timeouts bound the test's duration.
REQUESTS_PER_TEST: Mapping[str, int] = {
    "test_health_endpoint": 1,
    "test_release_is_the_expected_one": 1,
    "test_page_answers": 1,
    "test_protected_page_refuses_anonymous": 1,
    "test_guarded_endpoint_refuses_unauthenticated": 1,
    "test_certificate_and_protocols": 4,  # verifying, unverified, TLS 1.0, TLS 1.1 handshakes
    "test_http_redirects_to_https": 5,  # the redirect probe's hop limit
    "test_security_headers": 1,
    "test_no_leaky_headers": 1,
    "test_caching_and_compression": 1,
    "test_content_security_policy": 2,  # the nonce check fetches the page again
    "test_cookie_flags": 1,
    "test_cors_refuses_hostile_origins": 8,
    "test_no_exposed_files": 40,  # expect.max_exposure_requests
    "test_error_pages_leak_no_debug_output": 1,
    # The page and the scripts it and its manifests name (the harness's pages name few, and
    # [envs.X.bundle] max_assets bounds them); the production-build test reads the same ones.
    "test_no_secrets_in_public_assets": 21,
    "test_bundle_is_a_production_build": 21,
    "test_pages_within_weight_budgets": 21,  # the page, its scripts, styles and fonts
    "test_rate_limit_is_enforced": 13,  # limit + 10 at most
    "test_rate_limit_resets_after_retry_after": 1,
    # An operation whose every request times out: one in the coverage phase, then three in
    # fuzzing (Hypothesis replays a failing example before it reports it), whatever the
    # example budget; the document itself is loaded at collection.
    "test_operation": 4,
}
MIN_TESTS = 3  # "the session goes on": every run has several tests, each reported

# pytest's exit codes that mean the run itself went through: tests passed, or some failed.
FINISHED = (0, 1)
FORBIDDEN = ("Traceback", "INTERNALERROR", "httpcore", "httpx/_", "site-packages")
SECTION = re.compile(r"^=+ (FAILURES|ERRORS) =+$")
ANY_SECTION = re.compile(r"^=+ .* =+$")
# pytest pads titles with separators, down to one character each side for a long title;
# a traceback's own separator ("_ _ _ ...") has no letter in it.
BLOCK = re.compile(r"^_+ (.*[A-Za-z].*?) _+$")
SUBSECTION = re.compile(r"^-+ (.+?) -+$")
FINDINGS_HEAD = re.compile(r"^\d+ findings?:$")


@dataclass(frozen=True)
class Plan:
    """One run: the command line (after ``python -m pytest``), its files and its watchdog."""

    fault: Fault
    args: tuple[str, ...]
    config: Path
    junit: Path
    watchdog_s: float


@dataclass(frozen=True)
class Launch:
    """What a child process did: exit code (None if the watchdog killed it), output, time,
    and its peak resident memory (see :mod:`tests.faults.rss_probe`)."""

    ret: int | None
    output: str
    wall_s: float
    max_rss_mb: float | None


@dataclass(frozen=True)
class Timing:
    """One test of a run, from its JUnit XML."""

    name: str
    outcome: str
    seconds: float


@dataclass
class Outcome:
    """A judged run: ``problems`` empty means the fault was reported cleanly."""

    fault: Fault
    launch: Launch
    tests: list[Timing] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    max_overrun_s: float = float("-inf")
    worst_test: str = ""

    @property
    def hung(self) -> bool:
        return self.launch.ret is None

    def report(self) -> str:
        lines = [
            f"fault {self.fault.name!r} ({self.fault.does}): "
            f"exit {self.launch.ret}, {self.launch.wall_s:.1f} s, "
            f"{len(self.tests)} tests, max RSS {self.launch.max_rss_mb or 0:.0f} MB",
            *(f"- {problem}" for problem in self.problems),
        ]
        return "\n".join(lines)


def base_url(server: FaultServer, fault: Fault) -> str:
    if fault.listener == "http":
        return f"http://{HOST}:{server.http_port}/{fault.name}"
    if fault.listener == "https":
        return f"https://{HOST}:{server.ports['tls-good']}/{fault.name}"
    if fault.listener == "refused":
        return f"http://{HOST}:{server.closed_port}"
    if fault.listener == "dns":
        return f"https://{NO_SUCH_HOST}"
    if fault.listener == "http-on-https":
        return f"https://{HOST}:{server.http_port}/ok"
    scheme = "https" if fault.name.startswith("tls-") else "http"
    return f"{scheme}://{HOST}:{server.ports[fault.name]}/ok"


def http_url(server: FaultServer, fault: Fault) -> str | None:
    """Where the TLS suite starts its redirect probe; never port 80 of this machine."""
    plain = f"http://{HOST}:{server.http_port}"
    if fault.redirect_probe:
        return f"{plain}/{fault.name}"
    if fault.listener == "dns":
        return f"{plain}/via-dns"
    if fault.listener == "port" and fault.name.startswith("tls-"):
        return f"{plain}/via-{server.ports[fault.name]}"
    if fault.listener == "http-on-https":
        return f"{plain}/ok"
    return None


def write_config(
    path: Path, server: FaultServer, fault: Fault, *, max_body_mb: float | None = None
) -> Path:
    url = base_url(server, fault)
    lines = [
        "[envs.fault]",
        f'base_url = "{url}"',
        f"timeout_s = {TIMEOUT_S:g}",
        'pages = ["/"]',
        'protected_pages = ["/dashboard"]',
        f'release = {{ expect = "{RELEASE}" }}',
    ]
    redirect_from = http_url(server, fault)
    if redirect_from is not None:
        lines.append(f'http_url = "{redirect_from}"')
    if url.startswith("https://"):
        lines.append(f'ca_bundle = "{server.ca_bundle}"')
    else:
        lines.append("plain_http = true")  # a local test server: plain HTTP on purpose
    if max_body_mb is None:
        max_body_mb = fault.max_body_mb
    if max_body_mb is not None:
        lines.append(f"max_body_mb = {max_body_mb:g}")
    if fault.env_toml:
        lines.append(fault.env_toml.strip("\n"))
    lines += ["[[envs.fault.guarded_endpoints]]", 'path = "/api/cron/cleanup"', 'method = "GET"']
    extra = fault.extra_toml.replace("{origin}", url.split("/", 3)[0] + "//" + url.split("/")[2])
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path


def watchdog_s(fault: Fault) -> float:
    """Startup, plus every request of every test timing out, plus the fault's sleeps."""
    per_suite = {
        "suites/test_health.py": 1,
        "suites/test_release.py": 1,
        "suites/test_pages.py": 3,
        "suites/test_tls.py": 9,
        "suites/test_headers.py": 3,
        "suites/test_rate_limits.py": 14,
        "suites/test_contracts.py": 1 + REQUESTS_PER_TEST["test_operation"],
    }
    smoke = sum(REQUESTS_PER_TEST.values()) + 8  # a few tests run once per page
    requests = sum(per_suite.get(suite, smoke) for suite in fault.suites)
    # Connection errors are retried twice with 0.25 s and 0.5 s of backoff.
    return STARTUP_S + requests * (TIMEOUT_S + 0.75) + sum(fault.extra_s.values())


def plan(
    server: FaultServer, fault: Fault, workdir: Path, *, max_body_mb: float | None = None
) -> Plan:
    workdir.mkdir(parents=True, exist_ok=True)
    config = write_config(workdir / "prodready.toml", server, fault, max_body_mb=max_body_mb)
    junit = workdir / "junit.xml"
    args = [
        *(str(ROOT / suite) for suite in fault.suites),
        "--prodready-config",
        str(config),
        "--target-env",
        "fault",
        "-p",
        "no:cacheprovider",
        "-rfE",
        "--junitxml",
        str(junit),
    ]
    if fault.marker:
        args += ["-m", fault.marker]
    return Plan(fault, tuple(args), config, junit, watchdog_s(fault))


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without what would change the child's run: our own
    PRODREADY_* settings, PYTEST_ADDOPTS, and xdist's worker variables."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PRODREADY_", "PYTEST_"))
    }
    env.update(extra or {})
    return env


def launch(
    args: Sequence[str],
    *,
    cwd: Path,
    watchdog_s: float,
    env: Mapping[str, str] | None = None,
) -> Launch:
    """``python -m pytest *args`` in its own session; SIGKILL to the whole session when the
    watchdog fires. Its peak RSS comes from :mod:`tests.faults.rss_probe` (its own memory
    only), else from ``wait4`` (which counts the parent's pages too)."""
    rss_file = Path(tempfile.mkstemp(prefix="fault-rss-")[1])
    base = dict(env) if env is not None else child_env()
    path = os.pathsep.join(filter(None, [str(ROOT), base.get("PYTHONPATH")]))
    base.update({RSS_FILE_VAR: str(rss_file), "PYTHONPATH": path})
    with tempfile.TemporaryFile() as out:
        start = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "pytest", "-p", "tests.faults.rss_probe", *args],
            cwd=cwd,
            env=base,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        ret: int | None = None
        rss_mb: float | None = None
        deadline = start + watchdog_s
        # Bounded by the watchdog: polls until the child exits or its time is up.
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                ret = os.waitstatus_to_exitcode(status)
                rss_mb = usage.ru_maxrss / 1024  # KiB on Linux
                break
            if time.monotonic() > deadline:
                _kill_session(proc.pid)
                os.wait4(proc.pid, 0)
                break
            time.sleep(WAIT_POLL_S)
        # Reaped here already: stop Popen from waiting for it again.
        proc.returncode = ret if ret is not None else -signal.SIGKILL
        wall = time.monotonic() - start
        out.seek(0)
        output = out.read().decode("utf-8", "replace")
    probed = rss_file.read_text().strip()
    rss_file.unlink()
    if probed:
        rss_mb = int(probed) / 1024
    return Launch(ret, output, wall, rss_mb)


def _kill_session(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # it ended on its own meanwhile
        os.killpg(pid, signal.SIGKILL)


def run(
    server: FaultServer, fault: Fault, workdir: Path, env: Mapping[str, str] | None = None
) -> Outcome:
    """Plan, launch and judge one fault (after its healthy twin, for a memory baseline)."""
    baseline = None
    if fault.healthy_twin is not None:
        baseline = baseline_rss_mb(server, fault.healthy_twin, workdir.parent, env)
    the_plan = plan(server, fault, workdir)
    result = launch(the_plan.args, cwd=workdir, watchdog_s=the_plan.watchdog_s, env=env)
    return judge(the_plan, result, baseline_rss_mb=baseline)


_baselines: dict[tuple[int, str], float | None] = {}
_baselines_lock = threading.Lock()


def baseline_rss_mb(
    server: FaultServer, name: str, workdir: Path, env: Mapping[str, str] | None = None
) -> float | None:
    """Peak RSS of a run against the passing fault ``name``: once per server and process
    (fault runs share it from several threads)."""
    key = (server.http_port, name)
    with _baselines_lock:
        if key not in _baselines:
            the_plan = plan(server, by_name(name), workdir / f"baseline-{name}")
            result = launch(
                the_plan.args, cwd=the_plan.config.parent, watchdog_s=the_plan.watchdog_s, env=env
            )
            _baselines[key] = result.max_rss_mb if result.ret == 0 else None
        return _baselines[key]


def failure_blocks(output: str) -> dict[str, tuple[str, str]]:
    """Each failure and error of pytest's terminal report: title → (message, whole block).

    The message is the block without its ``Captured ...`` sections: what the test said.
    """
    blocks: dict[str, tuple[str, str]] = {}
    in_section = False
    title: str | None = None
    message: list[str] = []
    whole: list[str] = []
    in_captured = False

    def close() -> None:
        if title is not None:
            blocks[title] = ("\n".join(message).strip("\n"), "\n".join(whole))

    for line in output.splitlines():
        if SECTION.match(line):
            close()
            in_section, title = True, None
            continue
        if ANY_SECTION.match(line):
            close()
            in_section, title = False, None
            continue
        if not in_section:
            continue
        header = BLOCK.match(line)
        if header:
            close()
            title, message, whole, in_captured = header.group(1), [], [], False
            continue
        if title is None:
            continue
        sub = SUBSECTION.match(line)
        if sub and not sub.group(1).startswith("Captured "):
            # "generated xml file", "prodready summary", ...: the last block is over.
            close()
            title = None
            continue
        whole.append(line)
        if sub:
            in_captured = True
        if not in_captured:
            message.append(line)
    close()
    return blocks


def _tests(junit: Path) -> list[Timing]:
    try:
        root = ET.parse(junit).getroot()
    except (OSError, ET.ParseError):
        return []
    tests = []
    for case in root.iter("testcase"):
        outcome = "passed"
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                outcome = child.tag
        tests.append(Timing(case.get("name", "?"), outcome, float(case.get("time", "0"))))
    return tests


def _function(title: str) -> str:
    """``test_x`` from a report title: ``test_x[param]`` or ``ERROR at setup of test_x``."""
    return re.sub(r"^ERROR at \w+ of ", "", title).split("[")[0]


def _gist(message: str) -> str:
    """What a failure says: its ``E`` lines and last location when it is a stack dump
    (the first lines of a dump are the test's arguments and source), else itself."""
    lines = message.strip("\n").splitlines()
    raised = [line for line in lines if line.startswith("E ")]
    if not raised:
        return "\n".join(lines)
    where = [line for line in lines if re.match(r"^\S+\.py:\d+: \w", line)]
    return "\n".join(raised[-4:] + where[-1:])


def _first_line(message: str) -> str:
    """The line that says what failed: the first, or each finding's start for a list."""
    lines = _gist(message).splitlines()
    if not lines:
        return "(empty)"
    if FINDINGS_HEAD.match(lines[0]):
        return " | ".join(line[:140] for line in lines[1:4])
    return lines[0][:300]


def _memory_problems(fault: Fault, result: Launch, baseline_mb: float | None) -> list[str]:
    if fault.max_rss_growth_mb is None:
        return []
    if baseline_mb is None or result.max_rss_mb is None:
        return [f"no peak RSS to compare (this run: {result.max_rss_mb}, baseline: {baseline_mb})"]
    grown = result.max_rss_mb - baseline_mb
    if grown <= fault.max_rss_growth_mb:
        return []
    return [
        f"peak RSS {result.max_rss_mb:.0f} MB, {grown:.0f} MB above the same suites against "
        f"{fault.healthy_twin!r} ({baseline_mb:.0f} MB), with max_body_mb = "
        f"{fault.max_body_mb:g}: more than {fault.max_rss_growth_mb:g} MB means a body, or its "
        "decompression, was not stopped at the cap"
    ]


def _excerpt(text: str, lines: int = 8) -> str:
    kept = text.strip("\n").splitlines()
    cut = "\n    ".join(line[:300] for line in kept[:lines])
    return cut + (f"\n    ... ({len(kept) - lines} more lines)" if len(kept) > lines else "")


def _published(the_plan: Plan, output: str) -> list[str]:
    """The fault's forbidden texts (a canary it tried to leak) found in what the run showed."""
    junit = the_plan.junit.read_text() if the_plan.junit.exists() else ""
    return [
        f"{text!r} was published (terminal or JUnit): it must not be"
        for text in the_plan.fault.forbid
        if text in output + junit
    ]


def judge(the_plan: Plan, result: Launch, *, baseline_rss_mb: float | None = None) -> Outcome:
    """Everything wrong with how the run reported its fault (see the module docstring);
    ``baseline_rss_mb`` is the peak RSS of its healthy twin, when it has one."""
    fault = the_plan.fault
    outcome = Outcome(fault, result)
    problems = outcome.problems
    output = result.output
    if result.ret is None:
        problems.append(
            f"hang: the run was still going after its {the_plan.watchdog_s:.0f} s watchdog "
            f"and was killed; its last output:\n    {_excerpt(output[-3000:], 15)}"
        )
        return outcome
    if result.ret not in FINISHED:
        problems.append(
            f"the run did not finish its tests: exit code {result.ret}; its output ends:\n"
            f"    {_excerpt(output[-3000:], 15)}"
        )
    for token in ("INTERNALERROR", "Traceback"):
        if token in output:
            at = output.index(token)
            problems.append(
                f"{token!r} in the output:\n    {_excerpt(output[max(0, at - 300) : at + 1500])}"
            )
    outcome.tests = _tests(the_plan.junit)
    if len(outcome.tests) < MIN_TESTS:
        problems.append(f"only {len(outcome.tests)} test(s) reported; expected several")
    blocks = failure_blocks(output)
    outcome.failures = {title: message for title, (message, _) in blocks.items()}
    failed = [t for t in outcome.tests if t.outcome in ("failure", "error")]
    if len(blocks) != len(failed):
        problems.append(
            f"{len(failed)} tests failed or errored, but the terminal report shows "
            f"{len(blocks)} failure sections"
        )
    for title, (message, whole) in blocks.items():
        lines = [line for line in message.splitlines() if line.strip()]
        one_line = len(lines) == 1
        findings = bool(lines) and bool(FINDINGS_HEAD.match(lines[0]))
        findings = findings and all(line.startswith("- ") for line in lines[1:])
        dumped = [token for token in FORBIDDEN if token in whole]
        if not (one_line or findings) or dumped:
            what = f" (contains {', '.join(map(repr, dumped))})" if dumped else ""
            problems.append(
                f"{title}: not a one-line failure{what}:\n    {_excerpt(_gist(message))}"
            )
    if fault.passes and (result.ret != 0 or blocks):
        firsts = "; ".join(f"{t}: {_first_line(m)}" for t, (m, _) in blocks.items())
        problems.append(f"valid HTTP must pass every test; failed: {firsts[:1500]}")
    problems += _published(the_plan, output)
    for pattern in fault.expect:
        if not any(re.search(pattern, message) for message in outcome.failures.values()):
            said = "\n    ".join(
                f"{title}: {_first_line(message)}" for title, message in outcome.failures.items()
            )
            problems.append(
                f"no failure names the fault (/{pattern}/); the failures said:\n    "
                f"{said or '(nothing failed)'}"
            )
    outcomes = {test.name.split("[")[0]: test.outcome for test in outcome.tests}
    for function, pattern in fault.expect_in.items():
        own = [m for t, m in outcome.failures.items() if _function(t) == function]
        if not any(re.search(pattern, message) for message in own):
            said = "; ".join(_first_line(message) for message in own)
            seen = outcomes.get(function, "not run")
            problems.append(
                f"{function} does not name the fault (/{pattern}/): "
                f"{said or f'it did not fail ({seen})'}"
            )
    problems += _memory_problems(fault, result, baseline_rss_mb)
    for test in outcome.tests:
        function = test.name.split("[")[0]
        allowed = REQUESTS_PER_TEST.get(function, 1) * TIMEOUT_S + fault.extra_s.get(function, 0)
        overrun = test.seconds - allowed
        if overrun > outcome.max_overrun_s:
            outcome.max_overrun_s, outcome.worst_test = overrun, test.name
        if overrun > MARGIN_S:
            problems.append(
                f"{test.name} took {test.seconds:.1f} s: {overrun:.1f} s beyond the "
                f"{allowed:g} s its requests' timeouts allow (margin {MARGIN_S:g} s)"
            )
    return outcome
