"""Information-leak findings: version and debug headers, debug pages and stack traces."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx
import pytest

from pytest_prodready.checks import leaks
from pytest_prodready.core.findings import CATALOGUE, Finding, Rule, Severity

IDS = {
    "leak.server-version",
    "leak.powered-by",
    "leak.header",
    "leak.debug-page",
    "leak.stack-trace",
}
URL = "https://app.test/"


def respond(headers: Sequence[tuple[str, str]] = (), body: str = "", status: int = 200) -> Any:
    return httpx.Response(
        status,
        headers=[("content-type", "text/html; charset=utf-8"), *headers],
        content=body.encode(),
        request=httpx.Request("GET", URL),
    )


def ids(findings: list[Finding]) -> set[str]:
    return {f.id for f in findings}


def test_every_id_is_declared_in_the_catalogue() -> None:
    declared = {v.id: v for v in vars(leaks).values() if isinstance(v, Rule)}
    assert set(declared) == IDS
    assert all(CATALOGUE[id_] is declared_rule for id_, declared_rule in declared.items())


@pytest.mark.parametrize(
    ("server", "expected"),
    [
        ("nginx/1.18.0", True),
        ("nginx/1.18.0 (Ubuntu)", True),
        ("Apache/2.4.41 (Ubuntu)", True),
        ("Microsoft-IIS/10.0", True),
        ("gunicorn/20.1.0", True),
        ("Werkzeug/2.0.1 Python/3.9.5", True),
        ("Jetty(9.4.44.v20210927)", True),
        ("openresty/1.21.4.1", True),
        ("cloudflare", False),
        ("nginx", False),
        ("Apache", False),
        ("gunicorn", False),
        ("AmazonS3", False),
        ("ECS (dcb/7EA3)", False),
        ("mw1234.eqiad.wmnet", False),
    ],
)
def test_server_version(server: str, expected: bool) -> None:
    found = leaks.evaluate(respond([("server", server)]))
    assert ("leak.server-version" in ids(found)) is expected
    if expected:
        assert found[0].evidence == f"Server: {server}"


# (headers, id, expected present)
HEADER_CASES: list[Any] = [
    pytest.param([("x-powered-by", "Express")], "leak.powered-by", True, id="x-powered-by"),
    pytest.param([("X-Powered-By", "PHP/8.1.2")], "leak.powered-by", True, id="php"),
    pytest.param([("x-aspnet-version", "4.0.30319")], "leak.powered-by", True, id="aspnet"),
    pytest.param([("x-aspnetmvc-version", "5.2")], "leak.powered-by", True, id="aspnet-mvc"),
    pytest.param([("x-powered-by", " ")], "leak.powered-by", False, id="blank"),
    pytest.param([("server", "nginx")], "leak.powered-by", False, id="absent"),
    pytest.param([("x-runtime", "0.012")], "leak.header", True, id="x-runtime"),
    pytest.param([("x-generator", "Drupal 10")], "leak.header", True, id="x-generator"),
    pytest.param([("x-drupal-cache", "HIT")], "leak.header", True, id="x-drupal-cache"),
    pytest.param([("x-debug-token", "a1b2c3")], "leak.header", True, id="x-debug-token"),
    pytest.param([("x-backend-server", "app-3")], "leak.header", True, id="x-backend-server"),
    pytest.param([("x-envoy-upstream-service-time", "4")], "leak.header", True, id="envoy"),
    pytest.param([("x-request-id", "abc")], "leak.header", False, id="x-request-id"),
    pytest.param([("x-cache", "HIT")], "leak.header", False, id="x-cache"),
    pytest.param([("cf-ray", "8a1b-AMS")], "leak.header", False, id="cf-ray"),
]


@pytest.mark.parametrize(("headers", "rule_id", "expected"), HEADER_CASES)
def test_header_rule(headers: list[tuple[str, str]], rule_id: str, expected: bool) -> None:
    assert (rule_id in ids(leaks.evaluate(respond(headers)))) is expected


def test_one_finding_per_leaking_header_naming_it() -> None:
    found = leaks.evaluate(
        respond(
            [
                ("x-runtime", "0.01"),
                ("x-generator", "WordPress 6.5"),
                ("x-powered-by", "Express"),
                ("x-aspnet-version", "4.0.30319"),
            ]
        )
    )
    assert sorted((f.id, f.evidence) for f in found) == [
        ("leak.header", "X-Generator: WordPress 6.5"),
        ("leak.header", "X-Runtime: 0.01"),
        ("leak.powered-by", "X-AspNet-Version: 4.0.30319"),
        ("leak.powered-by", "X-Powered-By: Express"),
    ]


def test_debug_headers_are_worse_than_fingerprints() -> None:
    found = leaks.evaluate(
        respond([("x-debug-token-link", "https://app.test/_profiler/a1b2c3"), ("x-runtime", "1")])
    )
    assert {f.evidence.split(":")[0]: f.severity for f in found} == {
        "X-Debug-Token-Link": Severity.MEDIUM,
        "X-Runtime": Severity.LOW,
    }


def test_a_clean_response_has_no_header_leaks() -> None:
    assert leaks.evaluate(respond([("server", "cloudflare"), ("x-request-id", "1")])) == []


DJANGO_404 = """<!DOCTYPE html><html><head><title>Page not found at /nope</title></head><body>
<div id="info"><p>Using the URLconf defined in <code>app.urls</code>, Django tried these URL
patterns, in this order:</p></div>
<div id="explanation"><p>You're seeing this error because you have <code>DEBUG = True</code> in
your Django settings file. Change that to <code>False</code>, and Django will display a standard
404 page.</p></div></body></html>"""
PHPINFO = """<!DOCTYPE html><html><head><title>PHP 8.1.2 - phpinfo()</title></head><body>
<h1 class="p">PHP Version 8.1.2</h1><table><tr><td class="e">System </td>
<td class="v">Linux web 5.15.0 #1 SMP x86_64 </td></tr></table><h1>PHP Credits</h1>
<tr><td class="e">display_errors</td><td class="v">Off</td></tr></body></html>"""
PLAIN_404 = """<!DOCTYPE html><html><head><title>Not Found</title></head><body><main>
<h1>Not Found</h1><p>Nothing at this address. We debug our pages at 10:30 at /room:10:30.</p>
<p>Read about Django, Rails, Spring and Express on our blog.</p></main></body></html>"""

DEBUG_PAGES = [
    pytest.param(DJANGO_404, id="django"),
    pytest.param(
        "<title>ZeroDivisionError // Werkzeug Debugger</title><div class=debugger>", id="werkzeug"
    ),
    pytest.param(
        '<script src="/vendor/facade/ignition/dist/ignition.js"></script>', id="laravel-ignition"
    ),
    pytest.param("<title>Whoops! There was an error.</title>", id="whoops"),
    pytest.param("<title>Action Controller: Exception caught</title>", id="rails"),
    pytest.param(
        "<pre>Error: boom<br> &nbsp; &nbsp;at Layer.handle [as handle_request] "
        "(/app/node_modules/express/lib/router/layer.js:95:5)</pre>",
        id="express",
    ),
    pytest.param(
        '<script>fetch("/__nextjs_original-stack-frame?file=x")</script>', id="nextjs-overlay"
    ),
    pytest.param('<div id="sfwdt1a2b3c" class="sf-toolbar">', id="symfony-profiler"),
    pytest.param(
        "<h1>Whitelabel Error Page</h1><p>This application has no explicit mapping for /error",
        id="spring",
    ),
    pytest.param(
        "<h1>Server Error in '/' Application.<hr width=100% size=1 color=silver></h1>",
        id="aspnet-ysod",
    ),
    pytest.param("<h1>Server Error in &#39;/shop&#39; Application.</h1>", id="aspnet-ysod-escaped"),
    pytest.param(
        "<h1>An unhandled exception occurred while processing the request.</h1>",
        id="aspnet-core-developer-page",
    ),
]
STACK_TRACES = [
    pytest.param(
        'Traceback (most recent call last):\n  File "/app/views.py", line 12, in index\n',
        id="python",
    ),
    pytest.param(
        "<pre>  File &quot;/app/views.py&quot;, line 12, in index</pre>", id="python-escaped"
    ),
    pytest.param(
        "java.lang.NullPointerException\n\tat com.x.Y(Y.java:12)\n\tat com.x.Z.run(Z.java:4)",
        id="java",
    ),
    pytest.param("\tat sun.reflect.NativeMethodAccessorImpl.invoke0(Native Method)", id="java-nm"),
    pytest.param(
        "System.NullReferenceException\n   at System.Web.Mvc.ControllerActionInvoker.Invoke()",
        id="dotnet",
    ),
    pytest.param(
        r"   at Shop.Controllers.Home.Index() in C:\src\Home.cs:line 42", id="dotnet-line"
    ),
    pytest.param("TypeError: x is undefined\n    at Object.<anonymous> (/app/x.js:1:2)", id="node"),
    pytest.param("    at node:internal/main/run_main_module:28:49", id="node-internal"),
    pytest.param(
        "<b>Fatal error</b>: Uncaught Exception: boom in /var/www/index.php:3\n"
        "Stack trace:\n#0 {main}",
        id="php",
    ),
    pytest.param("Stack trace:<br />\n#0 /var/www/a.php(3): f()", id="php-html"),
    pytest.param("app/controllers/users_controller.rb:12:in `show'", id="ruby"),
    pytest.param("app/controllers/users_controller.rb:12:in 'show'", id="ruby-3.4"),
    pytest.param("panic: runtime error\n\ngoroutine 1 [running]:\nmain.main()", id="go"),
]
CLEAN_PAGES = [
    pytest.param(PLAIN_404, id="plain-404"),
    pytest.param(PHPINFO, id="phpinfo-is-exposure-not-debug"),
    pytest.param('{"error": "not_found", "detail": "No route /x"}', id="json-error"),
    pytest.param("", id="empty"),
    pytest.param("<p>Set DEBUG = False before you deploy.</p>", id="debug-false-advice"),
]


@pytest.mark.parametrize("body", DEBUG_PAGES)
def test_debug_page(body: str) -> None:
    found = leaks.evaluate_error_page(respond(body=body, status=500))
    assert "leak.debug-page" in ids(found)


@pytest.mark.parametrize("body", STACK_TRACES)
def test_stack_trace(body: str) -> None:
    found = leaks.evaluate_error_page(respond(body=body, status=500))
    assert "leak.stack-trace" in ids(found)


@pytest.mark.parametrize("body", CLEAN_PAGES)
def test_clean_error_pages(body: str) -> None:
    assert leaks.evaluate_error_page(respond(body=body, status=404)) == []


@pytest.mark.parametrize("body", [*DEBUG_PAGES, *STACK_TRACES])
def test_evidence_is_a_short_excerpt_naming_the_signature(body: str) -> None:
    found = leaks.evaluate_error_page(respond(body=body, status=500))
    assert found
    for finding in found:
        assert len(finding.evidence) <= 120
        assert ": " in finding.evidence
        assert "\n" not in finding.evidence


def test_django_debug_page_evidence_shows_the_match() -> None:
    (finding,) = leaks.evaluate_error_page(respond(body=DJANGO_404, status=404))
    assert finding.evidence.startswith("Django debug page: ")
    assert "DEBUG = True" in finding.evidence
    assert finding.evidence == (
        "Django debug page: error because you have <code>DEBUG = True</code> in your Django "
        "settings file. Change that to <code>…"
    )
    assert finding.url == URL


def test_one_finding_per_id_even_with_many_matches() -> None:
    body = "Traceback (most recent call last):\n" + "  at com.x.Y(Y.java:1)\n" * 50
    found = leaks.evaluate_error_page(respond(body=body, status=500))
    assert [f.id for f in found] == ["leak.stack-trace"]


def test_debug_page_with_a_traceback_reports_both() -> None:
    body = DJANGO_404 + "<pre>Traceback (most recent call last):\n</pre>"
    assert ids(leaks.evaluate_error_page(respond(body=body, status=500))) == {
        "leak.debug-page",
        "leak.stack-trace",
    }
