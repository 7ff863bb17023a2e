"""The table of verdicts on real stacks (docs/verdicts.md) is the one the ledgers give."""

from __future__ import annotations

from tests.field import table


def test_readme_table_is_current() -> None:
    text = table.PAGE.read_text(encoding="utf-8")
    assert table.START in text, "docs/verdicts.md lacks the field bed's table markers"
    assert table.replace(text) == text, "regenerate: python -m tests.field.table --write"


def test_every_stack_declares_some_alarm_in_each_group_it_lists() -> None:
    for name in table.STACKS:
        rows = table._rows(name)
        assert rows, f"{name} declares no group"
        assert all(int(row.split("|")[3]) > 0 for row in rows), rows
