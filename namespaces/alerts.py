"""/alerts namespace."""

from __future__ import annotations

from namespaces.base import AuthedNamespace


class AlertsNamespace(AuthedNamespace):
    path = "/alerts"
