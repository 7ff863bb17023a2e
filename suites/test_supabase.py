"""Supabase's public (anon) key reaches no private row, object or setting it should not.

Every visitor's bundle carries the project URL and the anon key, so these requests are what
any stranger can send: a row count per table (``HEAD`` with ``Prefer: count=exact``: no row
travels), one listing per private bucket (Storage's read-only ``POST .../object/list``), and
the public auth settings. Reads only: safe on protected environments.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from pytest_prodready import AssertNoFindings, Secret
from pytest_prodready.checks import supabase
from pytest_prodready.config import Environment, SupabaseSpec
from pytest_prodready.http import ResponseCache
from pytest_prodready.probes import supabase as project

pytestmark = pytest.mark.smoke

NOT_DECLARED = "no [envs.X.supabase] in the configuration: nothing to check"


@pytest.fixture(scope="session")
def supabase_spec(target: Environment) -> SupabaseSpec:
    """The env's ``[envs.X.supabase]``; every test here skips without one."""
    if target.supabase is None:
        pytest.skip(NOT_DECLARED)
    return target.supabase


@pytest.fixture(scope="session")
def anon_key(
    supabase_spec: SupabaseSpec,
    target: Environment,
    secret: Callable[[str], Secret],
    fetch: ResponseCache,
) -> Secret:
    """The declared public key, else the one the site's pages and scripts ship."""
    if supabase_spec.anon_key_secret is not None:
        return secret(supabase_spec.anon_key_secret)
    found = project.find_public_key(fetch, target)
    if found is None:
        pytest.fail(
            "[envs.X.supabase] names no anon_key_secret and the site's pages and scripts carry "
            "no Supabase public key (an anon JWT or sb_publishable_ key): declare "
            "anon_key_secret.",
            pytrace=False,
        )
    return found


def test_tables_hide_their_rows_from_the_public_key(
    supabase_spec: SupabaseSpec,
    anon_key: Secret,
    http: httpx.Client,
    assert_no_findings: AssertNoFindings,
) -> None:
    listed = project.listed_tables(http, supabase_spec.url, anon_key)
    findings = []
    for table, why in supabase.tables_to_check(supabase_spec, listed):
        response = project.table_count(http, supabase_spec.url, table, anon_key)
        findings += supabase.evaluate_table(table, why, response)
    assert_no_findings(findings)


def test_private_buckets_list_nothing_to_the_public_key(
    supabase_spec: SupabaseSpec,
    anon_key: Secret,
    http: httpx.Client,
    assert_no_findings: AssertNoFindings,
) -> None:
    if not supabase_spec.private_buckets:
        pytest.skip("no private_buckets declared in [envs.X.supabase]")
    findings = []
    for bucket in supabase_spec.private_buckets:
        response = project.bucket_listing(http, supabase_spec.url, bucket, anon_key)
        findings += supabase.evaluate_bucket(bucket, response)
    assert_no_findings(findings)


def test_auth_settings_are_the_declared_ones(
    supabase_spec: SupabaseSpec,
    anon_key: Secret,
    http: httpx.Client,
    assert_no_findings: AssertNoFindings,
) -> None:
    response = project.auth_settings(http, supabase_spec.url, anon_key)
    try:
        settings = response.json() if response.status_code == 200 else None
    except ValueError:
        settings = None
    if not isinstance(settings, dict):
        pytest.fail(
            f"GET {response.request.url} answered {response.status_code} without the JSON "
            "settings object Supabase Auth serves: check [envs.X.supabase] url and the key."
        )
    assert_no_findings(
        supabase.evaluate_auth_settings(supabase_spec, settings, url=str(response.request.url))
    )
