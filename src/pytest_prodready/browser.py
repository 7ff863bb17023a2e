"""Playwright on the system Chromium: fixtures that pytest-playwright's chain picks up."""

from __future__ import annotations
