"""Supabase's public key, end to end, against a real PostgreSQL behind a PostgREST stand-in.

No PostgREST server can be installed here, so :mod:`tests.supabase_standin` fronts a real
PostgreSQL (Debian's, started once per session) with a small server that answers as
PostgREST, Storage and GoTrue document. The database has Supabase's ``anon`` and
``authenticated`` roles, tables with Row Level Security on and off, a table without grants,
and ``storage.objects`` with a public (``avatars``) and a private (``uploads``) bucket; the
leaky project forgot RLS on two tables and lets anyone read ``uploads``. The shipped suite
runs against each as the protected env ``prod``, without ``--allow-destructive``; the
server's log shows GETs and HEADs and the one read-only Storage listing, and no key, row or
object name reaches any report.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from pytest_prodready.checks import bundle, supabase
from pytest_prodready.config import SupabaseSpec
from pytest_prodready.core.safety import read_only
from pytest_prodready.core.secrets import Secret
from pytest_prodready.probes import supabase as project
from tests.faults.secret_scan import failing_findings, occurrences, report_args, texts
from tests.servers import serve
from tests.supabase_standin import Postgres, Project, anon_key, auth_settings, postgres, standin

ROOT = Path(__file__).resolve().parent.parent
KEY_VAR = "PRODREADY_SUPABASE_ANON_KEY"
ROW_MARKER = "rowmarker" + secrets.token_hex(8)
JWT_SECRET = secrets.token_bytes(32)
READABLE = "supabase.table-readable"
LISTABLE = "supabase.bucket-listable"
AUTOCONFIRM = "supabase.email-autoconfirm"
PROVIDERS = "supabase.provider-mismatch"
SIGNUP = "supabase.signup-mismatch"

CONFIG = """
[envs.prod]
base_url = "{url}"
plain_http = true

[envs.prod.secrets]
supabase_anon_key = "{var}"

