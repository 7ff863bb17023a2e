"""Real-browser checks with Playwright: page facts, watches and logins (the door imports none)."""

from pytest_prodready.browser.facts import AuditFacts, LoginOutcome, PageFacts
from pytest_prodready.browser.watch import PageWatch

__all__ = ["AuditFacts", "LoginOutcome", "PageFacts", "PageWatch"]
