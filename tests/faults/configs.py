"""Malformed configurations: each must stop the run before any test with one paragraph,
``ERROR: prodready: ...`` on one line, naming the file and the key (exit code 4, no traceback).

A case is a ``prodready.toml`` (``{locustfile}`` is replaced by a locustfile that exists, so
load cases fail on their caps, not on a missing file) and the target env to select.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["BAD_CONFIGS", "BadConfig", "judge_usage_error", "write_case"]

OK_ENV = '[envs.prod]\nbase_url = "https://prod.example.com"\n'
LOAD = OK_ENV + '[envs.prod.load]\nlocustfile = "{locustfile}"\n'
ACCEPT = OK_ENV + "[[envs.prod.accept]]\n"


@dataclass(frozen=True)
class BadConfig:
    """A malformed configuration, and what its error must name besides the file."""

    name: str
    toml: str
    names: tuple[str, ...]
    env: str = "prod"
    raw: bytes | None = None  # written as bytes, for encodings TOML text cannot hold


BAD_CONFIGS: tuple[BadConfig, ...] = (
    BadConfig("toml-unclosed-table", '[envs.prod\nbase_url = "https://x.test"\n', ("TOML",)),
    BadConfig("toml-bare-url", "[envs.prod]\nbase_url = https://x.test\n", ("TOML", "line 2")),
    BadConfig(
        "toml-duplicate-key",
        '[envs.prod]\nbase_url = "https://a.test"\nbase_url = "https://b.test"\n',
        ("TOML",),
    ),
    BadConfig("not-utf8", "", ("prodready.toml",), raw=b'[envs.prod]\nbase_url = "\xff\xfe"\n'),
    BadConfig("timeout-string", OK_ENV + 'timeout_s = "ten"\n', ("timeout_s",)),
    BadConfig("timeout-negative", OK_ENV + "timeout_s = -1\n", ("timeout_s",)),
    BadConfig("timeout-zero", OK_ENV + "timeout_s = 0\n", ("timeout_s",)),
    BadConfig("timeout-too-long", OK_ENV + "timeout_s = 301\n", ("timeout_s",)),
    BadConfig("timeout-boolean", OK_ENV + "timeout_s = true\n", ("timeout_s",)),
    BadConfig("max-body-negative", OK_ENV + "max_body_mb = -5\n", ("max_body_mb",)),
    BadConfig("unknown-env-key", OK_ENV + 'base_ulr = "https://x.test"\n', ("base_ulr",)),
    BadConfig("unknown-top-level-key", 'defualt_env = "prod"\n' + OK_ENV, ("defualt_env",)),
    BadConfig("url-ftp", '[envs.prod]\nbase_url = "ftp://x.test"\n', ("base_url",)),
    BadConfig("url-no-host", '[envs.prod]\nbase_url = "https://"\n', ("base_url",)),
    BadConfig("url-broken-ipv6", '[envs.prod]\nbase_url = "http://[::1"\n', ("base_url",)),
    BadConfig("http-url-https", OK_ENV + 'http_url = "https://prod.example.com"\n', ("http_url",)),
    BadConfig("missing-base-url", "[envs.prod]\ntimeout_s = 5\n", ("base_url",)),
    BadConfig("envs-not-a-table", 'envs = "prod"\n', ("envs",)),
    BadConfig("env-not-a-table", "[envs]\nprod = 3\n", ("envs.prod",)),
    BadConfig("protected-string", OK_ENV + 'protected = "yes"\n', ("protected",)),
    BadConfig("pages-not-paths", OK_ENV + 'pages = ["login"]\n', ("pages",)),
    BadConfig("secrets-not-names", OK_ENV + "secrets = { token = 1 }\n", ("secrets",)),
    BadConfig(
        "guarded-bad-method",
        OK_ENV + '[[envs.prod.guarded_endpoints]]\npath = "/cron"\nmethod = "FETCH"\n',
        ("method",),
    ),
    BadConfig(
        "health-bad-status",
        OK_ENV + '[[envs.prod.health.endpoints]]\npath = "/health"\nexpect_status = 999\n',
        ("expect_status",),
    ),
    BadConfig(
        "accept-unknown-id",
        ACCEPT + 'id = "hsts.mising"\nreason = "legacy"\nuntil = 2099-01-31\n',
        ("id", "hsts.mising"),
    ),
    BadConfig(
        "accept-no-reason", ACCEPT + 'id = "hsts.missing"\nuntil = 2099-01-31\n', ("reason",)
    ),
    BadConfig(
        "accept-until-not-a-date",
        ACCEPT + 'id = "hsts.missing"\nreason = "legacy"\nuntil = "soon"\n',
        ("until",),
    ),
    BadConfig("embedded-unknown", '[envs.prod]\nembedded = "demo2"\n', ("embedded",)),
    BadConfig("ca-bundle-missing", OK_ENV + 'ca_bundle = "no/such/ca.pem"\n', ("ca_bundle",)),
    BadConfig("load-users-above-cap", LOAD + "users = 20000\n", ("users",), env="prod"),
    BadConfig(
        "load-above-declared-max",
        LOAD + "users = 50\nmax_users = 10\nmax_duration_s = 60\n",
        ("users",),
    ),
    BadConfig(
        "load-protected-uncapped", LOAD + "users = 5\n", ("max_users",)
    ),  # prod is protected: its load must declare max_users and max_duration_s
    BadConfig(
        "rate-limit-unknown-tier",
        OK_ENV
        + '[[envs.prod.rate_limits]]\nname = "login"\npath = "/login"\nlimit = 5\ntier = "gold"\n',
        ("tier",),
    ),
    BadConfig(
        "default-env-undefined", 'default_env = "staging"\n' + OK_ENV, ("default_env", "staging")
    ),
    BadConfig("unknown-env", OK_ENV, ("stagign", "prod"), env="stagign"),
)


def write_case(case: BadConfig, directory: Path) -> Path:
    """Write the case's ``prodready.toml`` (and a locustfile for the load cases) there."""
    directory.mkdir(parents=True, exist_ok=True)
    locustfile = directory / "locustfile.py"
    locustfile.write_text("# a locustfile that exists: the load cases fail on their caps\n")
    path = directory / "prodready.toml"
    if case.raw is not None:
        path.write_bytes(case.raw)
    else:
        path.write_text(case.toml.replace("{locustfile}", str(locustfile)), encoding="utf-8")
    return path


def judge_usage_error(case: BadConfig, path: Path, ret: int, stdout: str, stderr: str) -> list[str]:
    """What keeps the run's refusal from being one clean paragraph (empty: it is)."""
    problems = []
    if ret != 4:
        problems.append(f"exit code {ret}, not 4 (usage error)")
    everything = stdout + stderr
    for token in ("Traceback", "INTERNALERROR"):
        if token in everything:
            problems.append(f"{token!r} in the output")
    errors = [line for line in stderr.splitlines() if line.startswith("ERROR:")]
    if len(errors) != 1 or not errors[0].startswith("ERROR: prodready: "):
        shown = " | ".join(everything.strip().splitlines()[-6:])[:800]
        problems.append(f"not one 'ERROR: prodready: ...' line: {shown}")
        return problems
    line = errors[0]
    for fragment in (path.name, *case.names):
        if not re.search(re.escape(fragment), line):
            problems.append(f"the error does not name {fragment!r}: {line}")
    return problems
