"""``[envs.X.flows.login]``, ``[envs.X.vitals]``, ``[envs.X.a11y]`` and ``[envs.X.interaction]``:
the browser's login flow, web-vital budgets, accessibility rules and the interaction to time.

Same rules as :mod:`pytest_prodready.config.sections`: a frozen dataclass per table, a parser per
dataclass, every mistake a one-paragraph ``pytest.UsageError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pytest_prodready.config._table import Table

__all__ = [
    "A11Y_IMPACTS",
    "A11y",
    "Interaction",
    "LoginFlow",
    "Vitals",
    "parse_a11y",
    "parse_interaction",
    "parse_login",
    "parse_vitals",
]

# axe-core's impact levels, worst first.
A11Y_IMPACTS = ("critical", "serious", "moderate", "minor")
# WCAG 2.0, 2.1 and 2.2 levels A and AA: what accessibility law (EN 301 549, the ADA's
# guidance, Section 508) points at. axe's best-practice rules are opt-in.
A11Y_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")


@dataclass(frozen=True)
class LoginFlow:
    """``[envs.X.flows.login]``: a config-driven login, so the common case needs no code."""

    password_secret: str
    path: str = "/login"
    username: str | None = None
    username_secret: str | None = None
    username_selector: str = "#username"
    password_selector: str = "#password"
    submit_selector: str = "button[type=submit]"
    success_url: str | None = None
    success_selector: str | None = None
    logout_selector: str | None = None
    session_cookie: str | None = None


@dataclass(frozen=True)
class Vitals:
    """``[envs.X.vitals]``: web-vital budgets.

    Defaults are web.dev's "good" thresholds (LCP 2.5 s, CLS 0.1, FCP 1.8 s, TTFB 0.8 s),
    measured from wherever the run is, often far from the users; checklists that ask for
    more (FCP 1.5 s, TTFB 200 ms) set ``fcp_ms`` and ``ttfb_ms``. INP defaults to the
    checklists' 100 ms (web.dev's "good" is 200 ms), TBT to Lighthouse's "good" 200 ms.
    """

    lcp_ms: float = 2500.0
    cls: float = 0.1
    fcp_ms: float = 1800.0
    ttfb_ms: float = 800.0
    # Interaction to Next Paint: the seeds' checklists ask for FID/INP < 100 ms; web.dev's
    # "good" INP is 200 ms. Total Blocking Time: Lighthouse's "good" is 200 ms.
    inp_ms: float = 100.0
    tbt_ms: float = 200.0
    # None: by the run's selection (browser_vitals.runs_for): 1 for smoke, 3 otherwise.
    runs: int | None = None


def _secret_name(t: Table, key: str, secrets: Mapping[str, str], *, required: bool) -> str | None:
    name = t.string(key, required=required)
    if name is not None and name not in secrets:
        declared = ", ".join(sorted(secrets)) or "none"
        raise t.error(
            key,
            f"names secret {name!r}, which this environment does not declare ({declared})",
            f'Declare it: secrets = {{ {name} = "ENV_VAR" }}.',
        )
    return name


def parse_login(t: Table, secrets: Mapping[str, str]) -> LoginFlow | None:
    if not t.data:
        t.finish()
        return None
    password_secret = _secret_name(t, "password_secret", secrets, required=True) or ""
    username_secret = _secret_name(t, "username_secret", secrets, required=False)
    username = t.string("username")
    if (username is None) == (username_secret is None):
        raise t.error(
            "username",
            "and username_secret: exactly one must be set",
            'Use username = "probe@example.com", or username_secret = "admin_user".',
        )
    flow = LoginFlow(
        password_secret=password_secret,
        path=t.string("path") or "/login",
        username=username,
        username_secret=username_secret,
        username_selector=t.string("username_selector") or "#username",
        password_selector=t.string("password_selector") or "#password",
        submit_selector=t.string("submit_selector") or "button[type=submit]",
        success_url=t.string("success_url"),
        success_selector=t.string("success_selector"),
        logout_selector=t.string("logout_selector"),
        session_cookie=t.string("session_cookie"),
    )
    if flow.success_url is None and flow.success_selector is None:
        raise t.error(
            "success_url",
            "or success_selector must say how a successful login is recognised",
            'Use success_url = "/dashboard" or success_selector = "#welcome".',
        )
    t.finish()
    return flow


def parse_vitals(t: Table) -> Vitals:
    vitals = Vitals(
        lcp_ms=t.number("lcp_ms", 2500.0, minimum=0, maximum=600_000),
        cls=t.number("cls", 0.1, minimum=0, maximum=10),
        fcp_ms=t.number("fcp_ms", 1800.0, minimum=0, maximum=600_000),
        ttfb_ms=t.number("ttfb_ms", 800.0, minimum=0, maximum=600_000),
        inp_ms=t.number("inp_ms", 100.0, minimum=0, maximum=600_000),
        tbt_ms=t.number("tbt_ms", 200.0, minimum=0, maximum=600_000),
        runs=t.integer("runs", 1, minimum=1, maximum=20) if "runs" in t.data else None,
    )
    t.finish()
    return vitals


@dataclass(frozen=True)
class A11y:
    """``[envs.X.a11y]``: which axe-core violations fail, and which rules run."""

    fail_on: tuple[str, ...] = ("critical", "serious")
    tags: tuple[str, ...] = A11Y_TAGS
    disable_rules: tuple[str, ...] = ()


@dataclass(frozen=True)
class Interaction:
    """``[envs.X.interaction]``: a control whose click is timed (Interaction to Next Paint).

    The click is real and repeated (``[envs.X.vitals] runs`` times): name one that changes
    nothing on the server, or only what a visitor may change (a cart in local storage).
    """

    page: str
    selector: str


def parse_a11y(t: Table) -> A11y:
    fail_on = t.string_list("fail_on", A11y.fail_on)
    unknown = [impact for impact in fail_on if impact not in A11Y_IMPACTS]
    if unknown:
        raise t.error(
            "fail_on",
            f"names {', '.join(repr(i) for i in unknown)}, which is not an axe-core impact",
            f'Valid impacts: {", ".join(A11Y_IMPACTS)}; e.g. fail_on = ["critical", "serious"].',
        )
    a11y = A11y(
        fail_on=fail_on,
        tags=t.string_list("tags", A11Y_TAGS),
        disable_rules=t.string_list("disable_rules", ()),
    )
    t.finish()
    return a11y


def parse_interaction(t: Table) -> Interaction | None:
    if not t.data:
        t.finish()
        return None
    page = t.string("page", required=True) or "/"
    if not page.startswith("/"):
        raise t.error("page", f"is {page!r}, which is not a path", 'Paths start with "/".')
    interaction = Interaction(page=page, selector=t.string("selector", required=True) or "")
    t.finish()
    return interaction
