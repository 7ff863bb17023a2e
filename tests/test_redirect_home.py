"""Redirect probes stay home (issue 20, part 3).

The HTTP -> HTTPS probe and the protected-redirect check request only the environment's own
hosts; any other Location is judged from its text, shown as ``scheme://host``, and never
requested. Plain data for the pure pieces; real servers on loopback only: the target on
127.0.0.1, "elsewhere" on 127.0.0.2 and 127.0.0.3, each counting the connections it gets.
"""

from __future__ import annotations

import contextlib
import secrets
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from pytest_prodready.checks.redirect import Hop, evaluate
from pytest_prodready.core.findings import Severity
from pytest_prodready.core.safety import hop_is_home, leaves_for, redact_location
from pytest_prodready.probes import redirect as redirect_probe
from pytest_prodready.probes.redirect import stays_home
from tests.servers import ThreadedServer, free_port

ROOT = Path(__file__).resolve().parent.parent
TLS_SUITE = str(ROOT / "suites" / "test_tls.py")
CANARY = "SECRET-CANARY-" + secrets.token_hex(8)
WriteConfig = Callable[[str], Path]

# --- plain data ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("location", "quoted"),
    [
        ("https://app.example.com/cb?token=abc#frag", "https://app.example.com/cb"),
        ("/next?code=abc", "/next"),
        ("/next#access_token=abc", "/next"),
        ("https://user:pw@app.example.com/a", "https://app.example.com/a"),
        ("http://[::1/login?token=abc", "http://[::1/login"),  # unparsable, redacted all the same
        ("javascript:alert(document.domain)", "javascript:alert(document.domain)"),
        ("https://app.example.com/", "https://app.example.com/"),
    ],
)
def test_redact_location(location: str, quoted: str) -> None:
    assert redact_location(location) == quoted


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://127.0.0.2:8080/cb?token=abc", "http://127.0.0.2"),
        ("HTTPS://Login.Example.COM./x/y?z=1#f", "https://login.example.com"),
        ("https://user:pw@login.example.com/", "https://login.example.com"),
        ("http://[0:0::1]:80/x", "http://[::1]"),
        ("javascript:alert(1)", None),
        ("http://[::1/login", None),
    ],
)
def test_leaves_for_shows_scheme_and_host_only(url: str, shown: str | None) -> None:
    assert leaves_for(url) == shown


APP = frozenset({"app.example.com"})
LOOPBACK = frozenset({"127.0.0.1"})


@pytest.mark.parametrize(
    ("url", "home", "expected"),
    [
        ("https://app.example.com/x?y=1", APP, True),
        ("http://APP.example.com.:8080/", APP, True),  # any scheme and port of a home host
        ("https://www.app.example.com/", APP, False),
        ("https://example.com/", APP, False),
        ("http://app.example.com@evil.example/", APP, False),  # userinfo is not the host
        ("http://evil.example#@app.example.com", APP, False),
        ("http://127.0.0.1:5/", LOOPBACK, True),
        ("http://127.0.0.2:5/", LOOPBACK, False),  # loopback, but not the env's own address
        ("http://localhost:5/", LOOPBACK, False),  # no name is resolved
        ("http://2130706433/", LOOPBACK, False),  # 127.0.0.1 spelled as an integer
        ("http://[::ffff:127.0.0.1]/", LOOPBACK, False),
        ("http://[0:0::1]/", frozenset({"::1"}), True),
        # Internal ranges: never for an env elsewhere, only for one living at that address.
        ("http://169.254.169.254/latest/meta-data/", APP, False),
        ("http://[fe80::1]/", APP, False),
        ("http://10.0.0.5/", APP, False),
        ("http://172.16.0.1/", APP, False),
        ("http://192.168.1.1/", APP, False),
        ("http://[fd00::1]/", APP, False),
        ("http://[::1]/", APP, False),
        ("http://10.0.0.5:8443/", frozenset({"10.0.0.5"}), True),
        ("http://10.0.0.6/", frozenset({"10.0.0.5"}), False),
        ("http://192.168.1.1/", frozenset({"10.0.0.5"}), False),
        # No web URL at all: nothing to request.
        ("javascript:alert(1)", APP, False),
        ("ftp://app.example.com/", APP, False),
        ("http://[::1/", frozenset({"::1"}), False),
        ("https:///path", APP, False),
    ],
)
def test_hop_is_home(url: str, home: frozenset[str], expected: bool) -> None:
    assert hop_is_home(url, home) is expected
    assert stays_home(url, home) is expected


