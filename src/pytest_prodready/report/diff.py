"""Environment drift: what one environment's run found that another's did not.

    prodready-diff staging.json prod.json [--html drift.html]
    python -m pytest_prodready.report.diff staging.json prod.json

Compares two JSON summaries (``--prodready-json``): findings present in only one of them
(by id and path) and the security-relevant header values that differ per path, e.g.
staging sends HSTS and prod does not. Exit status: 0 when B has no finding A lacks, 1 when
it has (B regressed), 2 for unreadable input.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pytest_prodready.report.summary import SCHEMA_VERSION

__all__ = ["Drift", "compare", "main"]

ABSENT = "(absent)"


class InputError(Exception):
    """A summary file that cannot be compared (missing, not JSON, another schema)."""


def load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such file (write one with --prodready-json)") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not a readable JSON summary ({exc})") from None
    if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
        found = data.get("schema_version") if isinstance(data, dict) else type(data).__name__
        raise InputError(
            f"{path}: not a pytest-prodready summary of schema version {SCHEMA_VERSION} "
            f"(found {found})"
        )
    return data


def _keys(summary: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    keyed: dict[tuple[str, str], dict[str, Any]] = {}
    for finding in summary["findings"]:
        path = urlsplit(finding["url"]).path if finding["url"] else finding["test"]
        keyed.setdefault((finding["id"], path or "/"), finding)
    return keyed


class Drift:
    """The differences between run A and run B."""

    def __init__(self, a: dict[str, Any], b: dict[str, Any]) -> None:
        self.a_name, self.b_name = a["env"]["name"], b["env"]["name"]
        ka, kb = _keys(a), _keys(b)
        self.only_a = sorted(set(ka) - set(kb))
        self.only_b = sorted(set(kb) - set(ka))
        self.severity = {
            **{k: v["severity"] for k, v in ka.items()},
            **{k: v["severity"] for k, v in kb.items()},
        }
        self.headers: list[tuple[str, str, str, str]] = []
        for path in sorted(set(a["headers"]) & set(b["headers"])):
            ha, hb = a["headers"][path], b["headers"][path]
            for name in sorted(set(ha) | set(hb)):
                va, vb = ha.get(name, ABSENT), hb.get(name, ABSENT)
                if va != vb:
                    self.headers.append((path, name, va, vb))

    @property
    def regressed(self) -> bool:
        return bool(self.only_b)

    def render(self) -> str:
        lines = [f"prodready drift: A = {self.a_name!r}, B = {self.b_name!r}"]

        def table(title: str, rows: Sequence[tuple[str, ...]], head: tuple[str, ...]) -> None:
            lines.append("")
            lines.append(f"{title}: {len(rows) or 'none'}")
            if not rows:
                return
            widths = [min(60, max(len(r[i]) for r in [head, *rows])) for i in range(len(head))]
            for row in [head, *rows]:
                cells = [c if len(c) <= 60 else c[:59] + "…" for c in row]
                lines.append(
                    "  "
                    + "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()
                )

        table(
            f"findings only in B ({self.b_name})",
            [(self.severity[k], *k) for k in self.only_b],
            ("severity", "id", "path"),
        )
        table(
            f"findings only in A ({self.a_name})",
            [(self.severity[k], *k) for k in self.only_a],
            ("severity", "id", "path"),
        )
        table(
            "security headers that differ",
            self.headers,
            ("path", "header", f"A ({self.a_name})", f"B ({self.b_name})"),
        )
        return "\n".join(lines)


def compare(a: dict[str, Any], b: dict[str, Any]) -> Drift:
    return Drift(a, b)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="prodready-diff", description="Compare two pytest-prodready JSON summaries."
    )
    parser.add_argument("a", type=Path, help="the reference run, e.g. staging.json")
    parser.add_argument("b", type=Path, help="the run to judge, e.g. prod.json")
    parser.add_argument(
        "--html",
        type=Path,
        metavar="PATH",
        help="also write B's dashboard, with what B has that A has not as new",
    )
    args = parser.parse_args(argv)
    try:
        a, b = load(args.a), load(args.b)
        drift = compare(a, b)
    except InputError as exc:
        print(f"prodready-diff: {exc}", file=sys.stderr)
        return 2
    print(drift.render())
    if args.html:
        from pytest_prodready.report import dashboard, history

        args.html.parent.mkdir(parents=True, exist_ok=True)
        page = dashboard.render(b, runs=[a, b], drift=history.drift(a, b))
        args.html.write_text(page, encoding="utf-8")
    return 1 if drift.regressed else 0


if __name__ == "__main__":
    sys.exit(main())