[envs.prod.supabase]
url = "{url}"
anon_key_secret = "supabase_anon_key"
private_tables = ["profiles", "audit_log"]
public_tables = ["posts"]
private_buckets = ["uploads"]
providers = ["email", "google"]
disable_signup = false
"""


@dataclass(frozen=True)
class Variant:
    db: str
    autoconfirm: bool = False
    providers: tuple[str, ...] = ("email", "google")
    disable_signup: bool = False


VARIANTS: dict[str, tuple[Variant, set[str]]] = {
    "correct": (Variant("correct"), set()),
    "RLS off, uploads readable": (Variant("leaky"), {READABLE, LISTABLE}),
    "autoconfirm on": (Variant("correct", autoconfirm=True), {AUTOCONFIRM}),
    "github enabled, signup closed": (
        Variant("correct", providers=("email", "google", "github"), disable_signup=True),
        {PROVIDERS, SIGNUP},
    ),
}


@pytest.fixture(scope="module")
def cluster() -> Iterator[Postgres]:
    with postgres() as pg:
        pg.create("correct", leaky=False, row_marker=ROW_MARKER)
        pg.create("leaky", leaky=True, row_marker=ROW_MARKER)
        yield pg


@dataclass
class Run:
    project: Project
    result: pytest.RunResult
    out: Path
    key: str

    @property
    def failing(self) -> dict[str, list[str]]:
        return failing_findings(self.out)


@pytest.fixture
def run_against(
    pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cluster: Postgres
) -> Callable[[str], Run]:
    key = anon_key(JWT_SECRET)
    monkeypatch.setenv(KEY_VAR, key)

    def run(name: str, *, key_in_bundle: bool = False) -> Run:
        variant, _ = VARIANTS[name]
        settings = auth_settings(
            autoconfirm=variant.autoconfirm,
            providers=variant.providers,
            disable_signup=variant.disable_signup,
        )
        stand = standin(cluster, variant.db, key=key, jwt_secret=JWT_SECRET, auth=settings)
        if key_in_bundle:
            # NEXT_PUBLIC_SUPABASE_* inlined by the build, beside a service-role key (which
            # must not be taken for the public one).
            service = anon_key(JWT_SECRET, role="service_role")
            stand.bundle = f'createClient(url, "{key}");\nconst admin = "{service}";'
        out = tmp_path / re.sub(r"\W+", "-", name)
        out.mkdir()
        with serve(stand.asgi()) as server:
            config = out / "prodready.toml"
            text = CONFIG.format(url=server.url, var=KEY_VAR)
            if key_in_bundle:
                text = text.replace('anon_key_secret = "supabase_anon_key"\n', "")
            config.write_text(text)
            result = pytester.runpytest(
                str(ROOT / "suites" / "test_supabase.py"),
                "--target-env=prod",
                f"--prodready-config={config}",
                "-rs",
                *report_args(out),
            )
        return Run(stand, result, out, key)

    return run


@pytest.mark.parametrize("name", list(VARIANTS))
def test_each_project_gets_its_verdict_with_reads_only_on_a_protected_env(
    run_against: Callable[[str], Run], name: str
) -> None:
    run = run_against(name)
    out = run.result.stdout.str()
    assert "protected yes (name 'prod' matches prod*)" in out
    assert "0 skipped by the safety gate" in out
    assert "skipped" not in run.result.parseoutcomes()
    assert set(run.failing) == VARIANTS[name][1], out
    sent = {(r["method"], r["path"]) for r in run.project.requests}
    assert {m for m, _ in sent} <= {"GET", "HEAD", "POST"}
    # The one POST is Storage's listing of the declared private bucket.
    assert {p for m, p in sent if m == "POST"} == {"/storage/v1/object/list/uploads"}
    assert all(read_only(m, p) for m, p in sent)
    # A count per private or undeclared table; the public one is not asked for.
    heads = {p for m, p in sent if m == "HEAD"}
    assert heads == {"/rest/v1/profiles", "/rest/v1/audit_log", "/rest/v1/notes"}


def test_the_evidence_is_counts_never_rows_keys_or_object_names(
    run_against: Callable[[str], Run],
) -> None:
    run = run_against("RLS off, uploads readable")
    assert run.failing == {
        READABLE: [
            "the anon key sees 1 row of notes (undeclared, listed by the REST root; HEAD "
            "answered 200, Content-Range */1)",
            "the anon key sees 3 rows of profiles (declared private; HEAD answered 200, "
            "Content-Range */3)",
        ],
        LISTABLE: [
            "the anon key lists 2 entries at the top of private bucket uploads (names not shown)"
        ],
    }
    scanned = [("terminal output", run.result.stdout.str()), *texts(run.out)]
    assert {"junit.xml", "summary.json", "prodready.sarif", "report.html"} <= {
        n for n, _ in scanned
    }
    count, found = occurrences(scanned, {KEY_VAR: run.key, "row marker": ROW_MARKER})
    assert count >= 5
    assert found == {}, found


def test_without_a_declared_key_the_one_the_site_ships_is_used(
    run_against: Callable[[str], Run],
) -> None:
    run = run_against("RLS off, uploads readable", key_in_bundle=True)
    assert set(run.failing) == {READABLE, LISTABLE}
    sent = [(r["method"], r["path"]) for r in run.project.requests]
    # The page and its script, once each, then the project's API.
    assert sent[:2] == [("GET", "/"), ("GET", "/static/app.js")]
    # The REST root, three counts, one listing, the auth settings.
    assert len(sent) == 8, sent
    scanned = [("terminal output", run.result.stdout.str()), *texts(run.out)]
    count, found = occurrences(scanned, {"anon key": run.key, "row marker": ROW_MARKER})
    assert count >= 5
    assert found == {}, found


def test_nothing_declared_skips_in_one_line(pytester: pytest.Pytester, tmp_path: Path) -> None:
    config = tmp_path / "prodready.toml"
    config.write_text('[envs.staging]\nbase_url = "http://127.0.0.1:9"\nplain_http = true\n')
    result = pytester.runpytest(
        str(ROOT / "suites" / "test_supabase.py"),
        "--target-env=staging",
        f"--prodready-config={config}",
        "-p",
        "no:cacheprovider",
        "-rs",
    )
    result.assert_outcomes(skipped=3)
    skips = re.findall(r"^SKIPPED .*", result.stdout.str(), re.M)
    assert len(skips) == 3
    assert all(
        s.endswith("no [envs.X.supabase] in the configuration: nothing to check") for s in skips
    )


# -- on plain data ---------------------------------------------------------------------------


def test_public_keys_are_anon_jwts_and_publishable_keys_never_service_role() -> None:
    anon = anon_key(JWT_SECRET)
    service = anon_key(JWT_SECRET, role="service_role")
    publishable = "sb_publishable_" + secrets.token_urlsafe(20)
    text = f'a="{service}"; b="{anon}"; c="{publishable}"; d="{anon}"'
    assert supabase.public_keys([text]) == (publishable, anon)
    assert supabase.public_keys(["sb_secret_" + "x" * 30, "eyJ.not.a.key"]) == ()


@pytest.mark.parametrize(
    ("header", "count"),
    [("0-2/3", 3), ("*/0", 0), (" 0-24/3573 ", 3573), ("0-2/*", None), (None, None), ("x", None)],
)
def test_row_count_reads_postgrest_content_range(header: str | None, count: int | None) -> None:
    assert supabase.row_count(header) == count


def test_the_rest_root_lists_tables_not_rpc_or_introspection() -> None:
    document = {"paths": {"/": {}, "/profiles": {}, "/rpc/do_it": {}, "/posts": {}}}
    assert supabase.rest_root_tables(document) == ("posts", "profiles")
    assert supabase.rest_root_tables({"message": "Invalid API key"}) == ()
    assert supabase.rest_root_tables([1, 2]) == ()


def _spec(**kwargs: Any) -> SupabaseSpec:
    return SupabaseSpec(url="https://abc.supabase.co", anon_key_secret="k", **kwargs)


@pytest.mark.parametrize(
    ("settings", "spec", "ids"),
    [
        (auth_settings(autoconfirm=False), _spec(), []),
        (auth_settings(autoconfirm=True), _spec(), [AUTOCONFIRM]),
        (auth_settings(autoconfirm=True), _spec(email_autoconfirm=True), []),
        (auth_settings(autoconfirm=False), _spec(providers=("email", "github")), [PROVIDERS]),
        (auth_settings(autoconfirm=False, providers=("email",)), _spec(providers=("email",)), []),
        (auth_settings(autoconfirm=False), _spec(disable_signup=True), [SIGNUP]),
        (auth_settings(autoconfirm=False, disable_signup=True), _spec(disable_signup=True), []),
    ],
)
def test_auth_settings_against_the_declared_ones(
    settings: dict[str, Any], spec: SupabaseSpec, ids: list[str]
) -> None:
    found = supabase.evaluate_auth_settings(spec, settings, url="https://abc.supabase.co/x")
    assert [f.id for f in found] == ids


def test_only_the_storage_listing_is_a_read_only_post() -> None:
    assert read_only("GET", "/rest/v1/profiles")
    assert read_only("head", "/rest/v1/profiles")
    assert read_only("POST", "/storage/v1/object/list/uploads")
    assert not read_only("POST", "/storage/v1/object/list/")
    assert not read_only("POST", "/storage/v1/object/list/..")
    assert not read_only("POST", "/storage/v1/object/list/uploads/../../bucket")
    assert not read_only("POST", "/storage/v1/object/uploads/file.txt")
    assert not read_only("POST", "/rest/v1/profiles")
    assert not read_only("DELETE", "/storage/v1/object/list/uploads")
    key = Secret("k", "V", "x" * 30)
    transport = httpx.MockTransport(lambda r: httpx.Response(200))
    with (
        httpx.Client(transport=transport) as client,
        pytest.raises(RuntimeError, match="not a read-only Supabase call"),
    ):
        project.send(client, "POST", "https://abc.supabase.co", "/rest/v1/profiles", key)


def test_a_publishable_key_travels_in_apikey_alone_a_jwt_as_the_bearer_too() -> None:
    seen: list[httpx.Headers] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers)
        return httpx.Response(200, json={})

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        for value in ("sb_publishable_" + "x" * 30, anon_key(JWT_SECRET)):
            project.auth_settings(client, "https://abc.supabase.co", Secret("k", "V", value))
    assert "authorization" not in seen[0]
    assert seen[1]["authorization"] == f"Bearer {seen[1]['apikey']}"


def test_a_supabase_server_key_in_the_bundle_is_named_supabase() -> None:
    header, _, signature = anon_key(JWT_SECRET).split(".")
    claims = "eyJpc3MiOiJzdXBhYmFzZSIsInJvbGUiOiJzZXJ2aWNlX3JvbGUifQ"  # role service_role
    text = (
        f'const a = "{header}.{claims}.{signature}";\n'
        f'const b = "sb_secret_{secrets.token_urlsafe(24)}";'
    )
    findings = bundle.evaluate(
        [bundle.Asset("https://app.example.com/app.js", text)], production=True
    )
    kinds = sorted(f.evidence.split(" ", 2)[1] for f in findings)
    assert kinds == ["secret", "service_role"], findings
    assert all(f.evidence.startswith("Supabase ") for f in findings), findings