def test_the_check_judges_an_off_host_hop_from_its_scheme_and_host() -> None:
    chain = [Hop("http://app.example.com/", 301, "https://login.example.com", off_host=True)]
    (finding,) = evaluate(chain, https_url="https://app.example.com")
    assert (finding.id, finding.severity, finding.evidence) == (
        "redirect.first-hop-off-host",
        Severity.LOW,
        "first redirect leaves app.example.com: http://app.example.com/ -> leaves for "
        "https://login.example.com; expected https://app.example.com",
    )
    chain = [Hop("http://app.example.com/", 302, "http://127.0.0.2", off_host=True)]
    (finding,) = evaluate(chain, https_url="https://app.example.com")
    assert (finding.id, finding.evidence) == (
        "redirect.not-to-https",
        "route http://app.example.com/ -> leaves for http://127.0.0.2",
    )
    chain = [
        Hop("http://app.example.com/", 301, "https://app.example.com/"),
        Hop("https://app.example.com/", 302, "https://sso.example.com", off_host=True),
    ]
    assert evaluate(chain, https_url="https://app.example.com") == []


@pytest.mark.parametrize(
    "chain",
    [
        [Hop("http://app.example.com/", 300, f"https://app.example.com/cb?token={CANARY}")],
        [Hop("http://app.example.com/", 302, f"http://evil.example/cb?token={CANARY}#x")],
        [
            Hop("http://app.example.com/", 302, f"/a?token={CANARY}"),
            Hop(f"http://app.example.com/a?token={CANARY}", 302, f"https://x.example/#{CANARY}"),
        ],
        [Hop(f"http://app.example.com/?token={CANARY}", 302, f"https://u:{CANARY}@x.example/")],
    ],
)
def test_evidence_never_quotes_a_query_string_or_fragment(chain: list[Hop]) -> None:
    (finding,) = evaluate(chain, https_url="https://app.example.com")
    assert CANARY not in finding.evidence
    assert CANARY not in (finding.url or "")


# --- real servers on loopback --------------------------------------------------------------


class Listener:
    """Counts the connections made to one loopback address; answers each with a bare 200.

    Counting connections, not requests, also catches a TLS client that never gets to send.
    """

    def __init__(self, host: str) -> None:
        try:
            self.sock = socket.create_server((host, 0))
        except OSError:
            pytest.skip(f"{host} is not a loopback address on this system (Linux routes 127/8)")
        self.sock.settimeout(0.05)
        self.host = host
        self.port: int = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            with conn, contextlib.suppress(OSError):
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


@pytest.fixture
def elsewhere() -> Iterator[tuple[Listener, Listener]]:
    """Listeners on 127.0.0.2 and 127.0.0.3: hosts that are not the target's."""
    listeners = [Listener("127.0.0.2"), Listener("127.0.0.3")]
    yield listeners[0], listeners[1]
    for listener in listeners:
        listener.close()


class Redirector:
    """The target on 127.0.0.1: answers each path in ``routes`` with a 302 to its Location."""

    def __init__(self, routes: dict[str, str]) -> None:
        self.routes = routes
        self.requests: list[str] = []

    def app(self) -> Starlette:
        async def anything(request: Request) -> Response:
            self.requests.append(str(request.url.path))
            location = self.routes.get(request.url.path)
            if location is None:
                return PlainTextResponse("ok")
            return RedirectResponse(location, status_code=302)

        return Starlette(routes=[Route("/{path:path}", anything)])


@pytest.fixture
def serve_redirects() -> Iterator[Callable[[dict[str, str]], tuple[ThreadedServer, Redirector]]]:
    started: list[ThreadedServer] = []

    def serve(routes: dict[str, str]) -> tuple[ThreadedServer, Redirector]:
        redirector = Redirector(routes)
        server = ThreadedServer(redirector.app()).start()
        started.append(server)
        return server, redirector

    yield serve
    for server in started:
        server.stop()


def test_follow_requests_home_hops_only(
    serve_redirects: Callable[[dict[str, str]], tuple[ThreadedServer, Redirector]],
    elsewhere: tuple[Listener, Listener],
) -> None:
    other, _ = elsewhere
    away = f"http://127.0.0.2:{other.port}/cb?token={CANARY}"
    server, redirector = serve_redirects({"/": f"/step?token={CANARY}", "/step": away})
    with httpx.Client(timeout=5) as client:
        chain = redirect_probe.follow(client, f"{server.url}/")
    assert chain == [
        Hop(f"{server.url}/", 302, "/step"),
        Hop(f"{server.url}/step", 302, "http://127.0.0.2", off_host=True),
    ]
    assert redirector.requests == ["/", "/step"]  # the home hop is followed
    assert other.connections == 0
    assert CANARY not in repr(chain)


