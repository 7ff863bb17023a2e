"""The faults: where each is served, which suites face it, and what must name it.

``expect`` holds regular expressions; each must match a line of some failure of the run: the
one line a user reads to learn what is wrong with the target. Faults at the HTTP level face
the health, release and pages suites (five tests on a small site); faults at the TLS level
face the TLS and headers suites; a few face every smoke test at once. Faults of one API
operation (``contract-*``) face the contract suite, behind an OpenAPI document that loads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from tests.faults.server import HOSTILE_CANARY

__all__ = [
    "CONTRACT_FAULTS",
    "CONTRACT_SUITES",
    "FAULTS",
    "HTTP_SUITES",
    "RATE_LIMIT_WINDOW_S",
    "SMOKE",
    "TLS_SUITES",
    "Fault",
    "by_name",
]

HTTP_SUITES = ("suites/test_health.py", "suites/test_release.py", "suites/test_pages.py")
TLS_SUITES = ("suites/test_tls.py", "suites/test_headers.py")
REDIRECT_SUITES = (*HTTP_SUITES, "suites/test_tls.py")
SMOKE = ("suites",)

# The 429 fault's declared limiter.
RATE_LIMIT_WINDOW_S = 1
RATE_LIMIT_TOML = f"""
[[envs.fault.rate_limits]]
name = "login"
path = "/api/auth/login"
method = "POST"
json = {{ email = "probe@example.com", password = "not-the-password" }}
limit = 2
window_s = {RATE_LIMIT_WINDOW_S}
margin = 1
"""

# The contract suite against /contract-<fault>/: a sound OpenAPI document whose one operation
# (GET /api/items) misbehaves; the health suite runs in the same session and must pass.
CONTRACT_SUITES = ("suites/test_contracts.py", "suites/test_health.py")
CONTRACT_ENV = 'openapi = "api/openapi.json"'
CONTRACT_TOML = """
[envs.fault.contract]
max_examples = 5
seed = 1
"""
CONTRACT_BODY_CAP_MB = 1
# schemathesis's own work on a stalled operation (generating cases, Hypothesis replaying the
# failure) comes on top of its requests' budgets: 0.7-0.8 s measured alone on 2 cores, up to
# 1.4 s while other fault runs share the cores, 2.5 s beside a Next.js build and browsers.
# Still far below any hang the watchdog exists for.
CONTRACT_ENGINE_S = MappingProxyType({"test_operation": 2.5})
# A healthy contract run peaks at ~110 MB RSS; with the 50 MB body read whole, ~207 MB.
CONTRACT_RSS_GROWTH_MB = 24
CONTRACT_TIMED_OUT = (
    r"contract\.request-error .*GET /api/items: read timed out after 1 s on "
    r"GET http://127\.0\.0\.1:\d+/contract-{}/api/items"
)

# A body cut at max_body_mb must say so, or "not JSON" hides "50 MB of it".
TRUNCATED = r"truncat|max_body_mb|cut at|larger than"
TIMED_OUT = r"timed out after 1 s on GET https?://127\.0\.0\.1:\d+/"


def _owned_by(test: str, pattern: str) -> Mapping[str, str]:
    return MappingProxyType({test: pattern})


def _redirect_probe_names(pattern: str) -> Mapping[str, str]:
    """The TLS suite's redirect test follows the env's http_url: it must say where it led."""
    return _owned_by("test_http_redirects_to_https", pattern)


def _certificate_test_names(pattern: str) -> Mapping[str, str]:
    return _owned_by("test_certificate_and_protocols", pattern)


@dataclass(frozen=True)
class Fault:
    """One way a target can be broken, and what a run against it must say."""

    name: str
    does: str
    expect: tuple[str, ...] = ()
    # "http": /<name>/ on the plain port; "https": /<name>/ on the trusted TLS port;
    # "port": a port of its own (tls-* and silent); "refused", "dns", "http-on-https".
    listener: str = "http"
    suites: tuple[str, ...] = HTTP_SUITES
    marker: str | None = None
    # Every request costs a whole timeout (the target never completes an answer).
    stalls: bool = False
    # The env's http_url is this fault too, so the TLS suite's redirect probe follows it.
    redirect_probe: bool = False
    # Valid HTTP, odd shape: every test must pass.
    passes: bool = False
    extra_toml: str = ""
    # Keys of the [envs.fault] table itself (extra_toml comes after its array tables).
    env_toml: str = ""
    # The env's max_body_mb (None: the default).
    max_body_mb: float | None = None
    # Peak RSS may exceed that of a run against ``healthy_twin`` (a passing fault facing the
    # same suites) by at most this: the body, or its decompression, was stopped at the cap.
    healthy_twin: str | None = None
    max_rss_growth_mb: float | None = None
    # Test function → regex its own failure must match: the test that owns the fault.
    expect_in: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # Seconds a test may spend beyond its requests' timeouts, by test function (sleeps).
    extra_s: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    # Text the run must not publish (terminal, JUnit): a canary the target tried to leak.
    forbid: tuple[str, ...] = ()


def _contract(
    name: str,
    does: str,
    *expect: str,
    passes: bool = False,
    stalls: bool = False,
    healthy_twin: str | None = None,
    max_rss_growth_mb: float | None = None,
) -> Fault:
    """A fault of one API operation: ``<name>`` behind a sound OpenAPI document."""
    return Fault(
        f"contract-{name}",
        does,
        expect,
        suites=CONTRACT_SUITES,
        stalls=stalls,
        extra_s=CONTRACT_ENGINE_S if stalls else MappingProxyType({}),
        passes=passes,
        env_toml=CONTRACT_ENV,
        extra_toml=CONTRACT_TOML,
        max_body_mb=CONTRACT_BODY_CAP_MB,
        healthy_twin=healthy_twin,
        max_rss_growth_mb=max_rss_growth_mb,
    )


def _contract_body(name: str, does: str) -> Fault:
    """An operation answering more than max_body_mb: read up to the cap, said in evidence."""
    return _contract(
        name,
        does,
        r"contract\.content-type .*\(body larger than 1 MB, cut at max_body_mb\)",
        healthy_twin="contract-ok",
        max_rss_growth_mb=CONTRACT_RSS_GROWTH_MB,
    )


def _hostile(name: str, does: str, *expect: str, extra: str = "", passes: bool = False) -> Fault:
    """A hostile target's OpenAPI document (issue 20), on a protected environment."""
    return Fault(
        f"hostile-{name}",
        does,
        expect,
        suites=CONTRACT_SUITES,
        passes=passes,
        env_toml=f"{CONTRACT_ENV}\nprotected = true",
        extra_toml=CONTRACT_TOML + extra,
        max_body_mb=CONTRACT_BODY_CAP_MB,
        forbid=(HOSTILE_CANARY,),
    )


