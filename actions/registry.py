"""The registry of use cases and of the doors (REST handlers, socket events) that reach them.

`@action` names a use case after its module and function (`dns.create_record`). A door
declares the one action it adapts with `@door(action)`; tests/test_doors.py enumerates every
REST route and socket event and checks that each one that changes something is declared,
and that the adapter calls the very action it declares.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

F = TypeVar("F", bound=Callable[..., Any])
ACTIONS: dict[str, Callable[..., Awaitable[Any]]] = {}


class Handles(Protocol):
    """What an action needs from the process, handed down by the composition root (Runtime)."""

    sio: Any  # the AsyncServer: broadcasts go through its manager to every node
    analytics: Any  # the StatsCoalescer of this process
    control: Any  # cross-node kicks

    async def handed_to_bus(self, timeout: float = 2.0) -> bool: ...


def action(fn: F) -> F:
    """Register a use case under `<module>.<function>`."""
    name = f"{fn.__module__.rsplit('.', 1)[-1]}.{fn.__name__}"
    if name in ACTIONS:
        raise RuntimeError(f"action {name} registered twice")
    fn.action_name = name  # type: ignore[attr-defined]
    ACTIONS[name] = fn
    return fn


def door(target: Callable[..., Any]) -> Callable[[F], F]:
    """Mark a REST handler or a socket handler as an adapter over the action `target`."""
    name = getattr(target, "action_name", None)
    if name is None:
        raise TypeError(f"{target!r} is not a registered action")

    def mark(adapter: F) -> F:
        adapter.door_of = name  # type: ignore[attr-defined]
        return adapter

    return mark


def door_of(handler: Callable[..., Any]) -> str | None:
    """The action a (possibly decorated) handler is a door of, if any."""
    seen = handler
    while seen is not None:
        name = getattr(seen, "door_of", None)
        if name is not None:
            return name
        seen = getattr(seen, "__wrapped__", None)
    return None
