"""Fast paths for python-socketio / python-engineio (see docs/performance.md).

Everything that reaches into python-socketio, python-engineio, uvicorn or websockets
internals lives in this package, so an upgrade has one place to review. The internals used
are those of the exact versions below (pinned with `==` in pyproject.toml); importing with
any other version fails loudly, naming the files that carry the copies and the private
names to review, instead of misbehaving.
"""

from __future__ import annotations

from importlib.metadata import version

# distribution -> (the version reviewed, the files that depend on its internals)
REVIEWED = {
    "python-socketio": (
        "5.18.1",
        "server/fastpath/server.py, delivery.py, managers.py, redis_pubsub.py",
    ),
    "python-engineio": (
        "4.15.1",
        "server/fastpath/socket.py, protocol.py, server.py (copies of AsyncSocket methods)",
    ),
    "uvicorn": (
        "0.54.0",
        "server/fastpath/wsdirect.py, wsflush.py (write into its sansio protocol), "
        "wsreceive.py (subclasses it: data_received, queue, read pausing)",
    ),
    "websockets": (
        "17.4",
        "server/fastpath/wsdirect.py (websockets.protocol.State), "
        "wsreceive.py (the parser's state, speedups.apply_mask)",
    ),
}


def check_versions(found=version) -> None:
    """Raise ImportError when an installed version is not the one the fast path was read against."""
    for dist, (reviewed, files) in REVIEWED.items():
        installed = found(dist)
        if installed != reviewed:
            raise ImportError(
                f"server.fastpath was reviewed against {dist} {reviewed}, found {installed}: "
                f"review {files} against the new version (docs/conformance.md, 'Upgrading'), "
                "then change REVIEWED in server/fastpath/__init__.py and the pin in "
                "pyproject.toml"
            )


check_versions()

from server.fastpath.managers import FastManager, FastRedisManager  # noqa: E402
from server.fastpath.server import FastAsyncServer  # noqa: E402

__all__ = ["FastAsyncServer", "FastManager", "FastRedisManager"]
