"""The one JSON decoder for everything a client sends, over REST and over a socket.

orjson parses (it refuses nesting beyond 1024 levels and numbers beyond a double), then one
walk checks what orjson lets through: nesting deeper than MAX_DEPTH, and integers outside the
database's 64-bit signed range. The same text therefore gets the same answer on both doors:

* not JSON, or a number beyond a double (1e400, a 400-digit integer) -> `JsonRefused` with no
  field: `bad_request`;
* too deep -> `JsonRefused` with no field: `bad_request`;
* an integer outside -2**63 .. 2**63-1 (outside -2**31 .. 2**31-1 for a field named `id`,
  `*_id` or `version`: those are 32-bit columns) -> `JsonRefused` naming the field (dotted
  path): `validation_error`. orjson reads integers beyond 2**64 as floats, which a strict integer
  field refuses with `validation_error` naming the field as well.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

MAX_DEPTH = 32
INT_MIN, INT_MAX = -(2**63), 2**63 - 1
OUT_OF_RANGE = f"must be an integer between {INT_MIN} and {INT_MAX}"
# Ids (and record versions) are PostgreSQL `integer` columns: 32-bit signed. A field named
# `id`, `*_id` or `version` is bounded to that range, every other integer to 64 bits.
ID_MIN, ID_MAX = -(2**31), 2**31 - 1
ID_OUT_OF_RANGE = f"must be an id between {ID_MIN} and {ID_MAX}"


def is_id_name(name) -> bool:
    return name.__class__ is str and (name == "id" or name == "version" or name.endswith("_id"))


def out_of_range(name, value: int) -> str | None:
    """The error text when `value` does not fit the column a field of that name maps to."""
    if is_id_name(name):
        return None if ID_MIN <= value <= ID_MAX else ID_OUT_OF_RANGE
    return None if INT_MIN <= value <= INT_MAX else OUT_OF_RANGE


class JsonRefused(ValueError):
    """Client JSON the server will not use; `path` names the offending field, if one."""

    def __init__(self, message: str, path: tuple = ()) -> None:
        super().__init__(message)
        self.message = message
        self.path = path

    def field(self, skip: int = 0) -> str | None:
        """The dotted field name (after dropping `skip` leading path parts), or None."""
        parts = self.path[skip:]
        if not self.path:
            return None
        return ".".join(str(p) for p in parts) or "_root"


def loads(text: str | bytes) -> Any:
    """Decode client JSON; raise JsonRefused (a ValueError) for anything the server refuses."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        reason = str(exc).split(":", 1)[0]
        raise JsonRefused(f"malformed JSON: {reason}") from None
    if _may_refuse(text):
        check(value)
    return value


def _may_refuse(text: str | bytes) -> bool:
    # The walk can only refuse an integer of 10 digits or more (9 fit in 32 bits), or more
    # than MAX_DEPTH nested containers (as many opening brackets). A text with neither, the
    # common packet, skips the walk: two C-speed scans instead of a Python call per value.
    if text.__class__ is not str:
        text = bytes(text).decode("utf-8", "replace")
    if text.count("[") + text.count("{") > MAX_DEPTH:
        return True
    # an integer token of 10 digits or more (not the integer or fraction part of a float: a
    # millisecond timestamp like 1764644854000.5 is a float, which the walk does not check)
    for run in _DIGIT_RUNS.finditer(text):
        start, end = run.span()
        if text[start - 1 : start] != "." and text[end : end + 1] not in _FLOAT_MARKS:
            return True
    return False


# Runs of 10 or more ASCII digits (JSON numbers have no others), each whole: the greedy run
# ends before a non-digit, and the search only starts one after a non-digit or a shorter
# run. Spelt out rather than `[0-9]{10,}`: re's search then skips ahead at C speed to a
# digit (~4x faster on a text without such a run; the lookaround form it replaces was ~15 %
# of the server's CPU per acked echo).
_DIGIT_RUNS = re.compile("[0-9]" * 10 + "+")
_FLOAT_MARKS = frozenset((".", "e", "E"))


def check(value: Any, depth: int = 0, path: tuple = ()) -> None:
    """Raise JsonRefused when `value` nests deeper than MAX_DEPTH or has an int out of range."""
    cls = value.__class__
    if cls is int:
        problem = out_of_range(path[-1] if path else None, value)
        if problem is not None:
            raise JsonRefused(f"{'.'.join(map(str, path)) or 'value'} {problem}", path)
        return
    if cls is dict:
        if depth >= MAX_DEPTH:
            raise JsonRefused(f"JSON nested deeper than {MAX_DEPTH} levels")
        for key, item in value.items():
            if item.__class__ in _NESTED or item.__class__ is int:
                check(item, depth + 1, (*path, key))
        return
    if cls is list:
        if depth >= MAX_DEPTH:
            raise JsonRefused(f"JSON nested deeper than {MAX_DEPTH} levels")
        for index, item in enumerate(value):
            if item.__class__ in _NESTED or item.__class__ is int:
                check(item, depth + 1, (*path, index))


_NESTED = (dict, list)
