"""``[envs.X.bundle]``, ``[envs.X.budgets]`` and the build keys of ``[envs.X.expect]``."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_prodready.config.bundle import Budgets, BuildExpect, BundleLimits
from tests.test_config import load, usage_error


def test_defaults_and_declared_values(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        """
        [envs.a]
        base_url = "https://a.example.com"

        [envs.b]
        base_url = "https://b.example.com"
        [envs.b.bundle]
        max_assets = 50
        max_bytes_mb = 2.5
        [envs.b.budgets]
        first_load_js_kb = 170
        page_weight_kb = 600
        [envs.b.expect]
        stripe_mode = "LIVE"
        supabase_ref = "abcdefghijklmnopqrst"
        sentry_environment = "production"
        api_origins = ["https://API.example.com/"]
        """,
    )
    assert config is not None
    a, b = config.envs["a"], config.envs["b"]
    assert (a.bundle, a.budgets, a.expect.build) == (BundleLimits(), Budgets(), BuildExpect())
    assert a.bundle.max_assets == 200
    assert a.budgets.first_load_js_kb == 250
    assert b.bundle == BundleLimits(max_assets=50, max_bytes_mb=2.5)
    assert b.bundle.max_bytes == 2_500_000
    assert b.budgets == Budgets(first_load_js_kb=170, page_weight_kb=600)
    assert b.expect.build == BuildExpect(
        stripe_mode="live",
        supabase_ref="abcdefghijklmnopqrst",
        sentry_environment="production",
        api_origins=("https://api.example.com",),
    )


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ('[envs.a.expect]\nstripe_mode = "sandbox"', "'stripe_mode' is 'sandbox'. Valid values"),
        ('[envs.a.expect]\nsupabase_ref = "https://x.supabase.co"', "not a Supabase project ref"),
        ('[envs.a.expect]\napi_origins = ["api.example.com"]', "which is not an origin"),
        ("[envs.a.bundle]\nmax_assets = 0", "'max_assets'"),
        ("[envs.a.bundle]\nmax_scripts = 10", "max_scripts"),
        ("[envs.a.budgets]\npage_weight_kb = -1", "'page_weight_kb'"),
    ],
)
def test_mistakes_are_one_paragraph(tmp_path: Path, table: str, expected: str) -> None:
    message = usage_error(tmp_path, f'[envs.a]\nbase_url = "https://a.example.com"\n{table}\n')
    assert expected in message
    assert "\n" not in message.strip()
