"""Information leaks: software versions in headers, debug headers, debug pages, stack traces.

:func:`evaluate` reads any response's headers; :func:`evaluate_error_page` reads the body of the
answer to a request for a missing path or a malformed request, where frameworks left in debug
mode show themselves.
"""

from __future__ import annotations

import re

import httpx

from pytest_prodready.checks.grammar import header_evidence, request_of
from pytest_prodready.core.evidence import clip
from pytest_prodready.core.findings import Finding, Severity, rule

__all__ = ["evaluate", "evaluate_error_page"]

SERVER_VERSION = rule(
    "leak.server-version",
    Severity.LOW,
    "Server header reveals the software version",
    "Hide the version (nginx: server_tokens off; Apache: ServerTokens Prod; or drop the "
    "header at the proxy).",
)
POWERED_BY = rule(
    "leak.powered-by",
    Severity.LOW,
    "Header advertises the application framework",
    "Remove it (Express: app.disable('x-powered-by'); PHP: expose_php = Off; ASP.NET: "
    "enableVersionHeader=false and remove X-Powered-By in web.config).",
)
LEAK_HEADER = rule(
    "leak.header",
    Severity.LOW,
    "Header discloses internal or debugging information",
    "Strip the header at the application or the edge proxy (OWASP Secure Headers Project "
    "remove list).",
)
DEBUG_PAGE = rule(
    "leak.debug-page",
    Severity.HIGH,
    "Framework debug page served",
    "Turn debug mode off in production (DEBUG=False, APP_DEBUG=false, NODE_ENV=production, "
    "no developer exception page) and serve a plain error page.",
)
STACK_TRACE = rule(
    "leak.stack-trace",
    Severity.MEDIUM,
    "Stack trace in an error response",
    "Log exceptions server-side and answer with a generic error page or problem+json body.",
)

_POWERED_BY = ("X-Powered-By", "X-AspNet-Version", "X-AspNetMvc-Version")
# OWASP Secure Headers Project, ci/headers_remove.json, less Server and the X-Powered-By family
# (judged above, with versions in mind), plus the debug and backend headers ZAP reports.
_LEAK_HEADERS = (
    "$WSEP",
    "Host-Header",
    "K-Proxy-Request",
    "Liferay-Portal",
    "OracleCommerceCloud-Version",
    "Pega-Host",
    "Powered-By",
    "Product",
    "SourceMap",
    "X-Atmosphere-error",
    "X-Atmosphere-first-request",
    "X-Atmosphere-tracking-id",
    "X-B3-ParentSpanId",
    "X-B3-Sampled",
    "X-B3-SpanId",
    "X-B3-TraceId",
    "X-Backend-Server",
    "X-BEServer",
    "X-CalculatedBETarget",
    "X-CF-Powered-By",
    "X-ChromeLogger-Data",
    "X-ChromePhp-Data",
    "X-CMS",
    "X-Cocoon-Version",
    "X-Content-Encoded-By",
    "X-Debug-Token",
    "X-Debug-Token-Link",
    "X-DiagInfo",
    "X-Drupal-Cache",
    "X-Drupal-Dynamic-Cache",
    "X-dtAgentId",
    "X-dtHealthCheck",
    "X-dtInjectedServlet",
    "X-Envoy-Attempt-Count",
    "X-Envoy-External-Address",
    "X-Envoy-Internal",
    "X-Envoy-Original-Dst-Host",
    "X-Envoy-Upstream-Service-Time",
    "X-FEServer",
    "X-Framework",
    "X-Generated-By",
    "X-Generator",
    "X-Jitsi-Release",
    "X-Joomla-Version",
    "X-Kubernetes-PF-FlowSchema-UID",
    "X-Kubernetes-PF-PriorityLevel-UID",
    "X-LiteSpeed-Cache",
    "X-LiteSpeed-Purge",
    "X-LiteSpeed-Tag",
    "X-LiteSpeed-Vary",
    "X-Litespeed-Cache-Control",
    "X-Mod-Pagespeed",
    "X-Nextjs-Cache",
    "X-Nextjs-Matched-Path",
    "X-Nextjs-Page",
    "X-Nextjs-Redirect",
    "X-Old-Content-Length",
    "X-OneAgent-JS-Injection",
    "X-OWA-Version",
    "X-Page-Speed",
    "X-Php-Version",
    "X-Powered-By-Plesk",
    "X-Powered-CMS",
    "X-Redirect-By",
    "X-ruxit-JS-Agent",
    "X-Runtime",
    "X-Server-Powered-By",
    "X-SourceFiles",
    "X-SourceMap",
    "X-Turbo-Charged-By",
    "X-Umbraco-Version",
    "X-Varnish-Backend",
    "X-Varnish-Server",
)
# These say a debugger or profiler is switched on, which is worse than a fingerprint.
_DEBUG_HEADERS = frozenset(
    {
        "x-debug-token",
        "x-debug-token-link",
        "x-chromelogger-data",
        "x-chromephp-data",
        "x-sourcefiles",
    }
)
# A version is digits after the product's "/" (nginx/1.18.0, Microsoft-IIS/10.0) or in
# parentheses right after its name (Jetty(9.4.44)). Not any digit, as ZAP has it: "ECS
# (dcb/7EA3)" is an Edgecast point of presence and "mw1234.eqiad.wmnet" a host name.
_VERSION = re.compile(r"[A-Za-z][\w.+-]*(?:/v?|\()\d+(?:\.\d+)*(?![\w])")

