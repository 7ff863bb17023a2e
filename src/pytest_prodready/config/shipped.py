"""Where the suites and locustfiles that ship with the package are on this machine.

A wheel carries them inside the package (``pytest_prodready/suites``, by hatch's
force-include). An editable install has no such copy in the package: there they are the
checkout's own ``suites/`` and ``locustfiles/`` beside ``src/``, recognised by the checkout's
``pyproject.toml`` mapping them to the package (a directory that merely has the name is not
taken).
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Literal

__all__ = ["PACKAGE_DIR", "Shipped", "candidates", "shipped_dir"]

PACKAGE = "pytest_prodready"
DISTRIBUTION = "pytest-prodready"
PACKAGE_DIR = Path(__file__).resolve().parents[1]

Shipped = Literal["suites", "locustfiles"]


def candidates(name: Shipped) -> tuple[Path, Path]:
    """Where ``name`` is looked for: inside the installed package, then beside ``src/``."""
    return PACKAGE_DIR / name, PACKAGE_DIR.parents[1] / name


def _maps_to_package(pyproject: Path, name: Shipped) -> bool:
    """Whether ``pyproject`` is this project's and ships its ``name`` directory as ours."""
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    project = data.get("project")
    wheel = data.get("tool", {}).get("hatch", {}).get("build", {}).get("targets", {})
    force_include = wheel.get("wheel", {}).get("force-include", {})
    return (
        isinstance(project, dict)
        and project.get("name") == DISTRIBUTION
        and isinstance(force_include, dict)
        and force_include.get(name) == f"{PACKAGE}/{name}"
    )


@cache
def shipped_dir(name: Shipped) -> Path | None:
    """The directory holding the shipped ``name`` (resolved), or None if this installation
    has none (a broken install)."""
    installed, beside_src = candidates(name)
    if installed.is_dir():
        return installed
    checkout = beside_src.parent
    if (
        PACKAGE_DIR.parent.name == "src"
        and beside_src.is_dir()
        and _maps_to_package(checkout / "pyproject.toml", name)
    ):
        return beside_src.resolve()
    return None
