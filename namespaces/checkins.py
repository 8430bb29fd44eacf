"""/checkins namespace."""

from __future__ import annotations

from namespaces.base import AuthedNamespace


class CheckinsNamespace(AuthedNamespace):
    path = "/checkins"
