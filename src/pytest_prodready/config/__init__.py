"""Configuration: ``prodready.toml`` (or ``[tool.prodready]``) into frozen dataclasses."""

from pytest_prodready.config.environment import ConfigFile, Environment, find_config, load_config
from pytest_prodready.config.sections import (
    Acceptance,
    GuardedEndpoint,
    HealthEndpoint,
    PageSpec,
    RateLimitSpec,
    ReleaseSpec,
)

__all__ = [
    "Acceptance",
    "ConfigFile",
    "Environment",
    "GuardedEndpoint",
    "HealthEndpoint",
    "PageSpec",
    "RateLimitSpec",
    "ReleaseSpec",
    "find_config",
    "load_config",
]
