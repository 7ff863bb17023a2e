"""Configuration: ``prodready.toml`` (or ``[tool.prodready]``) into frozen dataclasses."""

from pytest_prodready.config.environment import ConfigFile, Environment, find_config, load_config
from pytest_prodready.config.flows import LoginFlow
from pytest_prodready.config.sections import (
    GuardedEndpoint,
    HealthEndpoint,
    PageSpec,
    RateLimitSpec,
    ReleaseSpec,
)
from pytest_prodready.core.verdict import Acceptance

__all__ = [
    "Acceptance",
    "ConfigFile",
    "Environment",
    "GuardedEndpoint",
    "HealthEndpoint",
    "LoginFlow",
    "PageSpec",
    "RateLimitSpec",
    "ReleaseSpec",
    "find_config",
    "load_config",
]
