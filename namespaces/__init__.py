"""The Socket.IO namespaces, registered on one AsyncServer."""

from __future__ import annotations

from namespaces.alerts import AlertsNamespace
from namespaces.analytics import AnalyticsNamespace
from namespaces.bench import BenchNamespace
from namespaces.chat import ChatNamespace
from namespaces.checkins import CheckinsNamespace
from namespaces.dns import DnsNamespace
from server.runtime import Runtime

NAMESPACES = (AnalyticsNamespace, DnsNamespace, ChatNamespace, CheckinsNamespace, AlertsNamespace)


def register_namespaces(runtime: Runtime) -> None:
    for cls in NAMESPACES:
        runtime.sio.register_namespace(cls(cls.path, runtime))
    if runtime.settings.bench:
        runtime.sio.register_namespace(BenchNamespace(BenchNamespace.path, runtime))
