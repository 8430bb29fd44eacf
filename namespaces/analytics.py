"""/analytics namespace."""

from __future__ import annotations

from namespaces.base import AuthedNamespace


class AnalyticsNamespace(AuthedNamespace):
    path = "/analytics"
