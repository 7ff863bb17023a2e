"""Content-Security-Policy: does the policy a browser enforces actually stop XSS?

Rules and semantics are Google's CSP Evaluator's (security, parser and strict-CSP checks, its
JSONP / AngularJS / Flash allowlist bypasses) plus Mozilla HTTP Observatory's insecure-scheme
rule, judged on what a CSP3 browser does with the header:

- each request type is governed by its effective directive (script-src-elem, then script-src,
  then default-src, ...); a nonce or hash switches 'unsafe-inline' off, and 'strict-dynamic'
  also drops host and scheme sources and 'self';
- every enforced policy applies, so a weakness stands only if each of them has it (or leaves
  that request type unrestricted); report-only policies enforce nothing;
- a policy governs documents: a stylesheet, script or image response is not judged (HTML and
  XHTML are, as Observatory's HTML_TYPES, and so is a response with no type, which browsers
  sniff).

Where CSP Evaluator departs from what browsers do, browsers win: 'none' beside other sources is
ignored (CSP3 "Does url match source list"), so it hides no allowlist bypass; and
'unsafe-inline' beside a nonce, the strict-CSP fallback, is not reported as CSP1 would see it.

Left out as noise: "'self' can be problematic", "no bypass found for host X" on every host,
an empty source list read as missing (it means 'none'), plugin-types (no browser honours it),
and Flash bypasses rated high (no browser has run Flash since 2021: they are medium here).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from pytest_prodready.checks.csp_parse import (
    DEPRECATED_DIRECTIVES,
    KNOWN_DIRECTIVES,
    Directive,
    Policy,
    Problem,
    Source,
    SourceKind,
    parse,
    parse_list,
)
from pytest_prodready.checks.grammar import split_list
from pytest_prodready.core.evidence import clip
from pytest_prodready.core.findings import Finding, Rule, Severity, rule

__all__ = [
    "Policy",
    "evaluate",
    "evaluate_framing",
    "evaluate_nonce_reuse",
    "evaluate_response",
    "governs",
    "nonces",
    "parse",
]

_STRICT = "script-src 'nonce-{random}' 'strict-dynamic' https: 'unsafe-inline'"
_API_POLICY = "default-src 'none'; frame-ancestors 'none'"
_API_FIX = f"A JSON API loads nothing: send Content-Security-Policy: {_API_POLICY}"

MISSING = rule(
    "csp.missing",
    Severity.HIGH,
    "No Content-Security-Policy header",
    f"Send an enforced policy, e.g. {_STRICT}; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'self'; form-action 'self'",
)
REPORT_ONLY = rule(
    "csp.report-only",
    Severity.HIGH,
    "Content-Security-Policy is report-only: nothing is enforced",
    "Once its reports are clean, send the policy as Content-Security-Policy too.",
)
INVALID = rule(
    "csp.invalid",
    Severity.MEDIUM,
    "Content-Security-Policy syntax that browsers ignore",
    "Fix what the evidence quotes: ';' between directives, ',' only between whole policies, "
    "each directive once, no ':' after a directive name.",
)
UNKNOWN_DIRECTIVE = rule(
    "csp.unknown-directive",
    Severity.LOW,
    "Unknown Content-Security-Policy directive (browsers ignore it)",
    "Check the spelling against the CSP Level 3 directive list, or remove it.",
)
MISSING_SEMICOLON = rule(
    "csp.missing-semicolon",
    Severity.MEDIUM,
    "A directive name inside another directive's value (missing ';')",
    "Put ';' before the directive name: as written it is a value of the previous directive "
    "and the directive itself is absent.",
)
INVALID_KEYWORD = rule(
    "csp.invalid-keyword",
    Severity.MEDIUM,
    "Invalid CSP keyword (browsers ignore it)",
    "Single-quote keywords ('self', 'nonce-<value>', 'sha256-<digest>'), use only CSP3 "
    "keywords, and do not combine 'none' with other sources.",
)
SCRIPT_UNSAFE_INLINE = rule(
    "csp.script-unsafe-inline",
    Severity.HIGH,
    "script-src allows 'unsafe-inline'",
    "Use nonces or hashes for inline scripts (CSP2+ browsers then ignore 'unsafe-inline') and "
    "move inline event handlers to addEventListener.",
)
SCRIPT_UNSAFE_EVAL = rule(
    "csp.script-unsafe-eval",
    Severity.MEDIUM,
    "script-src allows 'unsafe-eval'",
    "Remove eval(), new Function() and string timers; use 'wasm-unsafe-eval' if only "
    "WebAssembly needs it.",
)
SCRIPT_UNSAFE_HASHES = rule(
    "csp.script-unsafe-hashes",
    Severity.LOW,
    "script-src allows 'unsafe-hashes' (hashed inline event handlers)",
    "Move inline event handlers to addEventListener in a nonced script and drop 'unsafe-hashes'.",
)
SCRIPT_WILDCARD = rule(
    "csp.script-wildcard",
    Severity.HIGH,
    "script-src allows '*': scripts from any host",
    f"Replace the wildcard with nonces or hashes and 'strict-dynamic': {_STRICT}",
)
SCRIPT_PLAIN_SCHEME = rule(
    "csp.script-plain-scheme",
    Severity.HIGH,
    "script-src allows a whole scheme (data:, http: or https:)",
    f"Drop the bare scheme, or keep https: only as a fallback behind a nonce and "
    f"'strict-dynamic': {_STRICT}",
)
SCRIPT_ALLOWLIST_BYPASS = rule(
    "csp.script-allowlist-bypass",
    Severity.HIGH,
    "script-src allows a host that serves JSONP or AngularJS (a known CSP bypass)",
    f"Use nonces or hashes with 'strict-dynamic' instead of host allowlists: {_STRICT}",
)
OBJECT_ALLOWLIST_BYPASS = rule(
    "csp.object-allowlist-bypass",
    Severity.HIGH,
    "object-src allows any host, or a host known to serve Flash bypasses",
    "Set object-src 'none'.",
)
SCRIPT_SRC_MISSING = rule(
    "csp.script-src-missing",
    Severity.HIGH,
    "No script-src or default-src: scripts are unrestricted",
    f"Add {_STRICT}",
)
OBJECT_SRC_MISSING = rule(
    "csp.object-src-missing",
    Severity.HIGH,
    "object-src is unrestricted (no object-src, and default-src is not 'none')",
    "Add object-src 'none'.",
)
BASE_URI_MISSING = rule(
    "csp.base-uri-missing",
    Severity.HIGH,
    "No restrictive base-uri: an injected base tag re-points relative script URLs",
    "Add base-uri 'none' (or 'self').",
)
FRAME_ANCESTORS_UNEXPECTED = rule(
    "csp.frame-ancestors-unexpected",
    Severity.MEDIUM,
    "frame-ancestors lets origins frame the page beyond the declared framing origins",
    "List only 'self' and the origins in [envs.X.expect] framing_origins in frame-ancestors "
    "(no wildcards or schemes); add an origin there first if it may embed the app.",
)
FRAME_ANCESTORS_MISSING = rule(
    "csp.frame-ancestors-missing",
    Severity.LOW,
    "No restrictive frame-ancestors (clickjacking)",
    "Add frame-ancestors 'none' (or 'self'); it supersedes X-Frame-Options. Info only when "
    "X-Frame-Options: DENY or SAMEORIGIN already forbids other origins to frame the page.",
)
FORM_ACTION_MISSING = rule(
    "csp.form-action-missing",
    Severity.LOW,
    "No restrictive form-action: injected forms can post anywhere",
    "Add form-action 'self' (or the origins your forms post to).",
)
STYLE_UNSAFE_INLINE = rule(
    "csp.style-unsafe-inline",
    Severity.LOW,
    "style-src allows 'unsafe-inline'",
    "Use nonces or hashes for inline styles, or move them to stylesheets.",
)
INSECURE_SCHEME = rule(
    "csp.insecure-scheme",
    Severity.MEDIUM,
    "CSP allows cleartext sources (http:, http://host, ftp:, ws:) on an HTTPS page",
    "Allow https: and wss: sources only (info when only images and media are cleartext).",
)
NONCE_TOO_SHORT = rule(
    "csp.nonce-too-short",
    Severity.MEDIUM,
    "CSP nonce shorter than 8 characters",
    "Generate each nonce from at least 16 random bytes, base64-encoded.",
)
NONCE_CHARSET = rule(
    "csp.nonce-charset",
    Severity.LOW,
    "CSP nonce outside the base64 alphabet (browsers ignore it)",
    "Base64- or base64url-encode random bytes to make the nonce.",
)
NONCE_REUSED = rule(
    "csp.nonce-reused",
    Severity.HIGH,
    "The same CSP nonce in two responses",
    "Generate a new random nonce for every response; a fixed nonce is a password anyone "
    "can read from the page.",
)
STRICT_DYNAMIC_MISSING = rule(
    "csp.strict-dynamic-missing",
    Severity.LOW,
    "Host allowlist without 'strict-dynamic'",
    f"Host allowlists are often bypassable; move to nonces or hashes: {_STRICT}",
)
STRICT_DYNAMIC_STANDALONE = rule(
    "csp.strict-dynamic-standalone",
    Severity.MEDIUM,
    "'strict-dynamic' without a nonce or hash: every script is blocked",
    "Put a fresh 'nonce-<random>' per response (or the hashes of your scripts) next to "
    "'strict-dynamic': it drops host, scheme and 'self' sources, so only they can load scripts.",
)
UNSAFE_INLINE_FALLBACK_MISSING = rule(
    "csp.unsafe-inline-fallback-missing",
    Severity.INFO,
    "Nonce/hash script policy without an 'unsafe-inline' fallback",
    "Add 'unsafe-inline': browsers that know nonces ignore it, older ones need it.",
)
ALLOWLIST_FALLBACK_MISSING = rule(
    "csp.allowlist-fallback-missing",
    Severity.INFO,
    "'strict-dynamic' without an https: fallback",
    "Add https: (ignored where 'strict-dynamic' is supported) so older browsers load scripts.",
)
IP_SOURCE = rule(
    "csp.ip-source",
    Severity.INFO,
    "CSP source is an IP address",
    "Use host names: IP sources match only that literal address, and 127.0.0.1 does not "
    "belong in production.",
)
SRC_HTTP = rule(
    "csp.src-http",
    Severity.LOW,
    "CSP allows http:// sources",
    "Use https:// sources, and an https:// report-uri.",
)
DEPRECATED_DIRECTIVE = rule(
    "csp.deprecated-directive",
    Severity.INFO,
    "Deprecated CSP directive (browsers ignore it)",
    "Remove it: upgrade-insecure-requests replaces block-all-mixed-content, Referrer-Policy "
    "replaces referrer, object-src 'none' replaces plugin-types.",
)
REPORTING_MISSING = rule(
    "csp.reporting-missing",
    Severity.INFO,
    "CSP has no report-uri or report-to",
    "Add report-uri (and report-to) so you see violations and breakage.",
)
REPORT_TO_ONLY = rule(
    "csp.report-to-only",
    Severity.INFO,
    "CSP reports only through report-to (Firefox and Safari ignore it)",
    "Add report-uri with the same endpoint next to report-to.",
)

# Representative entries of csp-evaluator's allowlist_bypasses (jsonp.ts, angular.ts, flash.ts):
# a URL on a commonly allowlisted host that serves a JSONP endpoint or an AngularJS build.
_JSONP = frozenset(
    {
        "//accounts.google.com/o/oauth2/revoke",
        "//ajax.googleapis.com/ajax/services/search/news",
        "//api.facebook.com/restserver.php",
        "//api.mixpanel.com/track/",
        "//api.twitter.com/1/statuses/oembed.json",
        "//api.vk.com/method/wall.get",
        "//books.google.com/books",
        "//cdn.jsdelivr.net/",
        "//cdn.syndication.twimg.com/widgets/timelines/599200054310604802",
        "//clients1.google.com/complete/search",
        "//cse.google.com/api/007627024705277327428/cse/r3vs7b0fcli/queries/js",
        "//googleads.g.doubleclick.net/pagead/conversion/1036918760/wcm",
        "//googletagmanager.com/gtm/js",
        "//graph.facebook.com/1/",
        "//maps.google.com/maps/vt",
        "//maps.googleapis.com/maps/api/js/GeoPhotoService.GetMetadata",
        "//mc.yandex.ru/watch/24306916/1",
        "//pagead2.googlesyndication.com/relatedsearch",
        "//partner.googleadservices.com/gampad/ads",
        "//query.yahooapis.com/v1/public/yql",
        "//securepubads.g.doubleclick.net/gampad/ads",
        "//ssl.google-analytics.com/gtm/js",
        "//syndication.twitter.com/widgets/timelines/765840589183213568",
        "//translate.google.com/translate_a/l",
        "//translate.googleapis.com/translate_a/l",
        "//vimeo.com/api/oembed.json/",
        "//www.blogger.com/feeds/5578653387562324002/posts/summary/4427562025302749269",
        "//www.facebook.com/restserver.php",
        "//www.google-analytics.com/gtm/js",
        "//www.google.com/tools/feedback/escalation-options",
        "//www.googleadservices.com/pagead/conversion/1070110417/wcm",
        "//www.googleapis.com/freebase/v1/topic/m/0344_",
        "//www.googletagmanager.com/gtm/js",
        "//www.youtube.com/profile_style",
        "//yandex.ru/soft/browsers/check",
    }
)
# These JSONP endpoints only help an attacker when the policy also allows eval().
_JSONP_NEEDS_EVAL = frozenset(
    {
        "google-analytics.com",
        "googletagmanager.com",
        "ssl.google-analytics.com",
        "www.google-analytics.com",
        "www.googleadservices.com",
        "www.googletagmanager.com",
    }
)
_ANGULAR = frozenset(
    {
        "//ajax.googleapis.com/ajax/libs/angularjs/1.2.0rc1/angular-route.min.js",
        "//cdn.bootcss.com/angular.js/1.2.0/angular.min.js",
        "//cdn.jsdelivr.net/angularjs/1.1.2/angular.min.js",
        "//cdn.shopify.com/s/files/1/0225/6463/t/1/assets/angular-animate.min.js",
        "//cdnjs.cloudflare.com/ajax/libs/angular.js/1.2.16/angular.min.js",
        "//gstatic.com/fsn/angular_js-bundle1.js",
        "//oss.maxcdn.com/angularjs/1.2.20/angular.min.js",
        "//raw.githubusercontent.com/angular/code.angularjs.org/master/1.0.7/angular-resource.js",
        "//s3-eu-west-1.amazonaws.com/staticancpa/js/angular-cookies.min.js",
        "//www.googleadservices.com/pageadimg/imgad",
        "//www.gstatic.com/fsn/angular_js-bundle1.js",
        "//yastatic.net/angularjs/1.2.23/angular.min.js",
    }
)
_FLASH = frozenset({"//ajax.googleapis.com/ajax/libs/yui/2.8.0r4/build/charts/assets/charts.swf"})

_Gadgets = Mapping[str, tuple[tuple[str, bool], ...]]


def _gadget_index(*tables: tuple[frozenset[str], frozenset[str]]) -> _Gadgets:
    """host -> ((path, needs eval), ...) for (urls, hosts-needing-eval) tables."""
    index: dict[str, list[tuple[str, bool]]] = {}
    for urls, needs_eval in tables:
        for url in urls:
            host, _, path = url.removeprefix("//").partition("/")
            index.setdefault(host, []).append(("/" + path, host in needs_eval))
    return {host: tuple(entries) for host, entries in index.items()}


def _parent_index(index: _Gadgets) -> Mapping[str, tuple[str, ...]]:
    """parent domain -> gadget hosts below it, so '*.example.com' is one lookup."""
    parents: dict[str, list[str]] = {}
    for host in index:
        labels = host.split(".")
        for start in range(1, len(labels)):
            parents.setdefault(".".join(labels[start:]), []).append(host)
    return {parent: tuple(hosts) for parent, hosts in parents.items()}


_SCRIPT_GADGETS = _gadget_index((_JSONP, _JSONP_NEEDS_EVAL), (_ANGULAR, frozenset()))
_SCRIPT_PARENTS = _parent_index(_SCRIPT_GADGETS)
_FLASH_GADGETS = _gadget_index((_FLASH, frozenset()))
_FLASH_PARENTS = _parent_index(_FLASH_GADGETS)

# Request types whose sources are URLs (for the cleartext checks); images and media are
# passive content, which browsers upgrade or show as mixed content rather than run.
_URL_TYPES = (
    "script-src-elem",
    "style-src-elem",
    "worker-src",
    "frame-src",
    "connect-src",
    "font-src",
    "img-src",
    "manifest-src",
    "media-src",
    "object-src",
    "base-uri",
    "form-action",
)
_PASSIVE = frozenset({"img-src", "media-src"})
_CLEARTEXT = frozenset({"http", "ftp", "ws"})
# Script and worker loads, whose host and scheme sources 'strict-dynamic' switches off.
_SCRIPTS = frozenset({"script-src-elem", "worker-src"})
_TYPES = (*_URL_TYPES, "script-src-attr", "script-src", "style-src-attr")
_QUOTE_MAX = 160
_MAX_POLICIES = 32
# What still matters on a JSON API response: whether the text is valid, and script execution
# should the response ever be rendered as a document.
_API_IDS = frozenset(
    r.id
    for r in (
        INVALID,
        UNKNOWN_DIRECTIVE,
        MISSING_SEMICOLON,
        INVALID_KEYWORD,
        DEPRECATED_DIRECTIVE,
        NONCE_TOO_SHORT,
        NONCE_CHARSET,
        IP_SOURCE,
        SRC_HTTP,
        INSECURE_SCHEME,
        SCRIPT_UNSAFE_INLINE,
        SCRIPT_UNSAFE_EVAL,
        SCRIPT_WILDCARD,
        SCRIPT_PLAIN_SCHEME,
    )
)

# (what, request type, detail): a weakness of the enforced set, e.g. ("script-any",
# "script-src-elem", "") for "scripts from any host". A policy that leaves the request type
# unrestricted shares the weakness; an empty request type is shared only by having it.
_Key = tuple[str, str, str]


class _Hit(NamedTuple):
    rule: Rule
    quote: str
    group: str
    key: _Key | None  # None: a fact about this policy's text, reported whatever the others say
    severity: Severity | None


@dataclass
class _Analysis:
    policy: Policy
    hits: list[_Hit] = field(default_factory=list)
    keys: set[_Key] = field(default_factory=set)
    unrestricted: set[str] = field(default_factory=set)

    def add(
        self,
        found: Rule,
        quote: str,
        *,
        group: str = "",
        key: _Key | None = None,
        severity: Severity | None = None,
    ) -> None:
        self.hits.append(_Hit(found, quote, group, key, severity))
        if key is not None:
            self.keys.add(key)

    def covers(self, key: _Key) -> bool:
        """Whether this policy lets through what ``key`` describes."""
        what, request_type, _ = key
        if key in self.keys or request_type in self.unrestricted:
            return True
        if what in ("script-bypass", "object-bypass"):
            return (what.replace("bypass", "any"), request_type, "") in self.keys
        return False


def _clip(text: str) -> str:
    return clip(text, _QUOTE_MAX)


def _quote(d: Directive, tokens: Iterable[str] = ()) -> str:
    """The directive as written, or its name and the offending tokens when it is long."""
    if len(d.raw) <= _QUOTE_MAX:
        return d.raw
    shown = list(dict.fromkeys(tokens))
    if not shown:
        return _clip(d.raw)
    more = " …" if len(shown) > 4 else ""
    return f"{d.name} … {' '.join(shown[:4])}{more}"


def _listed(quotes: list[str], total: int) -> str:
    """At most three quotes, and how many more there are."""
    more = f" (+{total - 3} more)" if total > 3 else ""
    return "; ".join(quotes[:3]) + more


def _absent(policy: Policy, name: str) -> str:
    return f"no {name} in: {_clip(policy.raw)}"


def _allows_inline(d: Directive, *, script: bool) -> bool:
    if "unsafe-inline" not in d.keywords or d.has_nonce or d.has_hash:
        return False
    return not (script and "strict-dynamic" in d.keywords)


def _broad(d: Directive, schemes: frozenset[str]) -> list[str]:
    return [s.raw for s in d.hosts if s.host == "*"] + [
        s.raw for s in d.schemes if s.scheme in schemes
    ]


def _schemes(d: Directive, *schemes: str) -> list[str]:
    return [s.raw for s in d.schemes if s.scheme in schemes]


_WEB = frozenset({"http", "https"})


def _gadget_hosts(
    s: Source, index: _Gadgets, parents: Mapping[str, tuple[str, ...]], *, eval_ok: bool
) -> list[str]:
    if s.scheme not in ("", "http", "https") or s.port not in ("", "*", "80", "443"):
        return []
    host = s.host.rstrip(".")
    candidates = parents.get(host[2:], ()) if host.startswith("*.") else (host,)
    return [
        found
        for found in candidates
        if any(
            _path_matches(s.path, path) and (eval_ok or not needs_eval)
            for path, needs_eval in index.get(found, ())
        )
    ]


def _path_matches(allowed: str, path: str) -> bool:
    if allowed in ("", "/"):
        return True
    return path.startswith(allowed) if allowed.endswith("/") else path == allowed


_PROBLEM_RULES: Mapping[Problem | None, tuple[Rule, ...]] = {
    Problem.DIRECTIVE_NAME: (MISSING_SEMICOLON,),
    Problem.SYNTAX: (INVALID,),
    # Outside the base64-value grammar the token is no nonce-source: browsers drop the keyword
    # (csp-evaluator reports both, as a parser and as a nonce finding).
    Problem.NONCE_CHARSET: (INVALID_KEYWORD, NONCE_CHARSET),
}


def _syntax(a: _Analysis) -> None:
    p = a.policy
    malformed = [
        _clip(token) + (" (a directive name takes no ':')" if ":" in token.split()[0] else "")
        for token in p.malformed[:3]
    ]
    if malformed:
        a.add(INVALID, _listed(malformed, len(p.malformed)), group="malformed")
    if p.duplicates:
        repeated = [_quote(d) for d in p.duplicates[:3]]
        quote = "repeated directive, ignored: " + _listed(repeated, len(p.duplicates))
        a.add(INVALID, quote, group="duplicate")
    unknown = [d for d in p.directives if d.name not in KNOWN_DIRECTIVES]
    if unknown:
        a.add(UNKNOWN_DIRECTIVE, _listed([_quote(d) for d in unknown[:3]], len(unknown)))
    for d in p.directives:
        if d.name not in KNOWN_DIRECTIVES:
            continue
        if d.name in DEPRECATED_DIRECTIVES:
            a.add(DEPRECATED_DIRECTIVE, _quote(d), group=d.name)
        if not d.is_source_list:
            if d.name != "trusted-types":  # its values are policy names, anything goes
                names = [v for v in d.values if v.lower() in KNOWN_DIRECTIVES]
                if names:
                    a.add(MISSING_SEMICOLON, _quote(d, names), group=d.name)
            continue
        found: dict[Rule, list[str]] = {}
        for s in d.invalid:
            for problem in _PROBLEM_RULES.get(s.problem, (INVALID_KEYWORD,)):
                found.setdefault(problem, []).append(s.raw)
        if d.name == "frame-ancestors" and d.keywords - {"self", "none"}:
            bad = sorted(d.keywords - {"self", "none"})
            found.setdefault(INVALID_KEYWORD, []).extend(f"'{k}'" for k in bad)
        short = [n.raw for n in d.nonces if len(n.value) < 8]
        if short:
            found[NONCE_TOO_SHORT] = short
        ips = [s.raw for s in d.hosts if s.is_ip]
        if ips:
            found[IP_SOURCE] = ips
        for kind, tokens in found.items():
            a.add(kind, _quote(d, tokens), group=d.name)
        if "none" in d.keywords and not d.allows_nothing:
            a.add(INVALID_KEYWORD, _quote(d, ["'none'"]), group=d.name, severity=Severity.LOW)


def _script(a: _Analysis) -> None:
    p = a.policy
    elem, attr, base = (
        p.effective(t) for t in ("script-src-elem", "script-src-attr", "script-src")
    )
    if base is None:
        a.add(SCRIPT_SRC_MISSING, _absent(p, "script-src or default-src"), key=("missing", "", ""))
    for d, request_type in ((elem, "script-src-elem"), (attr, "script-src-attr")):
        if d is not None and _allows_inline(d, script=True):
            key = ("inline", request_type, "")
            a.add(SCRIPT_UNSAFE_INLINE, _quote(d, ["'unsafe-inline'"]), group=d.name, key=key)
    eval_ok = base is not None and "unsafe-eval" in base.keywords
    if base is not None and eval_ok:
        key = ("eval", "script-src", "")
        a.add(SCRIPT_UNSAFE_EVAL, _quote(base, ["'unsafe-eval'"]), group=base.name, key=key)
    if attr is not None and "unsafe-hashes" in attr.keywords and attr.has_hash:
        key = ("hashes", "script-src-attr", "")
        a.add(SCRIPT_UNSAFE_HASHES, _quote(attr, ["'unsafe-hashes'"]), group=attr.name, key=key)
    # As csp-evaluator's checkUnsafeInlineFallback: browsers without nonces or hashes (which
    # know no script-src-elem either) read script-src, and need 'unsafe-inline' there.
    if (
        base is not None
        and (base.has_nonce or base.has_hash)
        and "unsafe-inline" not in base.keywords
    ):
        a.add(UNSAFE_INLINE_FALLBACK_MISSING, _quote(base), group=base.name)
    if elem is None:
        return
    if "strict-dynamic" in elem.keywords:
        if not (elem.has_nonce or elem.has_hash):
            # It drops every host, scheme and 'self': with nothing left, no script loads
            # (Observatory: header invalid; csp-evaluator's checkStrictDynamicNotStandalone).
            quote = _quote(elem, ["'strict-dynamic'"])
            a.add(STRICT_DYNAMIC_STANDALONE, quote, group=elem.name)
        if not elem.hosts and not _schemes(elem, *_WEB):
            a.add(ALLOWLIST_FALLBACK_MISSING, _quote(elem), group=elem.name)
        return
    allowlist = [s.raw for s in (*elem.hosts, *elem.schemes)]
    if allowlist:
        # A policy that leaves scripts unrestricted does not pass this check: csp-evaluator's
        # Lighthouse checks judge it over the policies that have a script directive.
        key = ("strict-dynamic", "script-src-elem", "")
        a.add(STRICT_DYNAMIC_MISSING, _quote(elem, allowlist), group=elem.name, key=key)
    request_type, group = "script-src-elem", elem.name
    wildcard = [s.raw for s in elem.hosts if s.host == "*"]
    if wildcard:
        key = ("script-any", request_type, "")
        a.add(SCRIPT_WILDCARD, _quote(elem, wildcard), group=group, key=key)
    for plain, what in (
        (_schemes(elem, *_WEB), "script-any"),
        (_schemes(elem, "data"), "script-data"),
    ):
        if plain:
            key = (what, request_type, "")
            a.add(SCRIPT_PLAIN_SCHEME, _quote(elem, plain), group=group, key=key)
    for s in elem.hosts:
        if s.host in _SCRIPT_GADGETS or s.host.startswith("*."):
            for host in _gadget_hosts(s, _SCRIPT_GADGETS, _SCRIPT_PARENTS, eval_ok=eval_ok):
                key = ("script-bypass", request_type, host)
                a.add(SCRIPT_ALLOWLIST_BYPASS, _quote(elem, [s.raw]), group=group, key=key)


def _object(a: _Analysis) -> None:
    p = a.policy
    explicit, default = p.get("object-src"), p.get("default-src")
    if explicit is None and (default is None or not default.allows_nothing):
        quote = _absent(p, "object-src") if default is None else f"no object-src; {_quote(default)}"
        a.add(OBJECT_SRC_MISSING, quote, key=("object-missing", "", ""))
    d = explicit or default
    if d is None or d.allows_nothing:
        return
    for tokens, what in ((_broad(d, _WEB), "object-any"), (_schemes(d, "data"), "object-data")):
        if tokens:
            key = (what, "object-src", "")
            a.add(OBJECT_ALLOWLIST_BYPASS, _quote(d, tokens), group=d.name, key=key)
    for s in d.hosts:
        if s.host in _FLASH_GADGETS or s.host.startswith("*."):
            for host in _gadget_hosts(s, _FLASH_GADGETS, _FLASH_PARENTS, eval_ok=True):
                key = ("object-bypass", "object-src", host)
                quote = _quote(d, [s.raw])
                a.add(
                    OBJECT_ALLOWLIST_BYPASS, quote, group=d.name, key=key, severity=Severity.MEDIUM
                )


def _navigation(a: _Analysis, *, framing_blocked: bool) -> None:
    """base-uri, frame-ancestors and form-action: none of them falls back to default-src.

    ``framing_blocked``: X-Frame-Options forbids other origins to frame the page, and no
    enforced policy has frame-ancestors (which would make browsers ignore it).
    """
    p = a.policy
    elem = p.effective("script-src-elem")
    # As csp-evaluator: <base> only defeats nonces, and hashes that 'strict-dynamic' extends
    # to loaded scripts; an allowlist still vets the re-pointed URLs.
    needs_base = elem is not None and (
        elem.has_nonce or (elem.has_hash and "strict-dynamic" in elem.keywords)
    )
    checks = (
        ("base-uri", BASE_URI_MISSING, frozenset({"http", "https", "data"}), needs_base),
        ("frame-ancestors", FRAME_ANCESTORS_MISSING, _WEB, not framing_blocked),
        ("form-action", FORM_ACTION_MISSING, _WEB, True),
    )
    for name, found, schemes, important in checks:
        d = p.get(name)
        broad = [] if d is None else _broad(d, schemes)
        if d is None or broad:
            quote = _absent(p, name) if d is None else _quote(d, broad)
            severity = None if important else Severity.INFO
            a.add(found, quote, group=name, key=(name, "", ""), severity=severity)


def _style(a: _Analysis) -> None:
    for request_type in ("style-src-elem", "style-src-attr"):
        d = a.policy.effective(request_type)
        if d is not None and _allows_inline(d, script=False):
            key = ("style-inline", request_type, "")
            a.add(STYLE_UNSAFE_INLINE, _quote(d, ["'unsafe-inline'"]), group=d.name, key=key)


def _transport(a: _Analysis, *, https_page: bool) -> None:
    p = a.policy
    # default-src stands in for many types: scan each directive's sources once.
    scanned: dict[str, tuple[list[str], list[str]]] = {}
    for request_type in _URL_TYPES:
        d = p.effective(request_type)
        if d is None or (request_type in _SCRIPTS and "strict-dynamic" in d.keywords):
            continue
        if d.name not in scanned:
            scanned[d.name] = (
                [s.raw for s in (*d.schemes, *d.hosts) if s.scheme in _CLEARTEXT],
                [s.raw for s in d.hosts if s.scheme == "http"],
            )
        cleartext, http_hosts = scanned[d.name]
        if cleartext and https_page:
            # Observatory passes cleartext images and media (passive content): info.
            severity = Severity.INFO if request_type in _PASSIVE else None
            key = ("cleartext", request_type, "")
            a.add(INSECURE_SCHEME, _quote(d, cleartext), group=d.name, key=key, severity=severity)
        if http_hosts:
            key = ("http", request_type, "")
            a.add(SRC_HTTP, _quote(d, http_hosts), group=d.name, key=key)
    report_uri = p.get("report-uri")
    if report_uri is not None:
        cleartext = [v for v in report_uri.values if v.lower().startswith("http://")]
        if cleartext:
            quote = _quote(report_uri, cleartext)
            a.add(SRC_HTTP, quote, group="report-uri", severity=Severity.MEDIUM)


def _reporting(a: _Analysis, *, report_only: bool) -> None:
    p = a.policy
    uri, to = p.get("report-uri"), p.get("report-to")
    if (uri is None or not uri.values) and (to is None or not to.values):
        # A report-only policy that reports nowhere does nothing at all.
        severity = Severity.MEDIUM if report_only else None
        quote = _absent(p, "report-uri or report-to")
        a.add(REPORTING_MISSING, quote, key=("reporting", "", ""), severity=severity)
    elif to is not None and (uri is None or not uri.values):
        a.add(REPORT_TO_ONLY, _quote(to), key=("report-to", "", ""))


def _analyse(
    policy: Policy, *, https_page: bool, report_only: bool, framing_blocked: bool
) -> _Analysis:
    a = _Analysis(policy)
    _syntax(a)
    if policy.is_void:
        return a
    a.unrestricted = {t for t in _TYPES if policy.effective(t) is None}
    _script(a)
    _object(a)
    _navigation(a, framing_blocked=framing_blocked)
    _style(a)
    _transport(a, https_page=https_page)
    _reporting(a, report_only=report_only)
    return a


def _findings(analyses: list[_Analysis], page_url: str | None) -> list[Finding]:
    enforcing = [a for a in analyses if not a.policy.is_void]
    # The browser enforces every policy, so a weakness stands only if none of them blocks it;
    # fixing it in any one policy is enough, so it is reported once, from the first that has it.
    owners: dict[_Key, int | None] = {}
    for index, a in enumerate(analyses):
        for key in a.keys - owners.keys():
            owners[key] = index if all(o.covers(key) for o in enforcing) else None
    # How much a shared weakness matters is the set's call, not its first policy's: a nonce in
    # any policy makes a missing base-uri high (csp-evaluator checkMultipleMissingBaseUriDirective).
    key_severity: dict[_Key, Severity] = {}
    for a in enforcing:
        for hit in a.hits:
            if hit.key is not None:
                severity = hit.rule.severity if hit.severity is None else hit.severity
                key_severity[hit.key] = max(key_severity.get(hit.key, severity), severity)
    groups: dict[tuple[int, str, str], list[_Hit]] = {}
    for index, a in enumerate(analyses):
        hits = a.hits
        if a.policy.is_void:
            # One finding says it all: the policy enforces nothing, whatever is wrong in it.
            severity = Severity.MEDIUM if enforcing else Severity.HIGH
            quote = f"no directive a browser knows: {_clip(a.policy.raw) or '(empty)'}"
            hits = [h for h in hits if h.rule is not INVALID]
            hits.append(_Hit(INVALID, quote, "void", None, severity))
        for hit in hits:
            if hit.key is None:
                groups.setdefault((index, hit.rule.id, hit.group), []).append(hit)
            elif owners.get(hit.key) == index:
                shared = hit._replace(severity=key_severity[hit.key])
                groups.setdefault((index, hit.rule.id, hit.group), []).append(shared)
    best: dict[tuple[str, str], Finding] = {}
    for hits in groups.values():
        found = hits[0].rule
        severity = max(found.severity if h.severity is None else h.severity for h in hits)
        quotes = list(dict.fromkeys(h.quote for h in hits))
        evidence = _listed(quotes, len(quotes))
        previous = best.get((found.id, evidence))
        if previous is None or previous.severity < severity:
            best[(found.id, evidence)] = found(evidence, url=page_url, severity=severity)
    return list(best.values())


def _api_profile(findings: list[Finding]) -> list[Finding]:
    """A JSON response is a document only if a browser is tricked into rendering it."""
    return [
        dataclasses.replace(
            f,
            severity=min(f.severity, Severity.LOW),
            remediation=_API_FIX if f.id.startswith("csp.script-") else f.remediation,
        )
        for f in findings
        if f.id in _API_IDS
    ]


def _evaluate(
    values: list[str],
    *,
    report_only: bool,
    page_url: str | None,
    api: bool,
    xfo_blocks: bool = False,
) -> list[Finding]:
    if not values:
        return [MISSING("no policy to evaluate", url=page_url)]
    # A repeated policy changes nothing; beyond a few dozen the header is broken anyway, and
    # leaving policies out can only add findings (each one could only have blocked more).
    serialized = list(dict.fromkeys(p.strip() for v in values for p in v.split(",") if p.strip()))
    policies = parse_list(serialized[:_MAX_POLICIES]) or (parse(", ".join(values)),)
    https_page = page_url is not None and page_url.strip().lower().startswith("https:")
    # The HTML standard skips X-Frame-Options once an enforced policy has frame-ancestors.
    framing_blocked = (
        xfo_blocks and not report_only and all(p.get("frame-ancestors") is None for p in policies)
    )
    analyses = [
        _analyse(p, https_page=https_page, report_only=report_only, framing_blocked=framing_blocked)
        for p in policies
    ]
    findings = _findings(analyses, page_url)
    if len(serialized) > _MAX_POLICIES:
        evidence = f"{len(serialized)} distinct policies; evaluated the first {_MAX_POLICIES}"
        findings.append(INVALID(evidence, url=page_url))
    return _api_profile(findings) if api else findings


def evaluate(
    policies: list[str], *, report_only: bool = False, page_url: str | None = None
) -> list[Finding]:
    """Findings for the policies of one response, each a header value (commas allowed).

    They are judged as enforced together: a weakness is reported only if every policy has
    it. ``report_only=True`` evaluates Content-Security-Policy-Report-Only values the same
    way (same ids); ``page_url`` enables the checks that depend on an https page.
    """
    return _evaluate(list(policies), report_only=report_only, page_url=page_url, api=False)


def governs(content_type: str | None) -> bool:
    """Whether CSP governs a response of this Content-Type: an HTML or XHTML document.

    A response without a type counts too (None or ""): browsers sniff it, and it may render
    as HTML. A stylesheet, image or font is no document and its CSP governs nothing; a script
    run as a worker is the one exception, left out as Observatory and ZAP leave it out.
    """
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media in ("", "text/html", "application/xhtml+xml")


def _xfo_blocks(value: str | None) -> bool:
    """Whether X-Frame-Options keeps other origins from framing, per the HTML standard."""
    options = {member.lower() for member in split_list(value or "")}
    if len(options) > 1:
        # Conflicting values: browsers block framing if any of them is a known one.
        return bool(options & {"deny", "sameorigin", "allowall"})
    return bool(options) and options <= {"deny", "sameorigin"}


def evaluate_response(
    enforced: list[str],
    report_only: list[str],
    *,
    page_url: str | None = None,
    api: bool = False,
    content_type: str | None = None,
    x_frame_options: str | None = None,
) -> list[Finding]:
    """Findings for one response's Content-Security-Policy(-Report-Only) header values.

    Report-only policies never count as protection: with no enforced policy the response
    gets ``csp.report-only`` (or ``csp.missing`` with neither). ``api=True`` judges a JSON
    API response: only what matters if it were rendered, nothing above low. Otherwise a
    ``content_type`` that is no document (see :func:`governs`) gets no finding at all.
    ``x_frame_options`` is the response's header value: DENY or SAMEORIGIN makes a missing
    frame-ancestors info, unless an enforced policy has frame-ancestors (browsers then ignore
    X-Frame-Options).
    """
    if not api and not governs(content_type):
        return []
    if not enforced:
        if report_only:
            evidence = f"Content-Security-Policy-Report-Only: {_clip(', '.join(report_only))}"
            found = REPORT_ONLY(evidence, url=page_url)
        else:
            evidence = "neither Content-Security-Policy nor -Report-Only header"
            found = MISSING(evidence, url=page_url)
        if api:
            found = dataclasses.replace(found, severity=Severity.LOW, remediation=_API_FIX)
        return [found]
    return _evaluate(
        list(enforced),
        report_only=False,
        page_url=page_url,
        api=api,
        xfo_blocks=_xfo_blocks(x_frame_options),
    )


def evaluate_framing(
    enforced: list[str], allowed: Sequence[str], *, page_url: str | None = None
) -> list[Finding]:
    """``csp.frame-ancestors-unexpected`` when the enforced frame-ancestors lets in origins
    beyond ``allowed`` (the declared framing origins) and 'self'.

    Policies are enforced together, so an origin gets in only if every policy with
    frame-ancestors lets it in: the finding needs each of them to allow something
    undeclared. With no frame-ancestors at all, X-Frame-Options governs (headers check).
    """
    declared = {_origin(a) for a in allowed}
    extra_per_policy = []
    for policy in parse_list(enforced):
        d = policy.get("frame-ancestors")
        if d is None:
            continue
        extra = [s.raw for s in d.sources if not _declared_source(s, declared)]
        extra_per_policy.append((d, extra))
    if not extra_per_policy or not all(extra for _, extra in extra_per_policy):
        return []
    d, extra = extra_per_policy[0]
    evidence = f"{_quote(d, extra)}; declared: {', '.join(sorted(declared)) or 'none'}"
    return [FRAME_ANCESTORS_UNEXPECTED(evidence, url=page_url)]


def _origin(value: str) -> str:
    value = value.strip().rstrip("/").lower()
    for scheme, port in (("http://", ":80"), ("https://", ":443")):
        if value.startswith(scheme) and value.endswith(port):
            return value[: -len(port)]
    return value


def _declared_source(s: Source, declared: set[str]) -> bool:
    if s.kind is SourceKind.KEYWORD and s.name in ("self", "none"):
        return True
    if s.kind is not SourceKind.HOST or not s.scheme or "*" in s.host:
        return False  # a scheme-less or wildcard host lets in more than one origin
    default = {"http": "80", "https": "443"}.get(s.scheme.lower())
    port = "" if s.port in ("", default) else f":{s.port}"
    # A path in frame-ancestors does not narrow who may frame the page: the origin counts.
    return f"{s.scheme}://{s.host}{port}".lower() in declared


def nonces(policies: list[str]) -> set[str]:
    """Every nonce value in the policies (header values), malformed ones included."""
    return {s.value for p in parse_list(policies) for d in p.directives for s in d.nonces}


def evaluate_nonce_reuse(
    first: list[str], second: list[str], *, page_url: str | None = None
) -> list[Finding]:
    """``csp.nonce-reused`` if two responses of the same page carry a common nonce."""
    shared = sorted(nonces(first) & nonces(second))
    if not shared:
        return []
    shown = " ".join(f"'nonce-{n}'" for n in shared[:3]) + (" …" if len(shared) > 3 else "")
    return [NONCE_REUSED(f"{_clip(shown)} in both responses", url=page_url)]