_DEBUG_SIGNATURES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        ("Django debug page", r"\bDEBUG = True\b"),
        ("Werkzeug debugger", r"Werkzeug Debugger|__debugger__=yes"),
        ("Laravel Ignition", r"window\.ignite\(|(?:facade|spatie)/(?:laravel-)?ignition"),
        ("Whoops error page", r"Whoops! There was an error\.|Whoops\\Exception\\"),
        ("Rails exception page", r"Action Controller: Exception caught"),
        ("Express development error", r"\bat Layer\.handle(?: \[as handle_request\])? \("),
        ("Next.js development overlay", r"__nextjs_original-stack-frame|nextjs__container_errors"),
        ("Symfony profiler", r'id="sfwdt|class="sf-toolbar|/_profiler/[0-9a-f]{6}'),
        ("Symfony exception page", r"Symfony\\Component\\ErrorHandler\\"),
        ("Spring Whitelabel error page", r"Whitelabel Error Page"),
        ("ASP.NET error page", r"Server Error in (?:'|&#39;)[^'&]*(?:'|&#39;) Application"),
        (
            "ASP.NET Core developer exception page",
            r"An unhandled exception occurred while processing the request\.",
        ),
    )
)
_QUOTE = r"(?:\"|&quot;|&#34;)"
_TRACE_SIGNATURES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.MULTILINE))
    for name, pattern in (
        ("Python traceback", r"Traceback \(most recent call last\):"),
        ("Python traceback", rf"File {_QUOTE}[^\"&\n]+\.py{_QUOTE}, line \d+, in "),
        (
            "Java stack trace",
            r"\bat [\w$]+(?:\.[\w$<>&;]+)+"
            r"\((?:[\w$]+\.(?:java|kt|scala|groovy):\d+|Native Method|Unknown Source)\)",
        ),
        (".NET stack trace", r"^\s*at (?:System|Microsoft)\.[\w.`<>]+\("),
        (".NET stack trace", r"\.cs:line \d+"),
        (
            "Node.js stack trace",
            r"\bat (?:[^\n()]{1,200} \()?"
            r"(?:(?:/|[A-Za-z]:\\|file:///)[^\s()]*\.[cm]?[jt]sx?|node:[\w/]+):\d+:\d+",
        ),
        ("PHP stack trace", r"Stack trace:\s*(?:<br\s*/?>\s*)*#0 "),
        ("Ruby backtrace", r"\.rb:\d+:in (?:`|'|&#39;|&#x27;)"),
        ("Go panic", r"goroutine \d+ \[running\]:"),
    )
)
_MAX_BODY_CHARS = 1_000_000
_EVIDENCE_CHARS = 120
_SPACE = re.compile(r"\s")


def evaluate(response: httpx.Response) -> list[Finding]:
    """Header leaks: a Server version, X-Powered-By and the ASP.NET version headers, and every
    header on the remove list (one finding per header, evidence names it)."""
    request = request_of(response)
    url = str(request.url) if request is not None else None
    findings: list[Finding] = [
        SERVER_VERSION(header_evidence("Server", value), url=url)
        for value in response.headers.get_list("server")
        if _VERSION.search(value)
    ]
    findings += [
        POWERED_BY(header_evidence(name, response.headers[name]), url=url)
        for name in _POWERED_BY
        if response.headers.get(name, "").strip()
    ]
    for name in _LEAK_HEADERS:
        if name in response.headers:
            severity = Severity.MEDIUM if name.lower() in _DEBUG_HEADERS else None
            evidence = header_evidence(name, response.headers[name])
            findings.append(LEAK_HEADER(evidence, url=url, severity=severity))
    return findings


def evaluate_error_page(response: httpx.Response) -> list[Finding]:
    """Debug-page and stack-trace findings in the body of an error answer.

    At most one finding per id: the first signature that matches, with a short excerpt
    around the match as evidence.
    """
    request = request_of(response)
    url = str(request.url) if request is not None else None
    try:
        body = response.text
    except httpx.ResponseNotRead:
        return []
    return evaluate_error_body(body, url=url)


def evaluate_error_body(body: str, *, url: str | None = None) -> list[Finding]:
    """:func:`evaluate_error_page` on a body already read (the contract engine keeps bodies
    of failed checks, not responses)."""
    body = body[:_MAX_BODY_CHARS]
    findings: list[Finding] = []
    for declared, signatures in ((DEBUG_PAGE, _DEBUG_SIGNATURES), (STACK_TRACE, _TRACE_SIGNATURES)):
        for name, pattern in signatures:
            match = pattern.search(body)
            if match is not None:
                findings.append(declared(_excerpt(name, body, match), url=url))
                break
    return findings


def _excerpt(name: str, body: str, match: re.Match[str]) -> str:
    label = f"{name}: "
    budget = _EVIDENCE_CHARS - len(label)
    start = max(0, match.start() - budget // 3)
    # Begin at a word boundary, so the excerpt does not open on half a word.
    if start > 0 and (space := _SPACE.search(body, start, match.start())):
        start = space.end()
    return label + clip(body[start : start + budget * 2], budget)
