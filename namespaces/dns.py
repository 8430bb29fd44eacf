"""/dns namespace."""

from __future__ import annotations

from namespaces.base import AuthedNamespace


class DnsNamespace(AuthedNamespace):
    path = "/dns"
