"""Real-browser checks with Playwright: page facts, watches and logins (the door imports none)."""
