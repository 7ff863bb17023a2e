"""The README is one screen that points into the documentation site; every link resolves."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from pytest_prodready.config import load_config
from pytest_prodready.core.catalogue import catalogue

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES = sorted([README, *DOCS.glob("*.md")])

LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^\s*```.*?^\s*```", re.MULTILINE | re.DOTALL)


def _slug(heading: str) -> str:
    """A heading's anchor as Python-Markdown's toc extension (MkDocs) makes it."""
    text = re.sub(r"<[^>]+>", "", heading).replace("`", "")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def _prose(path: Path) -> str:
    return FENCE.sub("", path.read_text(encoding="utf-8"))


def anchors(path: Path) -> set[str]:
    text = _prose(path)
    explicit = set(re.findall(r'\bid="([^"]+)"', text))
    headings = {_slug(h) for h in re.findall(r"^#{1,6} (.+)$", text, re.MULTILINE)}
    return explicit | headings


def test_the_readme_is_one_screen() -> None:
    assert README.stat().st_size < 12 * 1024


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves_to_a_file_and_anchor(page: Path) -> None:
    broken = []
    for target in LINK.findall(_prose(page)):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):
            continue  # absolute URL or mailto:
        file_part, _, anchor = target.partition("#")
        where = (page.parent / file_part).resolve() if file_part else page
        if not where.exists():
            broken.append(f"{target}: no file {where}")
        elif anchor and where.suffix == ".md" and anchor not in anchors(where):
            broken.append(f"{target}: no anchor #{anchor} in {where.name}")
    assert not broken, broken


def test_every_docs_page_is_in_the_site_nav() -> None:
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8").split("\nnav:", 1)[1]
    listed = set(re.findall(r":\s*(\S+\.md)\s*$", nav, re.MULTILINE))
    assert listed == {p.name for p in DOCS.glob("*.md")}


def test_every_finding_id_has_its_anchor_on_the_findings_page() -> None:
    assert set(catalogue()) <= anchors(DOCS / "findings.md")


def test_the_readme_config_loads_as_written(tmp_path: Path) -> None:
    text = README.read_text(encoding="utf-8")
    example = text.split("```toml\n", 1)[1].split("```", 1)[0]
    assert len(example.strip().splitlines()) <= 10
    path = tmp_path / "prodready.toml"
    path.write_text(example, encoding="utf-8")
    config = load_config(path, "test", known_ids=catalogue())
    assert config is not None
    assert config.default_env == "staging"
    assert set(config.envs) == {"prod", "staging"}


def test_the_configuration_reference_is_current() -> None:
    from tests import config_reference

    text = config_reference.PAGE.read_text(encoding="utf-8")
    assert config_reference.START in text, "docs/reference.md lacks its generated block"
    assert config_reference.replace(text) == text, (
        "regenerate: python -m tests.config_reference --write"
    )


def test_the_configuration_reference_lists_the_tables_and_keys_the_docs_use() -> None:
    text = (DOCS / "reference.md").read_text(encoding="utf-8")
    for table in ("[envs.NAME]", "[[envs.NAME.accept]]", "[envs.NAME.load]", "[envs.NAME.expect]"):
        assert f"### `{table}`" in text
    for key in ("base_url", "timeout_s", "hsts_min_age", "password_secret", "p95_ms"):
        assert f"| `{key}` |" in text
