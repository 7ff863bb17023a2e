"""Which browser artifacts a run may keep: screenshots, traces and videos, on failure only.

Traces and videos hold request headers, cookies and every value typed into a form, passwords
included. So they are kept only for failed tests, and never on a protected environment unless
``--prodready-artifacts=all`` says so. pytest-playwright records them; this module decides its
``--screenshot``, ``--tracing`` and ``--video`` settings before any test runs.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from dataclasses import dataclass

import pytest

__all__ = ["ARTIFACTS_VAR", "MODES", "ArtifactPolicy", "apply", "mode_from", "policy_for"]

ARTIFACTS_VAR = "PRODREADY_ARTIFACTS"
MODES = {
    "auto": "screenshots on failure; traces (and videos, if --video asks) on failure, "
    "except on protected environments",
    "screenshots": "screenshots on failure only",
    "all": "screenshots, traces (and videos, if --video asks) on failure, protected "
    "environments included",
    "none": "no screenshots, traces or videos",
}
_ON_FAILURE = "retain-on-failure"


@dataclass(frozen=True)
class ArtifactPolicy:
    """What the run keeps for a failed browser test."""

    mode: str
    origin: str
    screenshots: bool
    traces: bool
    videos: bool


def mode_from(option: str | None, environ: Mapping[str, str] = os.environ) -> tuple[str, str]:
    """(mode, where it came from): ``--prodready-artifacts``, then ``PRODREADY_ARTIFACTS``,
    then ``auto``. A value that is not a mode is a usage error naming its source."""
    for value, origin in (
        (option, "--prodready-artifacts"),
        (environ.get(ARTIFACTS_VAR), f"{ARTIFACTS_VAR} environment variable"),
    ):
        if not value:
            continue
        mode = value.strip().lower()
        if mode not in MODES:
            raise pytest.UsageError(
                f"prodready: {value!r} (from {origin}) is not an artifacts mode. "
                f"Valid: {', '.join(MODES)} ({'; '.join(f'{k}: {v}' for k, v in MODES.items())})."
            )
        return mode, origin
    return "auto", "default"


def policy_for(mode: str, origin: str, *, protected: bool) -> ArtifactPolicy:
    """The policy of ``mode`` on an environment that is ``protected`` or not."""
    sensitive = mode == "all" or (mode == "auto" and not protected)
    return ArtifactPolicy(
        mode=mode,
        origin=origin,
        screenshots=mode != "none",
        traces=sensitive,
        videos=sensitive,
    )


def apply(option: argparse.Namespace, policy: ArtifactPolicy, *, protected: bool) -> str:
    """Set pytest-playwright's options on ``config.option`` (``option``) and return a header
    line saying what is kept. Traces are turned on (for failures) where allowed; videos only
    when ``--video`` asked for them (they need Playwright's ffmpeg)."""
    if not hasattr(option, "tracing"):
        return "prodready browser: artifacts off (pytest-playwright is not active)"
    asked_video = getattr(option, "video", "off") != "off"
    option.screenshot = "only-on-failure" if policy.screenshots else "off"
    option.tracing = _ON_FAILURE if policy.traces else "off"
    option.video = _ON_FAILURE if policy.videos and asked_video else "off"
    kept = [
        name
        for name, on in (
            ("screenshots", policy.screenshots),
            ("traces", policy.traces),
            ("videos", policy.videos and asked_video),
        )
        if on
    ]
    line = (
        f"prodready browser: artifacts {policy.mode} (from {policy.origin}): "
        f"{', '.join(kept) + ' of failed tests' if kept else 'none kept'}"
    )
    if protected and not policy.traces and policy.mode != "none":
        line += "; no traces or videos on a protected environment (--prodready-artifacts=all)"
    return line
