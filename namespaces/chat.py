"""/chat namespace."""

from __future__ import annotations

from namespaces.base import AuthedNamespace


class ChatNamespace(AuthedNamespace):
    path = "/chat"
    allow_guests = True
