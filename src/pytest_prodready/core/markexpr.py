"""pytest's own ``-m`` grammar, behind one door: the one use of its private API."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection

__all__ = ["may_select", "selects"]


def selects(markexpr: str, marks: Collection[str]) -> bool | None:
    """Whether a test carrying exactly ``marks`` passes ``-m markexpr``.

    None when this pytest cannot tell: its private grammar moved, or the expression is
    invalid (pytest reports that itself). Each caller picks its own safe fallback.
    """
    try:
        from _pytest.mark.expression import Expression

        compiled = Expression.compile(markexpr)
    except Exception:
        return None
    return bool(compiled.evaluate(_carrying(frozenset(marks))))


def may_select(markexpr: str, marks: Collection[str], added: Collection[str] = ()) -> bool:
    """Whether a test carrying ``marks``, and any of ``added`` the run may give it, can pass
    ``-m markexpr``: False only when certain (no combination passes, each one evaluated)."""
    extras = sorted(set(added))
    combinations = itertools.chain.from_iterable(
        itertools.combinations(extras, n) for n in range(len(extras) + 1)
    )
    return any(selects(markexpr, {*marks, *extra}) is not False for extra in combinations)


def _carrying(marks: frozenset[str]) -> Callable[..., bool]:
    def matcher(name: str, /, **_: str | int | bool | None) -> bool:
        return name in marks

    return matcher
