"""Both doors reach the same action: every REST route and socket event that changes
something is declared as the door of one registered action, and really calls that action.

A side effect (a broadcast, an audit line, a metric) therefore lives in the action and cannot
be added to one door only. Reads and socket-session events are listed here by name, with the
reason they are not actions; a new mutating route or event fails until it is declared.
"""

from __future__ import annotations

import ast
import inspect
import textwrap

import pytest

import actions
from actions.registry import ACTIONS, door_of
from namespaces import NAMESPACES
from server.api import V1_BLUEPRINTS, dashboard, docs, health

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
# A login session's tokens and cookies: REST by nature, nothing a socket can do.
SESSION_ROUTES = {
    "POST /auth/register",
    "POST /auth/login",
    "POST /auth/refresh",
    "POST /auth/logout",
    "POST /auth/ws-token",
}
# Socket events that store nothing: the connection's own lifecycle and rooms, reads
# answered as the ack, and the ephemeral `typing`.
SOCKET_NON_ACTIONS = {
    "connect": "lifecycle",
    "disconnect": "lifecycle",
    "ping": "lifecycle",
    "refresh_token": "the socket's own session",
    "recover": "replay of missed events to this socket",
    "subscribe": "this socket's rooms",
    "unsubscribe": "this socket's rooms",
    "subscribe_to_updates": "kept for older clients; changes nothing",
    "join": "this socket's rooms and presence (not stored)",
    "leave": "this socket's rooms and presence (not stored)",
    "typing": "ephemeral, to the room only, never stored",
    "refresh": "read",
    "history": "read",
    "get_unread_count": "read",
}


def rest_routes():
    for bp in [*V1_BLUEPRINTS, health.bp, dashboard.bp, docs.bp]:
        for route in bp._future_routes:
            for method in route.methods:
                path = f"{bp.url_prefix or ''}{route.uri}"
                yield f"{method} {path}", method, route.handler


def socket_events():
    for cls in NAMESPACES:
        for name in sorted(dir(cls)):
            if name.startswith("on_"):
                yield f"{cls.path} {name[3:]}", name[3:], getattr(cls, name)


def called_actions(handler) -> list[str]:
    """The registered actions an adapter's body calls, resolved in its own module."""
    func = inspect.unwrap(handler)
    tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        target = _resolve(node.func, func.__globals__)
        name = getattr(target, "action_name", None)
        if name is not None and ACTIONS.get(name) is target:
            found.append(name)
    return found


def _resolve(expr: ast.expr, namespace: dict):
    if isinstance(expr, ast.Name):
        return namespace.get(expr.id)
    if isinstance(expr, ast.Attribute):
        owner = _resolve(expr.value, namespace)
        return getattr(owner, expr.attr, None) if owner is not None else None
    return None


def test_every_mutating_route_is_the_door_of_one_action():
    undeclared = [
        key
        for key, method, handler in rest_routes()
        if method in MUTATING and key not in SESSION_ROUTES and door_of(handler) is None
    ]
    assert undeclared == []


def test_every_socket_event_is_an_action_door_or_named_as_not_one():
    undeclared = [
        key
        for key, event, handler in socket_events()
        if door_of(handler) is None and event not in SOCKET_NON_ACTIONS
    ]
    assert undeclared == []


@pytest.mark.parametrize(
    "key, handler",
    [(k, h) for k, _m, h in rest_routes() if door_of(h)]
    + [(k, h) for k, _e, h in socket_events() if door_of(h)],
)
def test_each_door_calls_exactly_the_action_it_declares(key, handler):
    assert called_actions(handler) == [door_of(handler)], key


@pytest.mark.parametrize(
    "key, handler",
    [(k, h) for k, _m, h in rest_routes() if door_of(h)]
    + [(k, h) for k, _e, h in socket_events() if door_of(h)],
)
def test_no_door_broadcasts_on_its_own(key, handler):
    source = textwrap.dedent(inspect.getsource(inspect.unwrap(handler)))
    names = {node.id for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Name)}
    assert not names & {"broadcast", "stream_emit"}, key


def test_a_change_made_over_a_socket_is_the_same_action_as_over_rest():
    rest = {door_of(h) for _k, _m, h in rest_routes()} - {None}
    socket = {door_of(h) for _k, _e, h in socket_events()} - {None}
    assert socket, "no socket door found"
    assert socket <= rest, f"socket-only changes: {sorted(socket - rest)}"


def test_every_registered_action_has_a_door():
    reached = {door_of(h) for _k, _m, h in rest_routes()} | {
        door_of(h) for _k, _e, h in socket_events()
    }
    assert set(ACTIONS) - reached == set()
    assert actions.ACTIONS is ACTIONS
