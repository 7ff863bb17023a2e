"""The slower browser audits, each on a page of its own (its own context, cold cache), so the
page watch's console and CSP records never see them: axe-core, the page's images, and the
timing of a configured click.

axe-core comes from the axe-playwright-python package, which ships ``axe.min.js`` (axe-core is
MPL-2.0, the file keeps its notice); only the file is used, not that package's API. It is
evaluated through the DevTools protocol, which a page's Content-Security-Policy does not
govern, so it runs under a strict nonce policy too.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_prodready.browser.a11y import axe_options
from pytest_prodready.browser.facts import AuditFacts, AxeViolation, ImageFact
from pytest_prodready.browser.vitals import samples_wanted
from pytest_prodready.config.flows import A11y

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Response, Route

__all__ = ["AXE_ENV", "AxeMissing", "audit_page", "axe_script", "run_axe", "time_clicks"]

# A newer axe-core than the package's: npm's node_modules/axe-core/axe.min.js, say.
AXE_ENV = "PRODREADY_AXE_JS"
AXE_PACKAGE = "axe_playwright_python"
# How long the audit waits for late images after the load event.
SETTLE_MS = 1500

_RUN_AXE = """
async ([options, ms]) => {
  // A tag no rule has would run nothing and pass: a typo in [a11y] tags must say so.
  const unknown = options.runOnly.values.filter((tag) => axe.getRules([tag]).length === 0);
  if (unknown.length) {
    throw new Error(`no rule of axe-core ${axe.version} has the tag ${unknown.join(", ")}: ` +
                    "fix tags in [envs.X.a11y] (e.g. wcag2a, wcag2aa, wcag21aa, best-practice)");
  }
  const timer = new Promise((_, reject) =>
    setTimeout(() => reject(new Error(`axe-core did not finish within ${ms} ms`)), ms));
  const results = await Promise.race([axe.run(document, options), timer]);
  // Only the rule and the selectors: the html snippets and failure texts quote the page.
  return {
    version: (results.testEngine && results.testEngine.version) || axe.version || "",
    violations: results.violations.map((v) => ({
      rule: v.id, impact: v.impact || "", help: v.help || "",
      helpUrl: (v.helpUrl || "").split("?")[0],
      targets: v.nodes.slice(0, 20).map((n) => [].concat(n.target).flat(Infinity).join(" >>> ")),
      nodes: v.nodes.length,
    })),
  };
}
"""

_READ_IMAGES = """
() => ({
  viewport: innerHeight, ratio: devicePixelRatio,
  images: Array.from(document.images, (img) => {
    const box = img.getBoundingClientRect();
    return { url: img.currentSrc || img.src || "", nw: img.naturalWidth, nh: img.naturalHeight,
             w: box.width, h: box.height, top: box.top + scrollY,
             loading: (img.getAttribute("loading") || "").toLowerCase() };
  }),
})
"""

# Event Timing (https://w3c.github.io/event-timing/): an interaction's latency is its longest
# event entry (pointerdown, pointerup, click share one interactionId), as web-vitals' onINP
# reads it. Entries under 16 ms, the API's floor, are never reported.
_EVENT_TIMING = """
(() => {
  const key = Symbol.for("prodready-inp");
  if (window[key]) return;
  const seen = new Map();
  Object.defineProperty(window, key, { value: seen });
  try {
    new PerformanceObserver((list) => list.getEntries().forEach((e) => {
      if (e.interactionId) seen.set(e.interactionId, Math.max(seen.get(e.interactionId) || 0,
                                                              e.duration));
    })).observe({ type: "event", durationThreshold: 16, buffered: true });
  } catch (e) { /* no Event Timing */ }
})();
"""

_INTERACTIONS = "() => Array.from(window[Symbol.for('prodready-inp')] || new Map()).length"

# After a click: the entries come after the next paint; wait for one new interaction, or
# give up after a quiet moment (a fast handler stays under the 16 ms floor).
_AWAIT_INTERACTION = """
([before, quietMs]) => new Promise((resolve) => {
  const seen = window[Symbol.for("prodready-inp")] || new Map();
  const started = performance.now();
  const look = () => {
    if (seen.size > before) {
      resolve(Math.max(...Array.from(seen.values()).slice(before)));
    } else if (performance.now() - started > quietMs) {
      resolve(0);
    } else {
      setTimeout(look, 20);
    }
  };
  requestAnimationFrame(() => requestAnimationFrame(look));
})
"""
QUIET_MS = 500


class AxeMissing(Exception):
    """No axe.min.js to run: the message says how to get one."""


@functools.cache
def axe_script(override: str | None = None) -> str:
    """axe.min.js: the file ``PRODREADY_AXE_JS`` names, else the one axe-playwright-python
    ships."""
    if override:
        path = Path(override)
        if not path.is_file():
            raise AxeMissing(
                f"{AXE_ENV} environment variable points at {override}, which is not a file: "
                "point it at an axe.min.js (npm install axe-core: node_modules/axe-core/"
                "axe.min.js), or unset it to use the one axe-playwright-python ships"
            )
        return path.read_text(encoding="utf-8")
    try:
        return (resources.files(AXE_PACKAGE) / "axe.min.js").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        raise AxeMissing(
            "no axe-core for the accessibility test: pip install 'axe-playwright-python>=0.1.8' "
            f"(it ships axe.min.js), or set {AXE_ENV} to an axe.min.js"
        ) from None


def run_axe(page: Page, settings: A11y, *, timeout_s: float) -> tuple[str, list[AxeViolation]]:
    """axe-core on ``page`` as it is now: its version and the violations of the configured
    rules (no HTML snippet of the page)."""
    page.evaluate(axe_script(os.environ.get(AXE_ENV)))
    data = page.evaluate(_RUN_AXE, [axe_options(settings), int(timeout_s * 1000)])
    violations = [
        AxeViolation(
            rule=str(v.get("rule", "")),
            impact=str(v.get("impact", "")),
            help=str(v.get("help", "")),
            help_url=str(v.get("helpUrl", "")),
            targets=tuple(str(t) for t in v.get("targets", [])),
            nodes=int(v.get("nodes", 0)),
        )
        for v in data.get("violations", [])
    ]
    return str(data.get("version", "")), violations


def _probe_args(context_args: Mapping[str, Any]) -> dict[str, Any]:
    # A probe context records nothing: artifacts belong to the tests' own contexts.
    return {k: v for k, v in context_args.items() if not k.startswith("record_")}


def _first_line(exc: Exception) -> str:
    text = getattr(exc, "message", None) or str(exc)
    return text.splitlines()[0] if text else type(exc).__name__


def audit_page(
    browser: Browser,
    context_args: Mapping[str, Any],
    url: str,
    settings: A11y,
    *,
    timeout_s: float,
) -> AuditFacts:
    """Load ``url`` once in a fresh context; read its images and what served them, then run
    axe-core. A page that is not HTML (a JSON endpoint) gives empty facts."""
    from playwright.sync_api import Error as PlaywrightError

    context = browser.new_context(**_probe_args(context_args))
    responses: dict[str, Response] = {}
    try:
        context.set_default_timeout(timeout_s * 1000)
        page = context.new_page()

        def on_response(response: Response) -> None:
            if response.request.resource_type == "image":
                responses.setdefault(response.url, response)

        page.on("response", on_response)
        try:
            response = page.goto(url, wait_until="load")
        except PlaywrightError as exc:
            return AuditFacts(url, error=f"the browser could not load {url}: {_first_line(exc)}")
        kind = (response.headers.get("content-type", "") if response else "").lower()
        if "html" not in kind:
            return AuditFacts(url)
        with contextlib.suppress(PlaywrightError):
            page.wait_for_load_state("networkidle", timeout=SETTLE_MS)
        seen = page.evaluate(_READ_IMAGES)
        images = tuple(_image(item, responses) for item in seen.get("images", []))
        try:
            version, violations = run_axe(page, settings, timeout_s=timeout_s)
        except PlaywrightError as exc:
            return AuditFacts(url, error=f"axe-core failed on {url}: {_first_line(exc)}")
        return AuditFacts(
            url,
            viewport_height=float(seen.get("viewport", 0)),
            device_pixel_ratio=float(seen.get("ratio", 1)) or 1.0,
            axe_version=version,
            violations=tuple(violations),
            images=images,
        )
    finally:
        context.close()


def _image(item: Mapping[str, Any], responses: Mapping[str, Response]) -> ImageFact:
    url = str(item.get("url", ""))
    response = responses.get(url)
    content_type = cache_control = None
    size: int | None = None
    if response is not None:
        headers = response.headers
        content_type = headers.get("content-type")
        cache_control = headers.get("cache-control")
        size = _body_size(response)
    return ImageFact(
        url=url,
        natural_width=int(item.get("nw", 0)),
        natural_height=int(item.get("nh", 0)),
        rendered_width=float(item.get("w", 0)),
        rendered_height=float(item.get("h", 0)),
        top=float(item.get("top", 0)),
        loading=str(item.get("loading", "")),
        content_type=content_type,
        bytes=size,
        cache_control=cache_control,
        requested=response is not None,
    )


def _body_size(response: Response) -> int | None:
    from playwright.sync_api import Error as PlaywrightError

    try:
        size = int(response.request.sizes().get("responseBodySize", 0))
    except PlaywrightError:
        size = 0
    if size > 0:
        return size
    length = response.headers.get("content-length", "")
    return int(length) if length.isdigit() else None


def _reads_only(route: Route) -> None:
    if route.request.method in ("GET", "HEAD", "OPTIONS"):
        route.continue_()
    else:
        route.abort("blockedbyclient")


def time_clicks(
    browser: Browser,
    context_args: Mapping[str, Any],
    url: str,
    selector: str,
    *,
    runs: int,
    timeout_s: float,
    within_budget: Callable[[Sequence[float]], bool] | None = None,
) -> tuple[list[float], str | None]:
    """Click ``selector`` on ``url`` ``runs`` times (real mouse clicks, one page load): each
    click's interaction latency in ms, or why none could be timed. When ``within_budget`` says
    fewer than ``CONFIRM_SAMPLES`` clicks miss their budget, the control is clicked again up to
    that many (``samples_wanted``)."""
    from playwright.sync_api import Error as PlaywrightError

    context = browser.new_context(**_probe_args(context_args))
    try:
        context.set_default_timeout(timeout_s * 1000)
        # The clicks may start writes (an "add to cart" POST): they are refused in the browser,
        # so timing an interaction never changes the target, protected or not. The latency
        # measured is the main thread's, which a refused request does not change.
        context.route("**/*", _reads_only)
        page = context.new_page()
        page.add_init_script(_EVENT_TIMING)
        try:
            page.goto(url, wait_until="load")
        except PlaywrightError as exc:
            return [], f"the browser could not load {url}: {_first_line(exc)}"
        samples: list[float] = []
        clicks = runs
        while len(samples) < clicks:
            before = int(page.evaluate(_INTERACTIONS))
            try:
                page.locator(selector).first.click()
            except PlaywrightError as exc:
                return samples, f"could not click {selector!r} on {url}: {_first_line(exc)}"
            try:
                samples.append(float(page.evaluate(_AWAIT_INTERACTION, [before, QUIET_MS])))
            except PlaywrightError as exc:  # the click navigated away: nothing left to read
                return samples, f"clicking {selector!r} left {url}: {_first_line(exc)}"
            clicks = samples_wanted(samples, clicks, within_budget)
        return samples, None
    finally:
        context.close()
