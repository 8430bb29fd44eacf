"""jsonin skips its walk when the text cannot hold what the walk refuses (`_may_refuse`).

The skip must never let through what the walk would refuse: for any JSON text, `loads`
answers as the walk over the decoded value answers. Texts are built from the pieces that
matter: integers of every length (also next to fraction dots, exponents and as `id`
fields), floats with long integer parts (millisecond timestamps), digits inside strings.
"""

from __future__ import annotations

import json

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from server import jsonin

_ints = st.one_of(
    st.integers(min_value=-(2**64) + 1, max_value=2**64 - 1),
    st.sampled_from([2**31 - 1, 2**31, -(2**31) - 1, 2**63 - 1, 2**63, -(2**63) - 1]),
)
_floats = st.floats(allow_nan=False, allow_infinity=False) | st.builds(
    lambda whole, frac: float(f"{whole}.{frac}"),
    st.integers(min_value=10**9, max_value=10**15),
    st.integers(min_value=0, max_value=999),
)
_leaves = _ints | _floats | st.text(alphabet="0123456789.eE-x", max_size=30) | st.none()
_keys = st.sampled_from(["id", "room_id", "version", "n", "ts", "pad"])
_values = st.recursive(
    _leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=4),
    max_leaves=12,
)


def walk_answer(text: str):
    value = orjson.loads(text)
    try:
        jsonin.check(value)
    except jsonin.JsonRefused as exc:
        return ("refused", exc.message)
    return ("ok", value)


def loads_answer(text: str):
    try:
        return ("ok", jsonin.loads(text))
    except jsonin.JsonRefused as exc:
        return ("refused", exc.message)


@settings(max_examples=400, deadline=None)
@given(_values)
def test_loads_refuses_exactly_what_the_walk_refuses(value):
    text = json.dumps(["event", value], separators=(",", ":"))
    if text.count("[") + text.count("{") > jsonin.MAX_DEPTH:
        return
    assert loads_answer(text) == walk_answer(text)


def test_a_timestamp_float_skips_the_walk_and_a_long_integer_does_not():
    assert not jsonin._may_refuse('["echo",{"n":1,"ts":1764644854000.123,"pad":"xxxx"}]')
    assert not jsonin._may_refuse('["e",{"ts":1764644854000e3,"digits":"12345"}]')
    assert jsonin._may_refuse('["e",{"id":2147483648}]')
    assert jsonin._may_refuse('["e",[1,12345678901]]')
