"""Real-browser checks with Playwright: page facts, watches and logins (the door imports none);
Lighthouse audits of a page (``LighthousePage``, what the ``lighthouse_audit`` fixture gives)."""

from pytest_prodready.browser.audits import LighthousePage
from pytest_prodready.browser.facts import AuditFacts, LoginOutcome, PageFacts
from pytest_prodready.browser.watch import PageWatch

__all__ = ["AuditFacts", "LighthousePage", "LoginOutcome", "PageFacts", "PageWatch"]
