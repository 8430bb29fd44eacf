"""The Socket.IO namespaces, registered on one AsyncServer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from namespaces.alerts import AlertsNamespace
from namespaces.analytics import AnalyticsNamespace
from namespaces.bench import BenchNamespace
from namespaces.chat import ChatNamespace
from namespaces.checkins import CheckinsNamespace
from namespaces.dns import DnsNamespace

if TYPE_CHECKING:
    from server.runtime import Runtime

NAMESPACES = (AnalyticsNamespace, DnsNamespace, ChatNamespace, CheckinsNamespace, AlertsNamespace)


def register_namespaces(runtime: Runtime) -> None:
    """Each namespace gets the handles it uses from the composition root (server.app)."""
    for cls in NAMESPACES:
        extra = {"presence": runtime.presence} if cls is ChatNamespace else {}
        runtime.sio.register_namespace(cls(cls.path, runtime, **extra))
    if runtime.settings.bench:
        runtime.sio.register_namespace(BenchNamespace(BenchNamespace.path, runtime))
