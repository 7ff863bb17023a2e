"""JavaScript regular expressions (as retire.js writes its extractors) for Python's ``re``.

retire.js compiles its patterns with ``new RegExp(source)``: no flags, so JavaScript's
non-Unicode syntax. Where Python reads the same source differently, the source is rewritten:

- an escaped letter JavaScript does not know is that letter (``\\e`` is ``e``), and ``\\/``
  is ``/``; Python rejects the first and ``\\A``/``\\Z`` mean anchors there;
- ``$`` is the end of the input (Python's also matches before a final newline);
- ``{`` that does not start a ``{n}``, ``{n,}`` or ``{n,m}`` quantifier is a literal (Python
  reads ``{,5}`` as one);
- ``(?<name>`` and ``\\k<name>`` are Python's ``(?P<name>`` and ``(?P=name)``;
- ``[^]`` is any character, ``[]`` none; a ``[`` or a doubled ``-&~|`` inside a class is
  escaped (Python warns of set operations to come);
- a lookbehind of variable width (``(?<=[0-9]{1,2}\\.)``) becomes the alternatives of each
  fixed width it can take: Python's lookbehinds are fixed-width.

``\\d``, ``\\w`` and ``\\b`` are ASCII in JavaScript: patterns are compiled with ``re.ASCII``
(JavaScript's ``\\s`` also takes Unicode spaces; no extractor depends on that).
"""

from __future__ import annotations

import itertools
import re

__all__ = ["compile_js", "translate"]

_JS_ESCAPES = set("dDwWsSbBfnrtv")
_QUANTIFIER = re.compile(r"\{\d+(?:,\d*)?\}")
_NAMED_REF = re.compile(r"k<([A-Za-z_]\w*)>")
_BOUNDED = re.compile(r"\{(\d+)(?:,(\d+))?\}|\?")
# A quantifier after an atom: ?, *, + or {m,n} (group 2: m), lazy or not.
_QUANTIFIED = re.compile(r"(?:([?*+])|\{(\d+)(?:,\d*)?\})\??")
# More alternatives than this and a lookbehind is left as it is (and the pattern fails).
_MAX_WIDTHS = 256


def _escape(source: str, i: int, in_class: bool) -> tuple[str, int]:
    """The Python spelling of the JavaScript escape at ``source[i]`` (a backslash), and the
    index after it."""
    if i + 1 >= len(source):
        return "\\\\", i + 1
    c = source[i + 1]
    if c.isascii() and c.isalpha():
        if c in _JS_ESCAPES:
            return "\\" + c, i + 2
        if c == "x" and re.fullmatch(r"[0-9A-Fa-f]{2}", source[i + 2 : i + 4]):
            return source[i : i + 4], i + 4
        if c == "u" and re.fullmatch(r"[0-9A-Fa-f]{4}", source[i + 2 : i + 6]):
            return source[i : i + 6], i + 6
        if c == "c" and i + 2 < len(source) and source[i + 2].isascii() and source[i + 2].isalpha():
            return re.escape(chr(ord(source[i + 2]) % 32)), i + 3
        named = _NAMED_REF.match(source, i + 1)
        if c == "k" and named and not in_class:
            return f"(?P={named.group(1)})", named.end()
        return c, i + 2  # identity escape: the letter itself
    if c == "0" and not (i + 2 < len(source) and source[i + 2].isdigit()):
        return "\\x00", i + 2
    if c.isdigit() and in_class:
        return re.escape(chr(int(c, 8))) if c < "8" else c, i + 2
    if c == "/":
        return "/", i + 2
    return "\\" + c, i + 2


def _char_class(source: str, i: int) -> tuple[str, int]:
    """The class starting at ``source[i]`` (``[``) in Python's spelling, and the index after."""
    j = i + 1
    negated = source.startswith("^", j)
    if negated:
        j += 1
    if source.startswith("]", j):  # JavaScript: [] matches nothing, [^] anything
        return ("[\\s\\S]" if negated else "(?!)"), j + 1
    out = ["[^" if negated else "["]
    previous = ""
    while j < len(source) and source[j] != "]":
        c = source[j]
        if c == "\\":
            piece, j = _escape(source, j, in_class=True)
        else:
            piece = "\\" + c if c == "[" or (c in "-&~|" and previous == c) else c
            j += 1
        out.append(piece)
        previous = c
    return "".join(out) + "]", j + 1


