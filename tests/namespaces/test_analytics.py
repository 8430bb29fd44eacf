"""/analytics as clients see it: figures on connect, live `stats` after billing changes, the
staff `global_stats` feed, coalesced bursts, and error acks."""

from __future__ import annotations

import asyncio
import contextlib
import math

from server.broadcast.analytics import StatsCoalescer
from tests.api.billing_helpers import API, Billing, bearer, figures, figures_matching

ZERO = {
    "active_subscriptions": 0,
    "total_invoices": 0,
    "paid_invoices": 0,
    "pending_invoices": 0,
    "overdue_invoices": 0,
    "revenue_paid_cents": 0,
}


async def test_stats_follow_the_greeting_and_refresh_acks_them(http, new_user, sio_client):
    _, token, _ = await new_user()
    billing = Billing(http, token)
    sub = await billing.subscription()
    await billing.subscription(status="canceled")
    await billing.invoice(sub["id"], status="paid", amount_cents=500)
    await billing.invoice(sub["id"], status="overdue", amount_cents=700)
    await billing.invoice(sub["id"])
    tab = await sio_client("/analytics", token)
    stats = await tab.wait("stats")
    assert stats["as_of"].endswith("Z")
    expected = {
        "active_subscriptions": 1,
        "total_invoices": 3,
        "paid_invoices": 1,
        "pending_invoices": 1,
        "overdue_invoices": 1,
        "revenue_paid_cents": 500,
    }
    assert figures(stats) == expected
    ack = await tab.call("refresh")
    assert ack["ok"] is True and figures(ack["data"]) == expected
    assert (await tab.call("refresh", {}))["ok"] is True
    # A staff socket would have had `global_stats` before each refresh's ack: none came.
    assert tab.none_yet("global_stats")


async def test_rest_payment_moves_stats_within_a_second(http, new_user, sio_client):
    _, token, _ = await new_user()
    _, other_token, _ = await new_user()
    billing = Billing(http, token)
    sub = await billing.subscription()
    invoice = await billing.invoice(sub["id"], amount_cents=4200)
    tab1, tab2 = await sio_client("/analytics", token), await sio_client("/analytics", token)
    bystander = await sio_client("/analytics", other_token)
    for tab in (tab1, tab2):
        assert (await tab.wait("stats"))["pending_invoices"] == 1
    assert figures(await bystander.wait("stats")) == ZERO

    paid = await billing.pay(invoice["id"])
    assert paid["status"] == "paid" and paid["paid_at"].endswith("Z")
    for tab in (tab1, tab2):
        stats = await figures_matching(tab, "stats", timeout=1.0, paid_invoices=1)
        assert stats["pending_invoices"] == 0 and stats["revenue_paid_cents"] == 4200
    # The bystander's own change is the next thing it hears of: no one else's figures came.
    await Billing(http, other_token).subscription()
    assert figures(await bystander.wait("stats"))["active_subscriptions"] == 1


async def test_staff_get_global_stats_that_move(http, new_user, sio_client):
    _, token, _ = await new_user()
    _, staff_token, _ = await new_user(staff=True)
    billing = Billing(http, token)
    sub = await billing.subscription()
    invoice = await billing.invoice(sub["id"], amount_cents=333)
    watcher = await sio_client("/analytics", staff_token)
    own = await watcher.wait("stats")
    assert figures(own) == ZERO  # the staff user's own figures
    before = await watcher.wait("global_stats")
    assert before["total_invoices"] >= 1 and before["active_subscriptions"] >= 1

    await billing.pay(invoice["id"])
    after = await figures_matching(
        watcher,
        "global_stats",
        timeout=1.0,
        paid_invoices=before["paid_invoices"] + 1,
        revenue_paid_cents=before["revenue_paid_cents"] + 333,
    )
    assert after["pending_invoices"] == before["pending_invoices"] - 1
    # Staff watch the whole feed through global_stats, not through other users' stats (a
    # flush sends the users' stats before its global_stats: none reached this socket).
    assert watcher.none_yet("stats")
    ack = await watcher.call("refresh")
    assert figures(ack["data"]) == ZERO
    assert figures(await watcher.wait("global_stats")) == figures(after)


