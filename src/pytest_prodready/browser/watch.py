"""Watching a Playwright page: console, uncaught exceptions, requests, CSP events, web vitals.

An init script (it runs in every document before the page's own scripts, and is not subject to
the page's CSP) listens for ``securitypolicyviolation`` events and PerformanceObserver entries.
Violations and each document's inline scripts are pushed to Python through an exposed binding,
so a flow that navigates keeps what earlier documents saw; vitals are read at the end of a load.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pytest_prodready.browser.checks import page_findings
from pytest_prodready.browser.facts import (
    ConsoleEntry,
    DocumentScripts,
    FailedRequest,
    PageFacts,
    Violation,
    VitalsSample,
    is_page,
)
from pytest_prodready.browser.vitals import samples_wanted
from pytest_prodready.core.findings import Finding

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Response

__all__ = ["POLL_S", "PageWatch", "is_main_frame", "probe_page"]

# A page is settled when no request has been in flight for this long (Playwright's
# "networkidle" waits 500 ms, which would cost every page half a second).
QUIET_S = 0.2
MAX_SETTLE_S = 3.0
POLL_MS = 50
POLL_S = 0.1  # how often a wait for a condition looks again
MAX_SCRIPT_CHARS = 100_000
# Vitals are read once the main thread has run no long task for this long after the load (a
# task React schedules after hydration counts towards TBT), waiting at most MAX_READ_MS.
LONG_TASK_QUIET_MS = 250
MAX_READ_MS = 3000

_INIT_SCRIPT = """
(() => {
  const binding = %(binding)s;
  const key = Symbol.for(binding);
  if (window[key]) return;
  const doc = Math.random().toString(36).slice(2);
  const blocked = new WeakSet();
  const state = { lcp: null, fcp: null, cls: 0, clsWindow: 0, clsFirst: 0, clsLast: 0 };
  Object.defineProperty(window, key, { value: state });
  const send = (kind, data) => {
    try { window[binding](kind, doc, location.href, data); } catch (e) { /* page closing */ }
  };
  document.addEventListener("securitypolicyviolation", (e) => {
    // Report-only violations block nothing: only an enforced one stopped the script.
    if (e.disposition === "enforce" && e.target && e.target.nodeName === "SCRIPT") {
      blocked.add(e.target);
    }
    send("violation", {
      directive: e.effectiveDirective || e.violatedDirective || "",
      blocked: e.blockedURI || "",
      disposition: e.disposition || "enforce",
      source: e.sourceFile ? `${e.sourceFile}:${e.lineNumber}` : "",
      sample: e.sample || "",
    });
  }, true);
  const jsTypes = ["", "text/javascript", "application/javascript", "module"];
  state.scripts = () => {
    const policies = Array.from(
      document.querySelectorAll('meta[http-equiv="Content-Security-Policy" i]'),
      (m) => m.content);
    const inline = Array.from(document.scripts)
      .filter((s) => !s.src && jsTypes.includes((s.type || "").toLowerCase()))
      .map((s) => [s.nonce || "", (s.text || "").slice(0, %(max_chars)d), blocked.has(s)]);
    return { doc, meta: policies, inline };
  };
  addEventListener("pagehide", () => send("scripts", state.scripts()));
  addEventListener("load", () => setTimeout(() => send("scripts", state.scripts()), 0));
  const observe = (type, callback) => {
    try {
      const observer = new PerformanceObserver((list) => list.getEntries().forEach(callback));
      observer.observe({ type, buffered: true });
      return observer;
    } catch (e) { return null; /* not supported */ }
  };
  state.longtasks = [];
  const onLongTask = (e) => { state.longtasks.push([e.startTime, e.duration]); };
  const longTasks = observe("longtask", onLongTask);
  // A task that just ended is queued for the callback, which runs later: take it now.
  state.flushLongTasks = () => { if (longTasks) longTasks.takeRecords().forEach(onLongTask); };
  observe("largest-contentful-paint", (e) => { state.lcp = e.startTime; });
  observe("paint", (e) => { if (e.name === "first-contentful-paint") state.fcp = e.startTime; });
  // CLS as web-vitals computes it: the worst session window (gaps < 1 s, at most 5 s).
  observe("layout-shift", (e) => {
    if (e.hadRecentInput) return;
    if (state.clsWindow && e.startTime - state.clsLast < 1000
        && e.startTime - state.clsFirst < 5000) {
      state.clsWindow += e.value;
    } else {
      state.clsWindow = e.value;
      state.clsFirst = e.startTime;
    }
    state.clsLast = e.startTime;
    state.cls = Math.max(state.cls, state.clsWindow);
  });
})();
"""

_READ_VITALS = """
([binding, quietMs, maxMs]) => new Promise((resolve) => requestAnimationFrame(() =>
    requestAnimationFrame(() => {
  const state = window[Symbol.for(binding)] || {};
  const tasks = () => state.longtasks || [];
  const started = performance.now();
  const finish = () => {
    const nav = performance.getEntriesByType("navigation")[0];
    const ttfb = nav ? Math.max(nav.responseStart - (nav.activationStart || 0), 0) : null;
    // TBT as Lighthouse sums it, from FCP (Lighthouse stops at TTI; here, once the main
    // thread has had no long task for quietMs): each long task's part after FCP, less 50 ms.
    let tbt = null;
    if (state.fcp != null && state.longtasks) {
      tbt = 0;
      for (const [start, duration] of tasks()) {
        const clipped = start + duration - Math.max(start, state.fcp);
        if (clipped > 50) tbt += clipped - 50;
      }
    }
    resolve({ lcp: state.lcp ?? null, cls: state.cls ?? null, fcp: state.fcp ?? null, ttfb,
              tbt });
  };
  const look = () => {
    if (state.flushLongTasks) state.flushLongTasks();
    const lastEnd = Math.max(started, ...tasks().map(([start, duration]) => start + duration));
    const now = performance.now();
    if (now - lastEnd >= quietMs || now - started >= maxMs) finish();
    else setTimeout(look, 50);
  };
  look();
})))
"""

_READ_SCRIPTS = """
(binding) => { const s = window[Symbol.for(binding)]; return s ? s.scripts() : null; }
"""


class PageWatch:
    """Records what ``page`` does from now on; :meth:`facts` and :meth:`findings` judge it.

    Create it before the first navigation: the init script applies to documents loaded after.
    """

    def __init__(self, page: Page, origin: str) -> None:
        self.page = page
        self.origin = origin
        self.binding = f"__prodready_{secrets.token_hex(6)}"
        self._console: list[ConsoleEntry] = []
        self._failed: list[FailedRequest] = []
        self._insecure: list[str] = []
        self._violations: list[Violation] = []
        # document id -> (url, meta policies, inline scripts), in load order.
        self._scripts: dict[str, tuple[str, list[str], list[tuple[str, str, bool]]]] = {}
        # document URL -> enforced policies of the last main-frame document response for it;
        # document id -> the policies of the response that created it (taken at its load).
        self._header_policies: dict[str, tuple[str, ...]] = {}
        self._doc_policies: dict[str, tuple[str, ...]] = {}
        self._in_flight: set[Request] = set()
        self._last_activity = time.monotonic()
        page.expose_binding(self.binding, self._on_binding)
        page.add_init_script(
            _INIT_SCRIPT % {"binding": json.dumps(self.binding), "max_chars": MAX_SCRIPT_CHARS}
        )
        page.on("console", self._on_console)
        page.on("pageerror", self._on_page_error)
        page.on("request", self._on_request)
        page.on("requestfinished", self._on_request_done)
        page.on("requestfailed", self._on_request_failed)
        page.on("response", self._on_response)

    def _on_binding(self, source: Any, kind: str, doc: str, url: str, data: Any) -> None:
        if kind == "violation" and isinstance(data, Mapping):
            self._violations.append(
                Violation(
                    directive=str(data.get("directive", "")),
                    blocked_uri=str(data.get("blocked", "")),
                    disposition=str(data.get("disposition", "enforce")),
                    source=str(data.get("source", "")),
                    sample=str(data.get("sample", "")),
                )
            )
        elif kind == "scripts" and isinstance(data, Mapping):
            self._record_scripts(doc, url, data)

    def _record_scripts(self, doc: str, url: str, data: Mapping[str, Any]) -> None:
        inline = [(str(n), str(t), bool(b)) for n, t, b in data.get("inline", [])]
        self._scripts[doc] = (url, [str(m) for m in data.get("meta", [])], inline)
        # A document is tied to its own response at its first report (its load): a later
        # response for the same URL (a form POSTed back to it) is another document's.
        self._doc_policies.setdefault(doc, self._header_policies.get(url, ()))

    def _on_console(self, message: ConsoleMessage) -> None:
        location = message.location
        self._console.append(
            ConsoleEntry(
                message.type, message.text, location.get("url", ""), location.get("lineNumber", 0)
            )
        )

    def _on_page_error(self, error: Exception) -> None:
        stack = getattr(error, "stack", None) or ""
        frames = [line.strip()[3:] for line in stack.splitlines() if line.strip().startswith("at ")]
        text = getattr(error, "message", None) or str(error)
        self._console.append(ConsoleEntry("pageerror", text, frames[0] if frames else ""))

    def _on_request(self, request: Request) -> None:
        self._in_flight.add(request)
        self._last_activity = time.monotonic()
        if request.url.startswith(("http:", "ws:")):
            try:
                frame_url = request.frame.url
            except Exception:  # a service worker's request has no frame
                return
            if frame_url.startswith("https:"):
                self._insecure.append(request.url)

    def _on_request_done(self, request: Request) -> None:
        self._in_flight.discard(request)
        self._last_activity = time.monotonic()

    def _on_request_failed(self, request: Request) -> None:
        self._on_request_done(request)
        self._failed.append(
            FailedRequest(
                request.method, request.url, request.resource_type, failure=request.failure
            )
        )

    def _on_response(self, response: Response) -> None:
        request = response.request
        # A redirect creates no document: its CSP (often one without the nonce, as no
        # template rendered it) governs nothing the browser shows.
        redirect = 300 <= response.status < 400
        if request.is_navigation_request() and is_main_frame(request) and not redirect:
            self._header_policies[response.url] = tuple(
                h["value"]
                for h in response.headers_array()
                if h["name"].lower() == "content-security-policy"
            )
        if response.status >= 400:
            self._failed.append(
                FailedRequest(
                    request.method, response.url, request.resource_type, status=response.status
                )
            )

    def settle(self, max_s: float = MAX_SETTLE_S) -> None:
        """Wait until no request has been in flight for a moment (at most ``max_s``), so late
        failures and errors are seen."""
        deadline = time.monotonic() + max_s
        while time.monotonic() < deadline:
            idle = not self._in_flight and time.monotonic() - self._last_activity >= QUIET_S
            if idle:
                return
            self.page.wait_for_timeout(POLL_MS)

    def read_vitals(self) -> VitalsSample:
        """The current document's LCP, CLS, FCP, TTFB and TBT: after two animation frames, once
        no long task has run for ``LONG_TASK_QUIET_MS``."""
        data = self.page.evaluate(_READ_VITALS, [self.binding, LONG_TASK_QUIET_MS, MAX_READ_MS])

        def number(key: str) -> float | None:
            value = data.get(key) if isinstance(data, dict) else None
            return float(value) if isinstance(value, int | float) else None

        return VitalsSample(
            number("lcp"), number("cls"), number("fcp"), number("ttfb"), number("tbt")
        )

    def _pull_scripts(self) -> None:
        # The current document has not been unloaded: read its scripts now.
        try:
            data = self.page.evaluate(_READ_SCRIPTS, self.binding)
        except Exception:  # page closed or mid-navigation: keep what was pushed
            return
        if isinstance(data, dict):
            self._record_scripts(str(data.get("doc", "")), self.page.url, data)

    def facts(
        self,
        url: str | None = None,
        *,
        status: int | None = None,
        content_type: str | None = None,
        samples: tuple[VitalsSample, ...] = (),
    ) -> PageFacts:
        """What was seen so far, as plain data."""
        if not self.page.is_closed():
            self._pull_scripts()
        documents = tuple(
            DocumentScripts(
                doc_url,
                tuple(p for p in (*self._doc_policies.get(doc, ()), *meta) if p.strip()),
                tuple(inline),
                meta=tuple(p for p in meta if p.strip()),
            )
            for doc, (doc_url, meta, inline) in self._scripts.items()
        )
        return PageFacts(
            url=url or self.page.url,
            origin=self.origin,
            status=status,
            content_type=content_type,
            console=tuple(self._console),
            failed=tuple(self._failed),
            insecure_requests=tuple(dict.fromkeys(self._insecure)),
            violations=tuple(self._violations),
            documents=documents,
            vitals=samples,
        )

    def findings(self) -> list[Finding]:
        """Console errors, uncaught exceptions, failed same-origin requests, mixed content and
        CSP violations seen since the watch started."""
        return page_findings(self.facts())


def probe_page(
    browser: Browser,
    context_args: Mapping[str, Any],
    url: str,
    origin: str,
    *,
    runs: int,
    timeout_s: float,
    screenshot: bool,
    within_budget: Callable[[Sequence[VitalsSample]], bool] | None = None,
) -> PageFacts:
    """Load ``url`` ``runs`` times, each in a fresh context (a first visit, cold cache): the
    first load is watched and settled, every load gives a vitals sample.

    When ``within_budget`` says the vitals of fewer than ``CONFIRM_SAMPLES`` loads miss their
    budget, the page is loaded again up to that many (``samples_wanted``; an HTML page only:
    the vitals of anything else are not judged).
    """
    from playwright.sync_api import Error as PlaywrightError

    # A probe context records nothing: artifacts belong to the tests' own contexts.
    args = {k: v for k, v in context_args.items() if not k.startswith("record_")}
    first: PageFacts | None = None
    samples: list[VitalsSample] = []
    loads = runs
    while len(samples) < loads:
        context = browser.new_context(**args)
        try:
            context.set_default_timeout(timeout_s * 1000)
            page = context.new_page()
            watch = PageWatch(page, origin)
            try:
                response = page.goto(url, wait_until="load")
            except PlaywrightError as exc:
                message = exc.message.splitlines()[0] if exc.message else str(exc)
                return PageFacts(
                    url, origin, error=f"prodready: the browser could not load {url}: {message}"
                )
            if first is None:
                watch.settle()
            samples.append(watch.read_vitals())
            if first is None:
                first = watch.facts(
                    url,
                    status=response.status if response else None,
                    content_type=response.headers.get("content-type") if response else None,
                )
                if screenshot and page_findings(first):
                    first = _with_screenshot(first, page)
        finally:
            context.close()
        judged = first is not None and is_page(first.content_type)
        loads = samples_wanted(samples, loads, within_budget if judged else None)
    assert first is not None
    return dataclasses.replace(first, vitals=tuple(samples))


def _with_screenshot(facts: PageFacts, page: Page) -> PageFacts:
    from playwright.sync_api import Error as PlaywrightError

    try:
        shot = page.screenshot(type="png", timeout=5000)
    except PlaywrightError:
        return facts
    return dataclasses.replace(facts, screenshot=shot)


def is_main_frame(request: Request) -> bool:
    """Whether ``request`` belongs to the page's top-level frame."""
    try:
        return request.frame.parent_frame is None
    except Exception:  # a service worker's request has no frame
        return False
