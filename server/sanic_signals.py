"""Sanic without the cost of the HTTP signals nobody listens to.

Sanic dispatches ~11 built-in `http.*` signals per request (`http.lifecycle.request`,
`.handle`, `.response`, `http.routing.before/after`, `http.handler.before/after`,
`http.middleware.before/after` around each middleware). With no handler registered, each one
still formats the event, searches the signal router, raises and catches two `NotFound` and
returns None: about a third of the CPU of `GET /health` (benchmarks/RESULTS.md, "p1, HTTP
floor (session 5)").

Sanic's own remedy is TouchUp (`config.TOUCHUP`), which rewrites the methods of the `Sanic`
class from their source at start-up and drops those dispatch calls. It is off here: it
rewrites a class every app of the process shares (a second app, as in the tests, runs on the
first one's rewrite) and it compiles ASTs at start-up. This does the same per app: an inline
dispatch of a reserved `http.*` event that no signal of this app is registered for returns
None at once, which is what Sanic's dispatch returns for it (no handler, no waiter, and with
`allow_fail_builtin` off no `NotFound`). The rule for "registered" is TouchUp's own
(`sanic.touchup.schemes.ode.RemoveDispatch`): the event's name, or a dynamic signal in its
namespace. It is recomputed whenever the signal router was finalized again (an app can add
signals until it starts, `amend()` and `event()` with auto-registration re-finalize).
"""

from __future__ import annotations

from typing import Any

from sanic import Sanic
from sanic.signals import RESERVED_NAMESPACES

HTTP_EVENTS = frozenset(RESERVED_NAMESPACES["http"])


async def _nothing() -> None:
    return None


class QuietSanic(Sanic):
    __slots__ = ("_quiet_events", "_quiet_for")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._quiet_for: object = None
        self._quiet_events: frozenset[str] = frozenset()

    def dispatch(
        self,
        event,
        *,
        condition=None,
        context=None,
        fail_not_found=True,
        inline=False,
        reverse=False,
    ):
        if inline and event in self._unheard():
            return _nothing()
        return super().dispatch(
            event,
            condition=condition,
            context=context,
            fail_not_found=fail_not_found,
            inline=inline,
            reverse=reverse,
        )

    def _unheard(self) -> frozenset[str]:
        router = self.signal_router
        if not router.finalized or router.allow_fail_builtin:
            # before start-up Sanic still collects signals; with allow_fail_builtin (TOUCHUP
            # on) an unheard inline dispatch raises NotFound: Sanic's own path either way
            return frozenset()
        compiled = router.find_route  # a new function each time the router is finalized
        if compiled is not self._quiet_for:
            self._quiet_events = unheard_events(signal.name for signal in router.routes)
            self._quiet_for = compiled
        return self._quiet_events


def unheard_events(registered) -> frozenset[str]:
    """The reserved http events none of `registered` (signal names) would receive."""
    names = set(registered)
    dynamic = {name.rsplit(".", 1)[0] for name in names if name.endswith(">")}
    return frozenset(
        event
        for event in HTTP_EVENTS
        if event not in names and event.rsplit(".", 1)[0] not in dynamic
    )