def test_follow_takes_the_envs_other_hosts_as_home(
    serve_redirects: Callable[[dict[str, str]], tuple[ThreadedServer, Redirector]],
    elsewhere: tuple[Listener, Listener],
) -> None:
    other, _ = elsewhere
    server, _ = serve_redirects({"/": f"http://127.0.0.2:{other.port}/next"})
    with httpx.Client(timeout=5) as client:
        chain = redirect_probe.follow(client, f"{server.url}/", home=["https://127.0.0.2:1"])
    assert [hop.status for hop in chain] == [302, 200]
    assert other.connections == 1


def run_suite(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, str]:
    """A child pytest with every report asked for; its outputs together, for canary hunts."""
    result = pytester.runpytest_subprocess(
        *args,
        "--prodready-config",
        str(pytester.path / "prodready.toml"),
        "--junitxml",
        "junit.xml",
        "--prodready-json",
        "summary.json",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:xdist",
        "-rA",
        "--showlocals",
        timeout=60,
    )
    outputs = [result.stdout.str(), result.stderr.str()]
    outputs += [(pytester.path / name).read_text() for name in ("junit.xml", "summary.json")]
    return result, "\n".join(outputs)


@pytest.mark.parametrize(
    ("scheme", "finding"),
    [
        (
            "http",
            "- ?HIGH? redirect.not-to-https  *(evidence: route http://127.0.0.1:{port}/ "
            "-> leaves for http://127.0.0.2)*",
        ),
        (
            "https",
            "- ?LOW? redirect.first-hop-off-host  *(evidence: first redirect leaves "
            "127.0.0.1: http://127.0.0.1:{port}/ -> leaves for https://127.0.0.2; expected "
            "https://127.0.0.1:{closed})*",
        ),
    ],
)
def test_http_redirect_test_never_requests_another_host_nor_shows_its_query(
    pytester: pytest.Pytester,
    write_config: WriteConfig,
    serve_redirects: Callable[[dict[str, str]], tuple[ThreadedServer, Redirector]],
    elsewhere: tuple[Listener, Listener],
    scheme: str,
    finding: str,
) -> None:
    other, _ = elsewhere
    server, redirector = serve_redirects(
        {"/": f"{scheme}://127.0.0.2:{other.port}/cb?token={CANARY}"}
    )
    # The test starts at http_url and never connects to base_url: nothing listens there.
    closed = free_port()
    write_config(
        f"""
        [envs.qa]
        base_url = "https://127.0.0.1:{closed}"
        http_url = "{server.url}"
        """
    )
    result, outputs = run_suite(pytester, TLS_SUITE, "-k", "redirects", "--target-env", "qa")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([finding.format(port=server.port, closed=closed)])
    assert redirector.requests == ["/"]
    assert other.connections == 0
    assert CANARY not in outputs


@pytest.mark.parametrize(
    ("routes", "skipped"),
    [
        pytest.param({"/": "{prod}/cb?token={canary}"}, True, id="straight-to-prod"),
        pytest.param(
            {"/": "/step?token={canary}", "/step": "{prod}/cb?token={canary}"},
            True,
            id="home-hop-then-prod",
        ),
        pytest.param({"/": "{third}/cb?token={canary}"}, False, id="to-a-third-host"),
    ],
)
def test_protected_redirect_check_never_requests_another_host(
    pytester: pytest.Pytester,
    write_config: WriteConfig,
    serve_redirects: Callable[[dict[str, str]], tuple[ThreadedServer, Redirector]],
    elsewhere: tuple[Listener, Listener],
    routes: dict[str, str],
    skipped: bool,
) -> None:
    prod, third = elsewhere
    urls = {
        "prod": f"http://127.0.0.2:{prod.port}",
        "third": f"http://127.0.0.3:{third.port}",
        "canary": CANARY,
    }
    server, redirector = serve_redirects({p: loc.format(**urls) for p, loc in routes.items()})
    write_config(
        f"""
        [envs.prod]
        base_url = "{urls["prod"]}"
        [envs.staging]
        base_url = "{server.url}"
        """
    )
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.destructive
        def test_writes(): pass
        """
    )
    result, outputs = run_suite(pytester, "--target-env", "staging")
    if skipped:
        result.assert_outcomes(skipped=1)
        result.stdout.fnmatch_lines(
            ["*'staging' redirects to the host of protected environment 'prod'*"]
        )
    else:
        # Off home, and not to a protected host: not followed, so not known to be protected.
        result.assert_outcomes(passed=1)
    assert prod.connections == 0
    assert third.connections == 0
    assert CANARY not in outputs
    assert redirector.requests == list(routes)
