"""Configuration: ``prodready.toml`` (or ``[tool.prodready]``) into frozen dataclasses."""

from pytest_prodready.config.access import AccessRule, Identity, SupabaseSpec
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
    "AccessRule",
    "ConfigFile",
    "Environment",
    "GuardedEndpoint",
    "HealthEndpoint",
    "Identity",
    "LoginFlow",
    "PageSpec",
    "RateLimitSpec",
    "ReleaseSpec",
    "SupabaseSpec",
    "find_config",
    "load_config",
]
