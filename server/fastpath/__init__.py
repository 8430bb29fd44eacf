"""Fast paths for python-socketio / python-engineio (see docs/performance.md).

Everything that reaches into python-socketio or python-engineio internals lives in this
package, so an upgrade has one place to review. The internals used are those of the pinned
versions below; importing with any other version fails loudly instead of misbehaving.
"""

from __future__ import annotations

from importlib.metadata import version

_PINNED = {"python-socketio": ("5.18.",), "python-engineio": ("4.15.",)}

for _dist, _prefixes in _PINNED.items():
    _found = version(_dist)
    if not _found.startswith(_prefixes):
        raise ImportError(
            f"server.fastpath is written against {_dist} {' / '.join(_prefixes)}x internals, "
            f"found {_found}; review server/fastpath/ before changing the pin in pyproject.toml"
        )

from server.fastpath.managers import FastManager, FastRedisManager  # noqa: E402
from server.fastpath.server import FastAsyncServer  # noqa: E402

__all__ = ["FastAsyncServer", "FastManager", "FastRedisManager"]