UNSAFE = r"contract\.schema-unsafe .*"
HOSTILE_FAULTS: tuple[Fault, ...] = (
    _hostile(
        "ref-file",
        "its document's $ref names file:///proc/self/environ (the runner's secrets)",
        UNSAFE + r"\$ref 'file:///proc/self/environ#/token' at /paths/\S+ points outside the",
    ),
    _hostile(
        "ref-path",
        "its document's $ref names a bare path, /root/.aws/credentials.json",
        UNSAFE + r"'/root/\.aws/credentials\.json#/token' at /paths/\S+ points outside",
    ),
    _hostile(
        "ref-internal",
        "its document's $ref names an internal service, http://127.0.0.2:9/creds?token=…",
        UNSAFE + r"'http://127\.0\.0\.2:9/creds' at /paths/\S+ points outside",
    ),
    _hostile(
        "external-value",
        "its document's example is an externalValue on an internal service",
        UNSAFE + r"externalValue 'http://127\.0\.0\.2:9/creds' at ",
    ),
    _hostile(
        "ref-endless",
        "its document's $ref, on an allowed origin, answers a 50 MB body",
        UNSAFE + r"larger than max_body_mb = 1 MB",
        extra='allow_ref_origins = ["{origin}"]\n',
    ),
    _hostile(
        "ref-chain",
        "its document's schema is a chain of 2000 $refs",
        UNSAFE + r"chain of more than 32 references to references",
    ),
    _hostile(
        "many-operations",
        "its document has 3000 operations; max_operations = 20 and max_time_s = 10 cap the run",
        extra="max_operations = 20\nmax_time_s = 10\n",
        passes=True,
    ),
)

