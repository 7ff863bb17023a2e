"""The ``prodready`` command: ``prodready init URL`` (or ``python -m pytest_prodready init URL``).

Every refusal is one line on stderr, never a traceback: what is wrong, where, and how to fix
it. Usage errors exit 2, a target that cannot be probed exits 1. Progress goes to stderr, one
line per phase; the summary and the path written go to stdout. Nothing is written until the
new file loads with the plugin's own config loader, and an existing file is replaced only
with ``--force`` (``--env NAME`` adds an environment to it instead).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import ssl
import sys
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit

import pytest

import pytest_prodready
from pytest_prodready.config import load_config
from pytest_prodready.core.catalogue import catalogue
from pytest_prodready.core.safety import redact_location
from pytest_prodready.http import ssl_context
from pytest_prodready.init.decide import ENV_NAME, decide, default_env_name
from pytest_prodready.init.probe import LIMITS, ProbeError, probe
from pytest_prodready.init.render import append, render, startup_tip, summary

__all__ = ["main"]

USAGE, TARGET = 2, 1


class Refusal(Exception):
    """A one-line refusal and the exit code that goes with it."""

    def __init__(self, message: str, code: int = USAGE) -> None:
        super().__init__(message)
        self.code = code


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse prints the whole usage first; one line says it, and --help has the rest.
        self.exit(USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="prodready",
        description="pytest-prodready's command line. Run the checks themselves with pytest.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    init = commands.add_parser(
        "init",
        help="probe a live target read-only and write a prodready.toml starter",
        description=(
            f"Probe a live target read-only (GET only, at most {LIMITS.max_requests} requests "
            f"and about {LIMITS.total_s:g} s, no credentials, no redirect off its host) and "
            "write a commented prodready.toml whose smoke run works as written: pytest -m "
            "smoke --target-env NAME."
        ),
    )
    init.add_argument(
        "url",
        help="the deployment's URL, https://app.example.com; an http:// URL that redirects "
        "to HTTPS on the same host sets http_url too",
    )
    init.add_argument(
        "--env",
        metavar="NAME",
        help="the environment's name (default: local for a loopback host, else prod, which is "
        "protected); with an existing config file, the environment to add to it",
    )
    init.add_argument(
        "--ca-bundle",
        metavar="PEM",
        type=Path,
        help="the private CA that signed the target's certificate",
    )
    init.add_argument(
        "--config",
        "-c",
        metavar="PATH",
        type=Path,
        default=Path("prodready.toml"),
        help="the file to write (default: prodready.toml here)",
    )
    init.add_argument("--force", action="store_true", help="replace an existing config file")
    return parser


# -- checks before any request -----------------------------------------------------------


def check_url(raw: str) -> str:
    """The URL init may probe (scheme, host, port, path; query and fragment dropped)."""
    text = raw.strip()
    raw = redact_location(text)  # what messages quote: no credentials, query or fragment
    try:
        parts = urlsplit(text)
        host, _ = parts.hostname, parts.port  # .port raises for a bad port
    except ValueError as exc:
        raise Refusal(
            f"prodready init: {raw!r} is not a valid URL ({exc}). Write it like "
            "https://app.example.com."
        ) from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        if not parts.scheme or "://" not in text:
            guess = f"https://{text.split('/', 1)[0]}" if text else "https://app.example.com"
            raise Refusal(
                f"prodready init: {raw!r} is not an HTTP URL: it has no http:// or https://. "
                f"Write it like {guess}."
            )
        raise Refusal(
            f"prodready init: {raw!r} is not an HTTP URL ({parts.scheme}:): init probes http:// "
            "and https:// targets only. Give the deployment's web URL, like "
            "https://app.example.com."
        )
    if not host:
        raise Refusal(
            f"prodready init: {raw!r} has no host. Write it like https://app.example.com."
        )
    if parts.username is not None or parts.password is not None:
        shown = f"{scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}"
        raise Refusal(
            f"prodready init: the URL carries credentials (user:password@); init never sends "
            f"any. Give it without them: {shown}."
        )
    return f"{scheme}://{parts.netloc.lower()}{parts.path}"


def check_ca(path: Path | None) -> Path | None:
    if path is None:
        return None
    ca = path.expanduser().absolute()
    if not ca.is_file():
        raise Refusal(
            f"prodready init: --ca-bundle {path}: no such file ({ca}). Give the PEM file of "
            "the CA that signed the target's certificate."
        )
    try:
        ssl_context(ca)
    except (ssl.SSLError, OSError, ValueError) as exc:
        raise Refusal(
            f"prodready init: --ca-bundle {ca} is not a PEM certificate ({exc}). Give the CA "
            "certificate in PEM (-----BEGIN CERTIFICATE-----)."
        ) from None
    return ca


def check_file(path: Path, env: str, *, add: bool, force: bool) -> str | None:
    """The text of the existing file to add ``env`` to, or None to write a new one."""
    if path.name == "pyproject.toml":
        raise Refusal(
            f"prodready init: {path} is a pyproject.toml; init writes a prodready.toml of its "
            "own. Give --config prodready.toml (a prodready.toml is read before pyproject.toml)."
        )
    if not path.parent.is_dir():
        raise Refusal(
            f"prodready init: cannot write {path}: the directory {path.parent} does not exist. "
            "Create it, or give another --config."
        )
    if path.is_dir():
        raise Refusal(f"prodready init: {path} is a directory. Give --config a file path.")
    if not path.exists() or force:
        return None
    if not add:
        raise Refusal(
            f"prodready init: {path} exists, and init never overwrites a file unasked. Add "
            "--env NAME to add an environment to it, or --force to replace it."
        )
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise Refusal(
            f"prodready init: cannot add to {path}: it does not read as TOML ({exc}). Fix it, "
            "or give another --config."
        ) from None
    envs = data.get("envs")
    if isinstance(envs, dict) and env in envs:
        raise Refusal(
            f"prodready init: environment {env!r} is already in {path} ([envs.{env}]). Pick "
            "another name with --env, or remove that environment first."
        )
    try:
        load_config(path, "the file to add to", known_ids=catalogue())
    except pytest.UsageError as exc:
        raise Refusal(
            f"{exc} (init adds to a file only when it loads; nothing was probed)"
        ) from None
    return text


# -- writing -----------------------------------------------------------------------------


def _config_relative(ca: Path, directory: Path) -> str:
    """``ca`` as the config file will name it: relative when it lies below the file's
    directory (the pair moves together), absolute otherwise."""
    try:
        return ca.relative_to(directory.absolute()).as_posix()
    except ValueError:
        return str(ca)


def run_command(env: str, path: Path) -> str:
    """The smoke run of the new environment, as the user types it from here."""
    packaged = Path(pytest_prodready.__file__).parent / "suites"
    suites = "--pyargs pytest_prodready.suites" if packaged.is_dir() else "suites"
    command = f"pytest {suites} -m smoke --target-env {env}"
    if path != Path.cwd() / "prodready.toml":
        command += f" --prodready-config {shlex.quote(str(path))}"
    return command


def write_checked(path: Path, text: str, env: str) -> None:
    """Write ``text`` to ``path`` only if it loads with the plugin's loader and has ``env``:
    through a file beside it (relative paths resolve the same), then an atomic rename."""
    temporary = path.with_name(f".{path.name}.prodready-init-{os.getpid()}")
    try:
        temporary.write_text(text, encoding="utf-8")
        try:
            loaded = load_config(temporary, "written by prodready init", known_ids=catalogue())
        except pytest.UsageError as exc:
            raise Refusal(
                f"prodready init: the file it made does not load ({exc}); {path} was left as it "
                "was. This is a bug in prodready init: please report it.",
                TARGET,
            ) from None
        if loaded is None or env not in loaded.envs:
            raise Refusal(
                f"prodready init: the file it made lacks [envs.{env}]; {path} was left as it was.",
                TARGET,
            )
        os.replace(temporary, path)
    except OSError as exc:
        raise Refusal(
            f"prodready init: cannot write {path}: {exc}. Check the directory's permissions."
        ) from None
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink()


def _progress(line: str) -> None:
    print(f"prodready init: {line}", file=sys.stderr, flush=True)


def run_init(args: argparse.Namespace) -> int:
    url = check_url(args.url)
    env = args.env or default_env_name(url)
    if not ENV_NAME.fullmatch(env):
        raise Refusal(
            f"prodready init: --env {env!r} is not a usable environment name. Use letters, "
            "digits, '-' and '_' (like staging, prod-eu)."
        )
    path = args.config.expanduser().absolute()
    ca = check_ca(args.ca_bundle)
    existing = check_file(path, env, add=args.env is not None, force=args.force)
    try:
        facts = probe(url, ca_bundle=ca, progress=_progress)
    except ProbeError as exc:
        raise Refusal(str(exc), TARGET) from None
    starter = decide(facts, env=env, ca_bundle=_config_relative(ca, path.parent) if ca else None)
    today = datetime.now(UTC).date().isoformat()
    command = run_command(env, path)
    if existing is None:
        text = render(starter, today=today, command=command)
    else:
        text = append(existing, starter, today=today)
    write_checked(path, text, env)
    print(summary(starter, path=str(path), command=command, added=existing is not None), end="")
    tip = startup_tip(_pytest_config_text(path.parent))
    if tip:
        print(tip, end="")
    return 0


def _pytest_config_text(directory: Path) -> str:
    """The project's pytest configuration files, as text (empty where none is readable)."""
    texts = []
    for name in ("pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg"):
        with contextlib.suppress(OSError, UnicodeDecodeError):
            texts.append((directory / name).read_text(encoding="utf-8"))
    return "\n".join(texts)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run_init(args)
    except Refusal as refusal:
        print(str(refusal), file=sys.stderr)
        return refusal.code
    except KeyboardInterrupt:
        print("prodready init: interrupted; nothing was written.", file=sys.stderr)
        return 130
