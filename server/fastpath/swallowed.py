"""Exceptions the fast socket ends a connection on instead of raising: logged once, counted.

The websocket reader and writer must not raise (nothing awaits them: an exception would
only be "never retrieved"), so they close the socket instead. A renamed attribute after an
upgrade would then close every socket with nothing said; here the first occurrence of each
cause (where + exception type) is logged with its traceback, and every occurrence is counted
in /metrics as `roomcast_fastpath_swallowed_errors_total{where, type}`. Nothing runs on the
normal path: this is called only from `except` blocks.
"""

from __future__ import annotations

import logging
from collections import Counter

from prometheus_client.core import CounterMetricFamily

log = logging.getLogger("roomcast.fastpath")

# process-wide, as the sockets are: (where, exception type name) -> occurrences
counts: Counter[tuple[str, str]] = Counter()


def swallowed(where: str, exc: BaseException) -> None:
    key = (where, type(exc).__name__)
    counts[key] += 1
    if counts[key] == 1:
        log.warning(
            "fast socket %s ended a connection on %s (logged once per cause, counted in "
            "roomcast_fastpath_swallowed_errors_total)",
            where,
            key[1],
            exc_info=exc,
        )


class SwallowedCollector:
    """Exposes `counts` to a prometheus registry at scrape time."""

    def collect(self):
        family = CounterMetricFamily(
            "roomcast_fastpath_swallowed_errors",
            "Exceptions the fast socket closed a connection on, by where and exception type",
            labels=["where", "type"],
        )
        for (where, name), n in sorted(counts.items()):
            family.add_metric([where, name], n)
        yield family
