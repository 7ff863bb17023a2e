"""Protection by name, by setting and by origin (issue 20, part 2).

Plain data for the pure pieces (origins, name patterns, the decision); pytester runs in a
child process against a real server on 127.0.0.1 that counts the POSTs it gets, so "the
safety gate held" is measured where it matters: at the protected origin.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from pytest_prodready.config import Environment, load_config
from pytest_prodready.config.environment import PROTECTED_NAME_PATTERNS, protected_name_pattern
from pytest_prodready.core.catalogue import catalogue
from pytest_prodready.target.protection import Origin, Protection, decide, origin_of
from tests.servers import ThreadedServer

WriteConfig = Callable[[str], Path]

# --- origins -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://prod.example.com", "https://prod.example.com:443/app?x=1#f"),
        ("https://PROD.Example.COM./", "https://prod.example.com"),
        ("http://prod.example.com:80", "http://prod.example.com/"),
        ("https://[0:0::1]:8443", "https://[::1]:8443/x"),
        ("HTTPS://prod.example.com", "https://prod.example.com"),
        ("https://user:pw@prod.example.com", "https://prod.example.com"),
    ],
)
def test_origins_that_are_one(a: str, b: str) -> None:
    assert origin_of(a) == origin_of(b) is not None


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("http://prod.example.com", "https://prod.example.com"),  # scheme
        ("https://prod.example.com", "https://prod.example.com:8443"),  # port
        ("http://prod.example.com:443", "https://prod.example.com"),  # the port is not enough
        ("https://prod.example.com", "https://www.prod.example.com"),  # host
        ("https://127.0.0.1:5000", "https://127.0.0.2:5000"),
    ],
)
def test_origins_that_differ(a: str, b: str) -> None:
    assert origin_of(a) != origin_of(b)


@pytest.mark.parametrize(
    "url", [None, "", "ftp://prod.example.com", "https://[::1", "https://x:99999", "/path", "x"]
)
def test_no_origin(url: str | None) -> None:
    assert origin_of(url) is None


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://Prod.Example.com.:443/a?token=1", "https://prod.example.com"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
        ("https://[::1]:443", "https://[::1]"),
    ],
)
def test_an_origin_is_shown_without_path_query_or_default_port(url: str, shown: str) -> None:
    assert str(origin_of(url)) == shown


def test_origin_fields() -> None:
    assert origin_of("https://Prod.example.com.") == Origin("https", "prod.example.com", 443)


# --- names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "pattern"),
    [
        ("prod", "prod*"),
        ("PROD", "prod*"),
        ("Prod-EU", "prod*"),
        ("prod_eu", "prod*"),
        ("prod.eu", "prod*"),
        ("prod2", "prod*"),
        ("prod01-us", "prod*"),
        ("prd", "prd*"),
        ("prd-1", "prd*"),
        ("production", "production*"),
        ("production-us", "production*"),
        ("PRODUCTION_2", "production*"),
        ("live", "live*"),
        ("live-eu", "live*"),
        ("live1", "live*"),
        ("main", "main"),
        ("MAIN", "main"),
    ],
)
def test_protected_names(name: str, pattern: str) -> None:
    assert protected_name_pattern(name) == pattern


@pytest.mark.parametrize(
    "name",
    [
        "product-demo",  # "prod" followed by a letter: another word
        "prodready",
        "products",
        "productions",
        "preprod",  # the pattern is a prefix
        "eu-prod",
        "prdx",
        "liver",
        "lively",
        "mainline",  # "main" is exact
        "main-eu",
        "domain",
        "staging",
        "pro",
        "",
    ],
)
def test_unprotected_names(name: str) -> None:
    assert protected_name_pattern(name) is None


def test_every_documented_pattern_is_the_one_matched() -> None:
    examples = {"prod*": "prod-1", "prd*": "prd", "production*": "production", "live*": "live"}
    examples["main"] = "main"
    assert {protected_name_pattern(name) for name in examples.values()} == set(
        PROTECTED_NAME_PATTERNS
    )


def test_config_protects_names_by_pattern_and_the_setting_wins(tmp_path: Path) -> None:
    path = tmp_path / "prodready.toml"
    path.write_text(
        textwrap.dedent(
            """
            [envs.prod-eu]
            base_url = "https://eu.example.com"
            [envs.product-demo]
            base_url = "https://demo.example.com"
            [envs.live2]
            base_url = "https://l.example.com"
            protected = false
            [envs.qa]
            base_url = "https://qa.example.com"
            protected = true
            """
        )
    )
    cfg = load_config(path, "test", known_ids=catalogue())
    assert cfg is not None
    seen = {name: (env.protected, env.protected_setting) for name, env in cfg.envs.items()}
    assert seen == {
        "prod-eu": (True, None),
        "product-demo": (False, None),
        "live2": (False, False),
        "qa": (True, True),
    }


# --- the decision --------------------------------------------------------------------------

PROD = Environment("prod", "https://prod.example.com", protected=True)


def envs(*items: Environment) -> dict[str, Environment]:
    return {env.name: env for env in items}


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        pytest.param(
            Environment("prod-eu", "https://eu.example.com", protected=True),
            Protection(True, "name 'prod-eu' matches prod*", "prod-eu"),
            id="name",
        ),
        pytest.param(
            Environment("qa", "https://qa.example.com", protected=True, protected_setting=True),
            Protection(True, "protected = true in prodready.toml", "qa"),
            id="setting-true",
        ),
        pytest.param(
            Environment("live", "https://l.example.com", protected_setting=False),
            Protection(False, "protected = false in prodready.toml", "live"),
            id="setting-false-beats-the-name",
        ),
        pytest.param(
            Environment("qa", "https://qa.example.com"),
            Protection(
                False, "name 'qa' matches no protected pattern; no protected env's origin", "qa"
            ),
            id="neither",
        ),
        pytest.param(
            Environment("mirror", "HTTPS://Prod.Example.com.:443/app"),
            Protection(
                True, "base_url origin https://prod.example.com equals protected env 'prod'", "prod"
            ),
            id="base_url-origin",
        ),
        pytest.param(
            Environment("front", "https://front.example.com", api_url="https://prod.example.com"),
            Protection(
                True, "api_url origin https://prod.example.com equals protected env 'prod'", "prod"
            ),
            id="api_url-origin",
        ),
        pytest.param(
            Environment(
                "twin", "https://prod.example.com", protected=False, protected_setting=False
            ),
            Protection(
                True, "base_url origin https://prod.example.com equals protected env 'prod'", "prod"
            ),
            id="origin-beats-protected-false",
        ),
        pytest.param(
            Environment("qa", "https://prod.example.com:8443"),
            Protection(
                False, "name 'qa' matches no protected pattern; no protected env's origin", "qa"
            ),
            id="another-port",
        ),
        pytest.param(
            Environment("qa", "http://prod.example.com"),
            Protection(
                False, "name 'qa' matches no protected pattern; no protected env's origin", "qa"
            ),
            id="another-scheme",
        ),
    ],
)
def test_decision(env: Environment, expected: Protection) -> None:
    assert decide(envs(PROD, env), env.name) == expected


def test_base_url_override_onto_a_protected_origin_is_that_env() -> None:
    staging = Environment("staging", "https://staging.example.com")
    assert decide(envs(PROD, staging), "staging", base_url_override="https://PROD.example.com/")
    assert decide(
        envs(PROD, staging), "staging", base_url_override="https://prod.example.com/x"
    ) == Protection(
        True, "--base-url origin https://prod.example.com equals protected env 'prod'", "prod"
    )
    # The override replaces base_url: the env's own URL no longer counts.
    elsewhere = Environment("staging", "https://prod.example.com")
    decided = decide(envs(PROD, elsewhere), "staging", base_url_override="https://x.example.com")
    assert decided.protected is False


def test_http_url_counts_and_the_protected_envs_every_origin_counts() -> None:
    prod = Environment(
        "prod", "https://prod.example.com", http_url="http://prod.example.com", protected=True
    )
    qa = Environment("qa", "https://qa.example.com", http_url="http://prod.example.com:80")
    assert decide(envs(prod, qa), "qa").reason == (
        "http_url origin http://prod.example.com equals protected env 'prod'"
    )
    api = Environment(
        "prod", "https://p.example.com", api_url="https://api.p.example.com", protected=True
    )
    client = Environment("client", "https://api.p.example.com")
    assert decide(envs(api, client), "client").owner == "prod"


def test_a_protected_target_is_its_own_owner_even_on_a_shared_origin() -> None:
    # Two names for one deployment: each is allowed by its own name, never blocked for good.
    alias = Environment("prod-eu", "https://prod.example.com", protected=True)
    assert decide(envs(PROD, alias), "prod-eu").owner == "prod-eu"
    assert decide(envs(PROD, alias), "prod").owner == "prod"


def test_only_protected_envs_lend_protection_and_the_first_in_file_order_wins() -> None:
    open_twin = Environment("qa", "https://prod.example.com", protected_setting=False)
    target = Environment("mirror", "https://prod.example.com")
    assert decide(envs(open_twin, target), "mirror").protected is False
    live = Environment("live", "https://prod.example.com", protected=True)
    assert decide(envs(live, PROD, target), "mirror").owner == "live"


def test_envs_without_urls_are_no_origin() -> None:
    embedded = Environment("prod", None, embedded="demo", protected=True)
    other = Environment("demo", None, embedded="demo")
    assert decide(envs(embedded, other), "demo").protected is False


# --- end to end: the gate holds at the protected origin ------------------------------------


@dataclass
class PostCounter:
    """A server on 127.0.0.1 that counts the writes it gets."""

    methods: list[str] = field(default_factory=list)

    def app(self) -> Starlette:
        async def anything(request: Request) -> Response:
            self.methods.append(request.method)
            return PlainTextResponse("ok")

        return Starlette(routes=[Route("/{path:path}", anything, methods=["GET", "POST"])])

    @property
    def posts(self) -> int:
        return self.methods.count("POST")


@pytest.fixture
def prod_server() -> Iterator[tuple[ThreadedServer, PostCounter]]:
    counter = PostCounter()
    server = ThreadedServer(counter.app()).start()
    yield server, counter
    server.stop()


WRITES = """
    import pytest

    @pytest.mark.destructive
    def test_writes(http):
        http.post("/api/items", json={"name": "x"})

    def test_protected_is_one_decision(target):
        print(f"\\nTARGET-PROTECTED {target.protected}")