async def test_a_burst_of_changes_is_coalesced_and_ends_on_the_final_figures(
    server, http, new_user, sio_client
):
    _, token, _ = await new_user()
    billing = Billing(http, token)
    sub = await billing.subscription()
    tab = await sio_client("/analytics", token)
    assert (await tab.wait("stats"))["total_invoices"] == 0

    loop = asyncio.get_running_loop()
    started = loop.time()
    created = await asyncio.gather(
        *(billing.invoice(sub["id"], amount_cents=n, status="paid") for n in range(1, 101))
    )
    assert len({invoice["id"] for invoice in created}) == 100
    received = []
    while not received or received[-1]["total_invoices"] < 100:
        received.append(await tab.wait("stats", timeout=5))
    elapsed = loop.time() - started
    final = {
        **ZERO,
        "active_subscriptions": 1,
        "total_invoices": 100,
        "paid_invoices": 100,
        "revenue_paid_cents": sum(range(1, 101)),
    }
    assert figures(received[-1]) == final
    # Figures never go backwards, and whatever still trails in repeats the final ones.
    totals = [stats["total_invoices"] for stats in received]
    assert totals == sorted(totals)
    trailing = []
    with contextlib.suppress(TimeoutError):
        while len(trailing) < 5:
            trailing.append(figures(await tab.wait("stats", timeout=0.6)))
    assert all(late == final for late in trailing) and len(trailing) < 5
    # One flush per interval at most, plus the leading and the trailing edge.
    interval = server.runtime.analytics.interval
    assert len(received) <= math.ceil(elapsed / interval) + 2, (len(received), elapsed)
    assert len(received) <= 25, (len(received), elapsed)


async def test_socket_payment_uses_the_same_service_and_broadcast(http, new_user, sio_client):
    _, token, _ = await new_user()
    billing = Billing(http, token)
    sub = await billing.subscription()
    invoice = await billing.invoice(sub["id"], amount_cents=1000, status="overdue")
    tab1, tab2 = await sio_client("/analytics", token), await sio_client("/analytics", token)
    for tab in (tab1, tab2):
        assert (await tab.wait("stats"))["overdue_invoices"] == 1
    ack = await tab1.call("pay_invoice", {"invoice_id": invoice["id"]})
    assert ack["ok"] is True and ack["data"]["status"] == "paid"
    r = await http.get(f"{API}/invoices/{invoice['id']}", headers=billing.headers)
    assert r.json() == ack["data"]
    for tab in (tab1, tab2):
        stats = await figures_matching(tab, "stats", timeout=1.0, paid_invoices=1)
        assert stats["overdue_invoices"] == 0 and stats["revenue_paid_cents"] == 1000
    again = await tab2.call("pay_invoice", {"invoice_id": invoice["id"]})
    assert again["ok"] is False and again["error"]["code"] == "conflict"
    assert "status" in again["error"]["fields"]

    created = await tab1.call(
        "create_subscription", {"plan": "team", "status": "active", "price_cents": 0}
    )
    assert created["ok"] is True and created["data"]["plan"] == "team"
    await figures_matching(tab2, "stats", timeout=1.0, active_subscriptions=2)
    made = await tab1.call(
        "create_invoice",
        {
            "subscription_id": created["data"]["id"],
            "amount_cents": 5,
            "status": "pending",
            "due_date": "2027-01-31",
        },
    )
    assert made["ok"] is True and made["data"]["due_date"] == "2027-01-31"
    await figures_matching(tab2, "stats", timeout=1.0, pending_invoices=1, total_invoices=2)


async def test_another_users_invoice_is_not_found_on_the_socket(http, new_user, sio_client):
    _, owner_token, _ = await new_user()
    _, token, _ = await new_user()
    owner = Billing(http, owner_token)
    sub = await owner.subscription()
    invoice = await owner.invoice(sub["id"])
    tab = await sio_client("/analytics", token)
    for event, payload in [
        ("pay_invoice", {"invoice_id": invoice["id"]}),
        ("pay_invoice", {"invoice_id": 10_000_000}),
        (
            "create_invoice",
            {
                "subscription_id": sub["id"],
                "amount_cents": 1,
                "status": "pending",
                "due_date": "2026-12-01",
            },
        ),
    ]:
        ack = await tab.call(event, payload)
        assert ack["ok"] is False and ack["error"]["code"] == "not_found", (event, ack)
    r = await http.get(f"{API}/invoices/{invoice['id']}", headers=owner.headers)
    assert r.json()["status"] == "pending"