CONTRACT_FAULTS: tuple[Fault, ...] = (
    _contract("ok", "an operation that answers as its OpenAPI document says", passes=True),
    _contract(
        "no-answer",
        "the document loads; its operation reads the request and never answers",
        CONTRACT_TIMED_OUT.format("no-answer"),
        stalls=True,
    ),
    _contract(
        "slow-headers",
        "the document loads; its operation dribbles its headers, one byte per 0.5 s",
        CONTRACT_TIMED_OUT.format("slow-headers"),
        stalls=True,
    ),
    _contract(
        "slow-body",
        "the document loads; its operation dribbles its body, one byte per 0.5 s",
        CONTRACT_TIMED_OUT.format("slow-body"),
        stalls=True,
    ),
    _contract_body("huge-body", "the document loads; its operation answers a 50 MB body"),
    _contract_body(
        "gzip-bomb", "the document loads; its operation answers 2 MB of gzip inflating to 2 GiB"
    ),
)

FAULTS: tuple[Fault, ...] = (
    # The connection.
    Fault(
        "refused",
        "nothing listens on the port",
        (r"cannot connect on GET http://127\.0\.0\.1:\d+/\S*: .*[Cc]onnection refused",),
        listener="refused",
        suites=SMOKE,
        marker="smoke",
    ),
    Fault(
        "silent",
        "the kernel accepts the connection, the server never reads or answers",
        (TIMED_OUT,),
        listener="port",
        stalls=True,
    ),
    Fault("no-answer", "reads the request, never answers", (TIMED_OUT,), stalls=True),
    Fault("empty-reply", "reads the request, closes without a byte", (r"[Dd]isconnected",)),
    Fault(
        "half-close",
        "sends the head and 10 body bytes, then shuts its write side and idles",
        (r"peer closed connection without sending complete message body",),
    ),
    Fault(
        "reset-mid-body",
        "sends 1 000 of 100 000 announced bytes, then resets (SO_LINGER 0)",
        (r"on GET http\S+: .*(reset by peer|peer closed connection)",),
    ),
    Fault(
        "garbage",
        "answers with binary junk and an SSH banner",
        (r"on GET http\S+: .*illegal",),
        suites=SMOKE,
        marker="smoke",
    ),
    # Slowness: every byte on time, the answer never complete.
    Fault(
        "slow-headers",
        "dribbles the status line and headers, one byte per 0.5 s",
        (TIMED_OUT,),
        stalls=True,
    ),
    Fault("slow-body", "sends headers, then one body byte per 0.5 s", (TIMED_OUT,), stalls=True),
    Fault(
        "1xx-storm",
        "sends 103 Early Hints every 10 ms, never a final response",
        (TIMED_OUT,),
        stalls=True,
    ),
    # Framing.
    Fault(
        "http10-close",
        "HTTP/1.0, no Content-Length, the body ends when the connection closes",
        passes=True,
    ),
    Fault(
        "short-content-length",
        "the body is 20 bytes longer than its Content-Length",
        (r"illegal status line|Content-Length",),
    ),
    Fault(
        "long-content-length",
        "announces 1 000 bytes more than it sends, then closes",
        (r"peer closed connection without sending complete message body",),
    ),
    Fault(
        "conflicting-content-length",
        "two different Content-Length headers",
        (r"[Cc]onflicting Content-Length",),
    ),
    Fault("bad-chunked", "a chunk size that is not hex", (r"illegal chunk header",)),
    Fault("nul-header", "a NUL byte inside a header value", (r"illegal header line",)),
    Fault("long-header", "a 100 KB header line on every response"),
    Fault(
        "switching-protocols",
        "101 Switching Protocols to a request that asked for no upgrade",
        (r"101|_SWITCH_UPGRADE|[Ss]witching",),
    ),
    # Size and encoding.
    Fault("huge-body", "a 50 MB body", (r"health\.not-json", r"release\.unreadable", TRUNCATED)),
    Fault(
        "endless-chunked",
        "a chunked body that never ends",
        (r"health\.not-json", r"release\.unreadable", TRUNCATED),
    ),
    Fault(
        "gzip-bomb",
        "2 MB of gzip that inflates to 2 GiB of zeros",
        (r"health\.not-json", r"release\.unreadable", TRUNCATED),
    ),
    Fault(
        "bad-gzip",
        "Content-Encoding: gzip on a body that is not gzip",
        (r"gzip|[Dd]ecod|incorrect header check",),
    ),
    # Statuses.
    Fault(
        "error-500",
        "500 HTML error page everywhere",
        (r"500 instead of 200",),
        suites=SMOKE,
        marker="smoke",
    ),
    Fault("error-502", "502 Bad Gateway page everywhere", (r"502 instead of 200",)),
    Fault("error-503", "503 maintenance page everywhere", (r"503 instead of 200",)),
    # The pages fail; the rate-limit burst meets a budget spent before it began, with a wait
    # past any cap: inconclusive (info), never a limiter verdict and never a 10^30 s sleep.
    Fault(
        "429-storm",
        "429 to everything, with Retry-After: 10^30",
        (r"429 instead of 200",),
        suites=("suites/test_pages.py", "suites/test_rate_limits.py"),
        extra_toml=RATE_LIMIT_TOML,
    ),
    # Redirects, followed by the TLS suite's redirect probe too.
    Fault(
        "redirect-loop",
        "302 to the URL just requested",
        (r"302 → /redirect-loop/\S* instead of 200", r"redirect\."),
        listener="https",
        suites=REDIRECT_SUITES,
        redirect_probe=True,
        expect_in=_redirect_probe_names(r"/redirect-loop/"),
    ),
    Fault(
        "redirect-chain",
        "302 to a new URL, 1 000 times over",
        (r"302 → /redirect-chain/hop-1/ instead of 200", r"redirect\."),
        listener="https",
        suites=REDIRECT_SUITES,
        redirect_probe=True,
        expect_in=_redirect_probe_names(r"/redirect-chain/hop-"),
    ),
    Fault(
        "redirect-off-host",
        "302 to https://elsewhere.invalid/...",
        (r"302 → https://elsewhere\.invalid/", r"redirect\."),
        listener="https",
        suites=REDIRECT_SUITES,
        redirect_probe=True,
        expect_in=_redirect_probe_names(r"elsewhere\.invalid"),
    ),
    Fault(
        "redirect-internal-token",
        "302 to http://127.0.0.2:9/callback?token=… (another loopback host, a token in the query)",
        (r"302 → http://127\.0\.0\.2:9/callback", r"redirect\."),
        listener="https",
        suites=REDIRECT_SUITES,
        redirect_probe=True,
        expect_in=_redirect_probe_names(r"leaves for http://127\.0\.0\.2"),
        forbid=(HOSTILE_CANARY,),
    ),
    Fault(
        "js-redirect",
        "302 to javascript:alert(document.domain)",
        (r"javascript:alert",),
        listener="https",
        suites=REDIRECT_SUITES,
        redirect_probe=True,
        expect_in=_redirect_probe_names(r"javascript:"),
    ),
    Fault(
        "file-redirect",
        "302 to file:///etc/passwd",
        (r"file:///etc/passwd",),
        listener="https",
        suites=REDIRECT_SUITES,
        redirect_probe=True,
        expect_in=_redirect_probe_names(r"file:///etc/passwd"),
    ),
    Fault(
        "bad-location",
        "302 to http://[::1/login (an unparsable URL)",
        (r"Invalid URL in location header|http://\[::1",),
        listener="https",
        suites=REDIRECT_SUITES,
        redirect_probe=True,
        expect_in=_redirect_probe_names(r"\[::1|[Ll]ocation"),
    ),
    # Content of the health and version endpoints.
    Fault(
        "bad-json",
        "truncated JSON on /api/health and /api/version",
        (r"health\.not-json", r"release\.unreadable"),
    ),
    Fault(
        "deep-json",
        "JSON nested 100 000 deep on /api/health and /api/version",
        (r"health\.not-json", r"release\.unreadable"),
    ),
    Fault("health-html", "health answers 200 with an HTML page", (r"health\.not-json",)),
    Fault(
        "version-missing-field",
        "version answers JSON without a version field",
        (r"release\.unreadable.*no 'version' field",),
    ),
    # TLS.
    Fault(
        "tls-self-signed",
        "a self-signed certificate",
        (r"TLS verification failed on GET https://\S+: .*self-signed", r"tls\.untrusted"),
        listener="port",
        suites=TLS_SUITES,
        expect_in=_certificate_test_names(r"tls\.untrusted"),
    ),
    Fault(
        "tls-expired",
        "a certificate that expired two days ago",
        (r"certificate has expired", r"tls\.expired"),
        listener="port",
        suites=TLS_SUITES,
        expect_in=_certificate_test_names(r"tls\.expired"),
    ),
    Fault(
        "tls-wrong-host",
        "a certificate for wrong-host.example",
        (r"mismatch", r"tls\.hostname-mismatch"),
        listener="port",
        suites=TLS_SUITES,
        expect_in=_certificate_test_names(r"tls\.hostname-mismatch"),
    ),
    Fault(
        "tls-1.0-only",
        "speaks TLS 1.0 and nothing newer",
        (r"tls\.protocol-outdated|TLS ?1\.0|TLSv1\b",),
        listener="port",
        suites=TLS_SUITES,
        expect_in=_certificate_test_names(r"tls\.protocol-outdated"),
    ),
    Fault(
        "tls-stall",
        "accepts TCP, reads the ClientHello, never sends a ServerHello",
        (r"timed out",),
        listener="port",
        suites=TLS_SUITES,
        stalls=True,
        expect_in=_certificate_test_names(r"timed out"),
    ),
    Fault(
        "tls-reset",
        "resets the connection on the ClientHello",
        (r"reset by peer",),
        listener="port",
        suites=TLS_SUITES,
        expect_in=_certificate_test_names(r"reset"),
    ),
    Fault(
        "http-on-https",
        "plain HTTP on the port the env calls https://",
        (r"WRONG_VERSION_NUMBER|wrong version number",),
        listener="http-on-https",
        suites=TLS_SUITES,
        expect_in=_certificate_test_names(r"WRONG_VERSION_NUMBER|wrong version"),
    ),
    Fault(
        "dns",
        "https://no-such-host.invalid: the name does not resolve",
        (r"no-such-host\.invalid\S*: .*(not known|resolve|getaddrinfo|No address)",),
        listener="dns",
        suites=TLS_SUITES,
        expect_in=_certificate_test_names(r"not known|resolve"),
    ),
    # API contracts: one operation of a sound document misbehaving.
    *CONTRACT_FAULTS,
    # API contracts: a hostile document, on a protected environment.
    *HOSTILE_FAULTS,
)


def by_name(name: str) -> Fault:
    for fault in FAULTS:
        if fault.name == name:
            return fault
    raise KeyError(name)
