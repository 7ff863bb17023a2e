"""``[envs.X.seo]``: whether search engines are meant to index the environment.

Same rules as :mod:`pytest_prodready.config.sections`: a frozen dataclass per table, a parser per
dataclass, every mistake a one-paragraph ``pytest.UsageError``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pytest_prodready.config._table import Table

__all__ = ["SeoSpec", "parse_seo"]

_HOST = re.compile(r"(?=.{1,253}$)[a-z0-9_-]{1,63}(?:\.[a-z0-9_-]{1,63})*(?::[0-9]{1,5})?")


@dataclass(frozen=True)
class SeoSpec:
    """``[envs.X.seo]``.

    ``indexable``: True judges the pages as a production site (no noindex, titles,
    descriptions, robots.txt, sitemap); False expects the environment to keep out of search
    results (``seo.staging-indexable``). Unset (``indexable_setting`` None), a protected
    (production-like) environment is indexable, and any other is not judged at all: a
    staging copy behind an allow-list, or on localhost, cannot be told from one a crawler
    reaches.
    """

    indexable: bool = False
    indexable_setting: bool | None = None
    # Other hosts that are this site's own (www. and the apex, a second domain): a canonical
    # link or sitemap URL on them is not "elsewhere".
    hosts: tuple[str, ...] = ()

    @property
    def judged(self) -> bool:
        """Whether the SEO suite has anything to say about this environment."""
        return self.indexable or self.indexable_setting is False


def parse_seo(t: Table, *, protected: bool) -> SeoSpec:
    setting = t.boolean("indexable", False) if "indexable" in t.data else None
    hosts = t.string_list("hosts", ())
    for host in hosts:
        if not _HOST.fullmatch(host.lower()):
            raise t.error(
                "hosts",
                f"has {host!r}, which is not a host name",
                'Write bare host names (a port if not the default), e.g. "www.example.com".',
            )
    spec = SeoSpec(
        indexable=setting if setting is not None else protected,
        indexable_setting=setting,
        hosts=tuple(h.lower() for h in hosts),
    )
    t.finish()
    return spec
