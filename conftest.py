"""Shared by the repository's own suites only; the plugin itself loads by entry point."""