def translate(source: str) -> str:
    """The Python ``re`` source matching what ``new RegExp(source)`` matches."""
    out: list[str] = []
    i = 0
    while i < len(source):
        c = source[i]
        if c == "\\":
            piece, i = _escape(source, i, in_class=False)
        elif c == "[":
            piece, i = _char_class(source, i)
        elif c == "$":
            piece, i = "\\Z", i + 1
        elif c == "{":
            quantifier = _QUANTIFIER.match(source, i)
            piece = quantifier.group(0) if quantifier else "\\{"
            i = quantifier.end() if quantifier else i + 1
        elif source.startswith("(?<", i) and not source.startswith(("(?<=", "(?<!"), i):
            piece, i = "(?P<", i + 3
        else:
            piece, i = c, i + 1
        out.append(piece)
    return "".join(out)


def _atoms(body: str) -> list[tuple[str, int, int]] | None:
    """``body`` as (atom, least, most) repetitions, or None when it holds a group or an
    alternation (not expanded)."""
    atoms: list[tuple[str, int, int]] = []
    i = 0
    while i < len(body):
        c = body[i]
        if c in "()|*+":
            return None
        if c == "\\":
            end = i + {"x": 4, "u": 6}.get(body[i + 1 : i + 2], 2)  # \xHH, \uHHHH, \.
        elif c == "[":
            end = i + 1
            while end < len(body) and body[end] != "]":
                end += 2 if body[end] == "\\" else 1
            end += 1
        else:
            end = i + 1
        atom, i = body[i:end], end
        bound = _BOUNDED.match(body, i)
        if bound:
            i = bound.end()
            if bound.group(0) == "?":
                least, most = 0, 1
            else:
                least = int(bound.group(1))
                most = int(bound.group(2)) if bound.group(2) else least
            if bound.group(0).endswith(",}"):
                return None
            atoms.append((atom, least, most))
        else:
            atoms.append((atom, 1, 1))
    return atoms


def _fixed_widths(source: str) -> str:
    """``source`` with each variable-width lookbehind spelled as its fixed-width alternatives."""
    out: list[str] = []
    i = 0
    while i < len(source):
        if not source.startswith(("(?<=", "(?<!"), i) or (i and source[i - 1] == "\\"):
            out.append(source[i])
            i += 1
            continue
        depth, j = 1, i + 4
        while j < len(source) and depth:
            if source[j] == "\\":
                j += 2
                continue
            depth += {"(": 1, ")": -1}.get(source[j], 0)
            j += 1
        body, kind = source[i + 4 : j - 1], source[i : i + 4]
        atoms = _atoms(body)
        counts = [range(least, most + 1) for _, least, most in atoms or []]
        total = 1
        for choice in counts:
            total *= len(choice)
        if atoms is None or total > _MAX_WIDTHS:
            out.append(source[i:j])
        else:
            spelled = [
                kind + "".join(atom * n for (atom, _, _), n in zip(atoms, pick, strict=True)) + ")"
                for pick in itertools.product(*counts)
            ]
            # Positive: any of the widths; negative: none of them.
            out.append("(?:" + "|".join(spelled) + ")" if kind == "(?<=" else "".join(spelled))
        i = j
    return "".join(out)


def compile_js(source: str) -> re.Pattern[str]:
    """``new RegExp(source)`` as a compiled Python pattern; ``re.error`` when it has no
    Python equivalent."""
    python = translate(source)
    try:
        return re.compile(python, re.ASCII)
    except re.error as exc:
        if "look-behind" not in str(exc):
            raise
        return re.compile(_fixed_widths(python), re.ASCII)


def required_literal(python: str) -> str:
    """The longest run of plain characters every match of the Python pattern ``python``
    contains ("" when there is none, or an alternation at the top), so a text without it
    can be skipped by a substring test: much faster than the regex engine's own scan."""
    runs: list[str] = []
    run: list[str] = []

    def cut() -> None:
        if run:
            runs.append("".join(run))
            run.clear()

    depth, i = 0, 0
    while i < len(python):
        c = python[i]
        if c == "\\" and i + 1 < len(python):
            nxt = python[i + 1]
            literal = None if nxt.isalnum() else nxt
            i += 2
        elif c == "[":
            j = i + 1
            while j < len(python) and (python[j] != "]" or j == i + 1):
                j += 2 if python[j] == "\\" else 1
            literal, i = None, j + 1
        elif c in "()":
            depth += 1 if c == "(" else -1
            literal, i = None, i + 1
        elif c == "|" and depth == 0:
            return ""
        else:
            literal = None if c in ".^$|" else c
            i += 1
        quantifier = _QUANTIFIED.match(python, i)
        if quantifier:
            i = quantifier.end()
        # One occurrence at least (none, +, {m,n} with m > 0): the character is in every
        # match, and the run ends after it.
        if quantifier is None:
            required = True
        elif quantifier.group(1):
            required = quantifier.group(1) == "+"
        else:
            required = int(quantifier.group(2)) > 0
        if depth or literal is None or not required:
            cut()
            continue
        run.append(literal)
        if quantifier:
            cut()
    cut()
    return max(runs, key=len, default="")
