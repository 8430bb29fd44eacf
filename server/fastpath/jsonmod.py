"""A JSON module for python-socketio/engineio backed by orjson, with the stdlib as fallback.

python-socketio calls `json.dumps(data, separators=(",", ":"))` and `json.loads(text)` and
expects a str from dumps. orjson is 5-10x faster on both. Where orjson refuses something the
standard library accepts (integers beyond 64 bits, NaN/Infinity, a subclass it cannot
serialise) we fall back to engineio's own json module, so nothing that worked before fails.
Decoding is `server.jsonin.loads`, the one decoder for REST bodies and socket packets: the
same text gets the same answer on both doors (depth limit, 64-bit signed integers).
"""

from __future__ import annotations

from typing import Any

import orjson
from engineio import json as _stdlib_json

from server import jsonin

_OPTIONS = orjson.OPT_NON_STR_KEYS
_COMPACT = (",", ":")


def dumps(obj: Any, *args: Any, **kwargs: Any) -> str:
    # socketio asks for compact separators, which is orjson's only output form
    if (
        not args
        and set(kwargs) <= {"separators"}
        and kwargs.get("separators", _COMPACT) == _COMPACT
    ):
        try:
            return orjson.dumps(obj, option=_OPTIONS).decode()
        except TypeError:
            pass
    return _stdlib_json.dumps(obj, *args, **kwargs)


def loads(text: str | bytes, *args: Any, **kwargs: Any) -> Any:
    # Decoding is client input: the one decoder of both doors (server/jsonin.py) with its
    # depth and integer bounds. No stdlib fallback: it recurses without limit (RecursionError
    # on deep nesting) and accepts NaN, which JSON does not.
    return jsonin.loads(text)


# python-socketio's AsyncPubSubManager catches any exception from loads; the engine's
# packet decoder catches ValueError, which orjson.JSONDecodeError and the stdlib error both are.
JSONDecodeError = ValueError
