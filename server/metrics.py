"""Prometheus metrics of one server process, in a registry of its own."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from server.fastpath.swallowed import SwallowedCollector


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.sockets = Gauge(
            "roomcast_sockets_connected",
            "Sockets connected to this process, by namespace",
            ["namespace"],
            registry=self.registry,
        )
        self.events = Counter(
            "roomcast_socket_events",
            "Socket events handled, by namespace, event and outcome (ok or an error code)",
            ["namespace", "event", "outcome"],
            registry=self.registry,
        )
        self.http = Counter(
            "roomcast_http_requests",
            "HTTP requests, by route and status",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.http_latency = Histogram(
            "roomcast_http_request_seconds",
            "HTTP request duration, by route",
            ["route"],
            registry=self.registry,
        )
        self.auth_refusals = Counter(
            "roomcast_auth_refusals",
            "Refused authentications, by where (rest or socket) and reason",
            ["where", "reason"],
            registry=self.registry,
        )

        self.limit_disconnects = Counter(
            "roomcast_limit_disconnects",
            "Connections cut by a resource bound, by reason (slow_consumer, invalid_packets, ...)",
            ["reason"],
            registry=self.registry,
        )
        self.malformed_packets = Counter(
            "roomcast_malformed_packets",
            "Malformed socket packets, by outcome (answered with an error ack, or dropped)",
            ["outcome"],
            registry=self.registry,
        )

        self.registry.register(SwallowedCollector())
        # labels() builds and checks its key and takes a lock on every call; a request
        # needs two of them. The children never change once made (no label set is ever
        # removed), so they are kept here by route, method and status, a set as bounded as
        # the routes and the status codes the app answers with.
        self._http_children: dict[tuple[str | None, str, int], tuple[Any, Any]] = {}

    def count_http(self, route: str | None, method: str, status: int, seconds: float | None):
        """One answered request: `route` is the matched route's path (None: unmatched)."""
        key = (route, method, status)
        children = self._http_children.get(key)
        if children is None:
            label = "/" + route.lstrip("/") if route is not None else "/unmatched"
            children = (
                self.http.labels(label, method, str(status)),
                self.http_latency.labels(label),
            )
            self._http_children[key] = children
        children[0].inc()
        if seconds is not None:
            children[1].observe(seconds)

    def watch_bus(self, manager) -> None:
        """Export the bus manager's outbox and counters (server/fastpath/redis_stream.py)."""
        self.registry.register(_BusCollector(manager))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _BusCollector:
    def __init__(self, manager) -> None:
        self.manager = manager

    def describe(self):
        return []

    def collect(self):
        outbox, stats = self.manager.outbox, self.manager.bus_stats
        yield GaugeMetricFamily(
            "roomcast_bus_outbox_messages", "Messages waiting for Redis", value=len(outbox)
        )
        yield GaugeMetricFamily(
            "roomcast_bus_outbox_bytes", "Bytes waiting for Redis", value=outbox.bytes
        )
        counters = {
            "dropped": ("Messages refused by the full outbox (never sent)", outbox.dropped),
            "written": ("Messages written to the stream", outbox.written),
            "duplicates": ("Entries dropped as already seen", stats.duplicates),
            "gaps": ("Sequence gaps seen (messages lost inside Redis)", stats.gaps),
            "redis_restarts": ("Redis restarts detected", stats.restarts),
            "write_errors": ("Failed stream writes (retried)", stats.write_errors),
            "read_errors": ("Failed stream reads (resumed)", stats.read_errors),
            "skipped": ("Entries skipped undecoded: room not held here", stats.skipped),
        }
        for name, (help_text, value) in counters.items():
            yield CounterMetricFamily(f"roomcast_bus_{name}", help_text, value=value)
