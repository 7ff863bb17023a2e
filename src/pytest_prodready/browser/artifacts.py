"""Which browser artifacts a run may keep: screenshots, traces and videos, on failure only.

Traces and videos hold request headers, cookies and every value typed into a form, passwords
included. So they are kept only for failed tests, and never on a protected environment unless
``--prodready-artifacts=all`` says so. pytest-playwright records them; this module decides its
``--screenshot``, ``--tracing`` and ``--video`` settings before any test runs.

A test that typed a secret into one of its pages (the ``log_in`` fixture does), or whose page
carries a session that a typed secret bought (``logged_in_page``), keeps no trace or video even
then: :func:`withhold_recordings` deletes what pytest-playwright kept for it and leaves a
one-line note in its place. Screenshots stay: the login empties and masks the fields
it filled.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = [
    "ARTIFACTS_VAR",
    "MODES",
    "SECRET_TYPED_KEY",
    "ArtifactPolicy",
    "apply",
    "mode_from",
    "policy_for",
    "withhold_recordings",
]

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
# Set on a test item once a secret was typed into one of its pages, or its page was given the
# session a typed secret bought: why, in a few words.
SECRET_TYPED_KEY = pytest.StashKey[str]()
# How pytest-playwright lists the traces and videos it kept: user properties of the teardown
# report (paths relative to the invocation directory), and pytest-html extras by these names.
_RECORDINGS = {"playwright_trace": "trace", "playwright_video": "video"}
_HTML_EXTRAS = frozenset({"Trace", "Video"})


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


def withhold_recordings(report: pytest.TestReport, root: Path, typed: str) -> str | None:
    """Delete the traces and videos pytest-playwright kept for the test of ``report`` (its
    teardown report) because ``typed`` (a secret was typed into its page), take them out of
    the report, and attach a one-line note saying why. Returns the note, None when nothing
    was kept."""
    kinds: list[str] = []
    problems: list[str] = []
    properties: list[tuple[str, object]] = []
    for name, value in report.user_properties:
        kind = _RECORDINGS.get(name)
        if kind is None:
            properties.append((name, value))
            continue
        kinds.append(kind)
        path = Path(root, str(value))
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            problems.append(f"; deleting {path} failed ({exc.strerror}): delete it by hand")
            continue
        with contextlib.suppress(OSError):
            path.parent.rmdir()  # only when nothing else (a screenshot) is left in it
    if not kinds:
        return None
    extras = getattr(report, "extras", None)
    if extras:
        report.extras = [  # type: ignore[attr-defined]
            e for e in extras if not (isinstance(e, dict) and e.get("name") in _HTML_EXTRAS)
        ]
    what = " and ".join(kind for kind in _RECORDINGS.values() if kind in kinds)
    note = (
        f"prodready: {what} of this test not kept: {typed}; traces and videos hold what was "
        f"typed, the page's DOM, and requests with their cookies and bodies{''.join(problems)}"
    )
    report.user_properties = [*properties, ("prodready_artifacts", note)]
    report.sections.append(("prodready artifacts (teardown)", note))
    return note
