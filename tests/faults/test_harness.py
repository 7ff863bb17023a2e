"""The harness's own guarantees: its watchdog kills a hung run and all it started, and its
judge tells one-line failures and findings lists from stack dumps."""

from __future__ import annotations

from pathlib import Path

from tests.faults import harness
from tests.faults.catalogue import Fault
from tests.faults.procs import alive

HUNG_TEST = """
import pathlib, subprocess, sys, time

def test_hangs():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    pathlib.Path("grandchild.pid").write_text(str(child.pid))
    time.sleep(120)
"""


def test_watchdog_kills_the_run_and_what_it_started(tmp_path: Path) -> None:
    (tmp_path / "test_hung.py").write_text(HUNG_TEST)
    # Generous: on a loaded two-core runner the child pytest alone can take several seconds to
    # reach the test that starts the grandchild.
    result = harness.launch(["test_hung.py", "-p", "no:cacheprovider"], cwd=tmp_path, watchdog_s=20)
    assert result.ret is None
    assert result.wall_s < 20 + 3
    grandchild = int((tmp_path / "grandchild.pid").read_text())
    assert not alive(grandchild)


OUTPUT = """\
============================= test session starts ==============================
collected 4 items

suites/test_a.py FFF.                                                    [100%]

=================================== FAILURES ===================================
_ test_one_line[/a-very-long-parameter-that-leaves-room-for-one-underscore-only] _
read timed out after 1 s on GET http://127.0.0.1:1/api/health: the target did not answer in time
________________________________ test_findings _________________________________
2 findings:
- [HIGH] health.not-json  Health endpoint does not answer JSON (evidence: x) at u → fix: y
- [LOW] xcto.missing  No X-Content-Type-Options header (evidence: x) at u → fix: y
----------------------------- Captured stdout call -----------------------------
printed by the test
_________________________________ test_crashes _________________________________

    def test_crashes():
>       json.loads("[" * 100000)
E       RecursionError: maximum recursion depth exceeded

suites/test_a.py:3: RecursionError
- generated xml file: /tmp/a-very-long-path-that-leaves-room-for-one-dash-only/junit.xml -
=========================== short test summary info ============================
FAILED suites/test_a.py::test_one_line[/a] - read timed out after 1 s on GET
========================= 3 failed, 1 passed in 2.00s ==========================
"""

JUNIT = """\
<testsuites><testsuite>
<testcase name="test_one_line[/a]" time="1.04"><failure message="x"/></testcase>
<testcase name="test_findings" time="0.01"><failure message="x"/></testcase>
<testcase name="test_crashes" time="0.02"><failure message="x"/></testcase>
<testcase name="test_passes" time="2.50"/>
</testsuite></testsuites>
"""


def test_failure_blocks_split_messages_from_captured_output() -> None:
    blocks = harness.failure_blocks(OUTPUT)
    assert list(blocks) == [
        "test_one_line[/a-very-long-parameter-that-leaves-room-for-one-underscore-only]",
        "test_findings",
        "test_crashes",
    ]
    message, whole = blocks["test_findings"]
    assert message.splitlines()[0] == "2 findings:"
    assert "printed by the test" not in message
    assert "printed by the test" in whole
    assert "generated xml file" not in blocks["test_crashes"][1]


def test_judge_names_the_stack_dump_the_missing_name_and_the_overrun(tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    junit.write_text(JUNIT)
    fault = Fault("demo", "a fault", expect=(r"health\.not-json", r"tls\.expired"))
    the_plan = harness.Plan(fault, (), tmp_path / "prodready.toml", junit, watchdog_s=30)
    outcome = harness.judge(the_plan, harness.Launch(1, OUTPUT, 3.0, 90.0))
    problems = "\n".join(outcome.problems)
    assert "test_crashes: not a one-line failure" in problems
    assert "RecursionError" in problems
    assert not [p for p in outcome.problems if p.startswith(("test_one_line", "test_findings"))]
    assert "/tls\\.expired/" in problems
    assert "/health\\.not-json/" not in problems
    assert "test_passes took 2.5 s: 1.5 s beyond" in problems
    assert len(outcome.problems) == 3


def test_judge_calls_a_killed_run_a_hang(tmp_path: Path) -> None:
    fault = Fault("demo", "a fault")
    the_plan = harness.Plan(fault, (), tmp_path / "c", tmp_path / "j", watchdog_s=30)
    outcome = harness.judge(the_plan, harness.Launch(None, "tests running...", 30.0, None))
    assert outcome.hung
    assert outcome.problems[0].startswith("hang: the run was still going after its 30 s")
    assert outcome.report().startswith("fault 'demo' (a fault): exit None")