SOCKET_MISTAKES = [
    ("pay_invoice", {"invoice_id": "1"}, "invoice_id"),
    ("pay_invoice", {}, "invoice_id"),
    ("pay_invoice", {"invoice_id": 10**30}, "invoice_id"),
    ("pay_invoice", "1", "_root"),
    ("pay_invoice", None, "_root"),
    ("create_subscription", {"plan": "x", "status": "active"}, "price_cents"),
    ("create_subscription", {"plan": "x", "status": "paused", "price_cents": 1}, "status"),
    (
        "create_subscription",
        {"plan": "x", "status": "active", "price_cents": -1},
        "price_cents",
    ),
    (
        "create_subscription",
        {"plan": "x", "status": "active", "price_cents": 1.5},
        "price_cents",
    ),
    ("create_subscription", {"plan": "", "status": "active", "price_cents": 1}, "plan"),
    (
        "create_invoice",
        {
            "subscription_id": 1,
            "amount_cents": 10**13,
            "status": "paid",
            "due_date": "2026-12-01",
        },
        "amount_cents",
    ),
    (
        "create_invoice",
        {"subscription_id": 1, "amount_cents": 1, "status": "void", "due_date": "2026-12-01"},
        "status",
    ),
    (
        "create_invoice",
        {"subscription_id": 1, "amount_cents": 1, "status": "paid", "due_date": 1764547200},
        "due_date",
    ),
    (
        "create_invoice",
        {"amount_cents": 1, "status": "paid", "due_date": "2026-12-01"},
        "subscription_id",
    ),
]


async def test_bad_socket_payloads_are_validation_errors(new_user, sio_client):
    _, token, _ = await new_user()
    tab = await sio_client("/analytics", token)
    await tab.wait("stats")
    for event, payload, field in SOCKET_MISTAKES:
        ack = await tab.call(event, payload)
        assert ack["ok"] is False and ack["error"]["code"] == "validation_error", (payload, ack)
        assert field in ack["error"]["fields"], (payload, ack)
    unknown = await tab.call("drop_tables", {})
    assert unknown["ok"] is False and unknown["error"]["code"] == "bad_request"
    assert figures((await tab.call("refresh"))["data"]) == ZERO  # nothing stored; socket lives
    valid = {"plan": "pro", "status": "active", "price_cents": 100}
    assert (await tab.call("create_subscription", valid))["ok"] is True
    assert figures(await tab.wait("stats"))["active_subscriptions"] == 1  # the first since


async def test_deleting_a_subscription_with_its_invoices_moves_stats(http, new_user, sio_client):
    _, token, _ = await new_user()
    billing = Billing(http, token)
    sub = await billing.subscription()
    await billing.invoice(sub["id"], status="paid", amount_cents=10)
    tab = await sio_client("/analytics", token)
    assert (await tab.wait("stats"))["revenue_paid_cents"] == 10
    r = await http.delete(f"{API}/subscriptions/{sub['id']}", headers=bearer(token))
    assert r.status_code == 204
    stats = await figures_matching(tab, "stats", timeout=1.0, total_invoices=0)
    assert figures(stats) == ZERO


class FlakyEmitter:
    """Stands in for python-socketio's emit: the first `failures` calls fail like a lost Redis."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.sent: asyncio.Queue = asyncio.Queue()

    async def emit(self, event: str, data: dict, *, room: str, namespace: str) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("Redis went away")
        self.sent.put_nowait((event, room, figures(data)))

    async def next(self) -> tuple[str, str, dict]:
        return await asyncio.wait_for(self.sent.get(), 2)


async def test_a_failed_flush_is_retried_and_stop_drains_what_is_left(server, http, new_user):
    user, token, _ = await new_user()
    room = f"user:{user['id']}"
    emitter = FlakyEmitter(failures=1)
    coalescer = StatsCoalescer(emitter, interval=0.05)
    try:
        coalescer.touch(user["id"])
        assert await emitter.next() == ("stats", room, ZERO)  # the retry after the failure
        assert (await emitter.next())[:2] == ("global_stats", "staff")
        await Billing(http, token).subscription()
        coalescer.touch(user["id"])
        assert await emitter.next() == ("stats", room, {**ZERO, "active_subscriptions": 1})
        assert (await emitter.next())[0] == "global_stats"
        coalescer.touch(user["id"])  # lands in the throttle pause: stop() has to drain it
    finally:
        await coalescer.stop()
    assert emitter.sent.qsize() == 2 and (await emitter.next())[:2] == ("stats", room)
    coalescer.touch(user["id"])  # after stop: ignored, and no task left behind
    assert coalescer._task is None and coalescer._dirty == set()
