"""Which environment this run targets, from where, and the :class:`Runtime` built for it."""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Iterator, Mapping
from functools import cached_property
from pathlib import Path

import pytest

from pytest_prodready.config import ConfigFile, find_config, load_config
from pytest_prodready.core.catalogue import catalogue
from pytest_prodready.core.secrets import Redactor, load_dotenv
from pytest_prodready.target.embedded import seed_embedded_secrets
from pytest_prodready.target.protection import Protection, decide
from pytest_prodready.target.runtime import Runtime, Selection

__all__ = ["CONFIG_VAR", "EXPECT_VERSION_VAR", "TARGET_ENV_VAR", "build_runtime"]

# Each variable is named where it is read; options.py quotes them in its help.
TARGET_ENV_VAR = "PRODREADY_TARGET_ENV"
EXPECT_VERSION_VAR = "PRODREADY_EXPECT_VERSION"
CONFIG_VAR = "PRODREADY_CONFIG"


def _select(config: pytest.Config, cfg: ConfigFile | None) -> Selection | None:
    option = config.getoption("target_env")
    if option:
        return Selection(option, "--target-env")
    if os.environ.get(TARGET_ENV_VAR):
        return Selection(os.environ[TARGET_ENV_VAR], f"{TARGET_ENV_VAR} environment variable")
    ini = config.getini("prodready_target_env")
    if isinstance(ini, str) and ini:
        return Selection(ini, "prodready_target_env ini option")
    if cfg is not None and cfg.default_env:
        return Selection(cfg.default_env, f"default_env in {cfg.path.name}")
    return None


class CatalogueIds(Collection[str]):
    """The catalogue's finding ids, gathered only when an ``accept`` entry needs checking:
    that imports every rule module (browser, contracts, load), which a config without
    ``accept`` entries never needs at start-up."""

    @cached_property
    def _ids(self) -> frozenset[str]:
        return frozenset(catalogue())

    def __contains__(self, item: object) -> bool:
        return item in self._ids

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)


def _load(config: pytest.Config) -> tuple[ConfigFile | None, str]:
    explicit, origin = config.getoption("prodready_config"), "--prodready-config"
    if not explicit and os.environ.get(CONFIG_VAR):
        explicit, origin = os.environ[CONFIG_VAR], f"{CONFIG_VAR} environment variable"
    found = find_config(config.rootpath, explicit, origin)
    if found is None:
        return None, f"prodready.toml or [tool.prodready] in pyproject.toml under {config.rootpath}"
    path, origin = found
    cfg = load_config(path, origin, known_ids=CatalogueIds())
    if cfg is None and explicit:
        raise pytest.UsageError(
            f"prodready: {path} ({origin}) has no [tool.prodready] table. "
            "Add one, or point at a prodready.toml."
        )
    return cfg, str(path)


def _check_allow(allow: str, target: str, protection: Protection) -> None:
    """``--allow-destructive`` must name the environment whose protection applies."""
    if allow == protection.owner:
        return
    if protection.owner != target:
        raise pytest.UsageError(
            f"prodready: --allow-destructive={allow} does not match the protected environment "
            f"{protection.owner!r} this run reaches: the target {target!r} is treated as "
            f"{protection.owner!r} because its {protection.reason}. The value must name the "
            "environment that would take the writes and the load. Use "
            f"--allow-destructive={protection.owner} if you mean it, or point the run "
            "elsewhere."
        )
    raise pytest.UsageError(
        f"prodready: --allow-destructive={allow} does not match the target environment "
        f"{target!r}. The value must name the environment being tested, so a "
        "command copied from another environment cannot stress this one. Use "
        f"--allow-destructive={target} if you mean it."
    )


def build_runtime(
    config: pytest.Config, redactor: Redactor, cleanup: list[Callable[[], None]]
) -> Runtime | None:
    """The run's runtime, or None when no environment is selected (the plugin stays idle)."""
    cfg, looked = _load(config)
    selection = _select(config, cfg)
    allow = config.getoption("allow_destructive")
    if selection is None:
        if config.getoption("wait_for_version"):
            raise pytest.UsageError(
                "prodready: --wait-for-version needs a target environment. "
                "Pass --target-env NAME with it."
            )
        if allow:
            raise pytest.UsageError(
                f"prodready: --allow-destructive={allow} was given, but no target environment "
                "is selected. Pass --target-env with the same name."
            )
        return None
    if cfg is None:
        raise pytest.UsageError(
            f"prodready: target environment {selection.name!r} (from {selection.origin}) "
            f"was asked for, but no configuration was found: looked for {looked}. "
            "Create prodready.toml with an [envs.NAME] table, or pass --prodready-config PATH."
        )
    if selection.name not in cfg.envs:
        known = ", ".join(sorted(cfg.envs)) or "none"
        raise pytest.UsageError(
            f"prodready: unknown target environment {selection.name!r} "
            f"(from {selection.origin}). Environments defined in {cfg.path}: {known}. "
            "Check the spelling, or add an [envs.NAME] table."
        )
    explicit_base = config.getoption("base_url", None) or config.getini("base_url")
    base_url_override = explicit_base if isinstance(explicit_base, str) else None
    protection = decide(
        cfg.envs, selection.name, base_url_override=base_url_override, source=cfg.path.name
    )
    if allow:
        _check_allow(allow, selection.name, protection)
    env = cfg.envs[selection.name]
    if env.embedded and not hasattr(config, "workerinput"):
        cleanup.append(seed_embedded_secrets(env))
    sources: list[Mapping[str, str]] = [os.environ]
    dotenv = config.getoption("prodready_dotenv")
    if dotenv:
        sources.append(load_dotenv(Path(dotenv)))
    expected = (
        config.getoption("expect_version")
        or config.getoption("wait_for_version")
        or os.environ.get(EXPECT_VERSION_VAR)
    )
    return Runtime(
        cfg,
        selection,
        protection=protection,
        base_url_override=base_url_override,
        expected_version=expected or None,
        redactor=redactor,
        secret_sources=sources,
    )