"""


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-p", "no:xdist", "-rs", "-s", *args, timeout=60
    )


def test_base_url_onto_a_protected_origin_is_gated_as_that_env(
    pytester: pytest.Pytester,
    write_config: WriteConfig,
    prod_server: tuple[ThreadedServer, PostCounter],
) -> None:
    server, counter = prod_server
    write_config(
        f"""
        [envs.prod]
        base_url = "{server.url}"
        [envs.staging]
        base_url = "http://127.0.0.1:9"
        """
    )
    pytester.makepyfile(WRITES)
    # The same origin, spelled otherwise: a path and an upper-case scheme change nothing.
    prods = f"HTTP://127.0.0.1:{server.port}/app"
    result = run(
        pytester, "--target-env", "staging", "--base-url", prods, "--prodready-json=s.json"
    )
    result.assert_outcomes(passed=1, skipped=1)
    assert counter.posts == 0
    why = f"--base-url origin http://127.0.0.1:{server.port} equals protected env 'prod'"
    result.stdout.fnmatch_lines(
        [
            f"prodready: protected yes ({why}); secrets: none declared",
            "TARGET-PROTECTED True",
            "prodready: 1 destructive/load/rate-limit test SKIPPED: environment 'staging' is "
            "protected as 'prod'. To run them on purpose: --allow-destructive=prod",
            f"*prodready safety: destructive test on 'staging', protected as 'prod' ({why}); "
            "run it with --allow-destructive=prod*",
        ]
    )
    summary = json.loads((pytester.path / "s.json").read_text())
    assert summary["env"]["protected"] is True
    assert summary["outcomes"]["skipped_by_safety"] == 1

    # Allowing the env being tested is not allowing the env being reached.
    refused = run(
        pytester, "--target-env", "staging", "--base-url", prods, "--allow-destructive=staging"
    )
    assert refused.ret == pytest.ExitCode.USAGE_ERROR
    refused.stderr.fnmatch_lines(
        [
            "*--allow-destructive=staging does not match the protected environment 'prod' this "
            f"run reaches: the target 'staging' is treated as 'prod' because its {why}.*"
            "Use --allow-destructive=prod if you mean it*"
        ]
    )
    assert counter.posts == 0

    # Both ways: naming the protected env lets the very same test write.
    allowed = run(
        pytester, "--target-env", "staging", "--base-url", prods, "--allow-destructive=prod"
    )
    allowed.assert_outcomes(passed=2)
    assert counter.posts == 1


@pytest.mark.parametrize("setting", ["", "protected = false"])
def test_an_env_on_a_protected_origin_is_gated_whatever_it_says(
    pytester: pytest.Pytester,
    write_config: WriteConfig,
    prod_server: tuple[ThreadedServer, PostCounter],
    setting: str,
) -> None:
    server, counter = prod_server
    write_config(
        f"""
        [envs.prod]
        base_url = "{server.url}"
        [envs.mirror]
        base_url = "{server.url}/"
        {setting}
        """
    )
    pytester.makepyfile(WRITES)
    result = run(pytester, "--target-env", "mirror")
    result.assert_outcomes(passed=1, skipped=1)
    assert counter.posts == 0
    result.stdout.fnmatch_lines(
        [
            f"prodready: protected yes (base_url origin http://127.0.0.1:{server.port} equals "
            "protected env 'prod'); secrets: none declared",
            "TARGET-PROTECTED True",
        ]
    )


@pytest.mark.parametrize(
    ("name", "setting", "line"),
    [
        ("prod-eu", "", "protected yes (name 'prod-eu' matches prod*)"),
        ("qa", "protected = true", "protected yes (protected = true in prodready.toml)"),
        ("live", "protected = false", "protected no (protected = false in prodready.toml)"),
    ],
)
def test_the_header_says_why(
    pytester: pytest.Pytester, write_config: WriteConfig, name: str, setting: str, line: str
) -> None:
    write_config(f'[envs.{name}]\nbase_url = "https://{name}.test"\n{setting}\n')
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest("--target-env", name, "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines([f"prodready: {line}; secrets: none declared"])
