"""The use cases: one function each, reached through both doors (REST and socket).

An action takes the handles it needs (the Runtime, handed down by the composition root),
the acting `core.identity.Identity` and an already validated request; it calls the
services (models), broadcasts, and returns the reply object. Doors parse, call one action
and render (docs/architecture.md).
"""

from actions import alerts, billing, chat, checkins, dns, users
from actions.registry import ACTIONS, action, door, door_of

__all__ = ["ACTIONS", "action", "alerts", "billing", "chat", "checkins", "dns", "door", "door_of"]
__all__ += ["users"]
