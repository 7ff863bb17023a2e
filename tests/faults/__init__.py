"""Fault injection: a misbehaving server on 127.0.0.1 and a harness that runs the suites
against each of its faults, proving that a broken target never hangs a run, never crashes it
with a traceback, never exhausts its memory and is always named in one line.

- :mod:`tests.faults.server`: the server (one behaviour per path, or per port when the fault
  is at connection or TLS level).
- :mod:`tests.faults.catalogue`: the faults, which suites each one is run with, and the line
  that must name it.
- :mod:`tests.faults.harness`: config, command line and watchdog of one run, and the judge of
  its output (shared by ``tests/test_faults.py`` and ``benchmarks/reliability.py``).
- :mod:`tests.faults.configs`: malformed configurations that must each be refused in one
  paragraph.
"""
