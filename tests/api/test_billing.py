"""/api/v1/subscriptions and /api/v1/invoices: CRUD, payment, access rules and validation."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from models.users import User
from server.seeds.billing import seed as seed_billing
from tests.api.billing_helpers import API, Billing, bearer

SUBS, INVOICES = f"{API}/subscriptions", f"{API}/invoices"


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def test_subscription_lifecycle(http, new_user):
    user, token, _ = await new_user()
    billing = Billing(http, token)
    sub = await billing.subscription(currency="eur")
    assert sub["user_id"] == user["id"] and sub["plan"] == "pro" and sub["status"] == "active"
    assert sub["price_cents"] == 1900 and sub["currency"] == "EUR"
    period = moment(sub["current_period_end"]) - moment(sub["current_period_start"])
    assert period == timedelta(days=30) and sub["created_at"].endswith("Z")

    r = await http.get(f"{SUBS}/{sub['id']}", headers=billing.headers)
    assert r.status_code == 200 and r.json() == sub

    r = await http.patch(
        f"{SUBS}/{sub['id']}",
        json={"status": "past_due", "price_cents": 2900, "plan": " team "},
        headers=billing.headers,
    )
    assert r.status_code == 200, r.text
    changed = r.json()
    assert (changed["status"], changed["price_cents"], changed["plan"]) == (
        "past_due",
        2900,
        "team",
    )
    assert changed["currency"] == "EUR"
    r = await http.patch(f"{SUBS}/{sub['id']}", json={}, headers=billing.headers)
    assert r.status_code == 200 and r.json() == changed

    invoice = await billing.invoice(sub["id"])
    assert invoice["currency"] == "EUR" and invoice["user_id"] == user["id"]
    r = await http.delete(f"{SUBS}/{sub['id']}", headers=billing.headers)
    assert r.status_code == 204 and r.content == b""
    for url in (f"{SUBS}/{sub['id']}", f"{INVOICES}/{invoice['id']}"):
        r = await http.get(url, headers=billing.headers)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


async def test_explicit_period_is_kept_and_must_end_after_it_starts(http, new_user):
    _, token, _ = await new_user()
    billing = Billing(http, token)
    sub = await billing.subscription(
        current_period_start="2026-11-01T00:00:00Z", current_period_end="2026-12-01T00:00:00+01:00"
    )
    assert sub["current_period_start"] == "2026-11-01T00:00:00.000Z"
    assert sub["current_period_end"] == "2026-11-30T23:00:00.000Z"
    r = await http.patch(
        f"{SUBS}/{sub['id']}",
        json={"current_period_end": "2026-10-01T00:00:00Z"},
        headers=billing.headers,
    )
    assert r.status_code == 422 and "current_period_end" in r.json()["error"]["fields"]
    r = await http.post(
        SUBS,
        json={
            "plan": "x",
            "status": "trialing",
            "price_cents": 0,
            "current_period_start": "2026-11-01T00:00:00Z",
            "current_period_end": "2026-11-01T00:00:00Z",
        },
        headers=billing.headers,
    )
    assert r.status_code == 422 and "current_period_end" in r.json()["error"]["fields"]


async def test_invoice_lifecycle_and_payment(http, new_user):
    user, token, _ = await new_user()
    billing = Billing(http, token)
    sub = await billing.subscription()
    invoice = await billing.invoice(sub["id"], amount_cents=0)
    assert invoice["status"] == "pending" and invoice["paid_at"] is None
    assert invoice["due_date"] == "2026-12-01" and invoice["subscription_id"] == sub["id"]
    assert invoice["currency"] == "USD" and invoice["amount_cents"] == 0

    paid = await billing.pay(invoice["id"])
    assert paid["status"] == "paid" and paid["paid_at"].endswith("Z")
    r = await http.post(f"{INVOICES}/{invoice['id']}/pay", headers=billing.headers)
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "conflict" and "status" in r.json()["error"]["fields"]
    r = await http.get(f"{INVOICES}/{invoice['id']}", headers=billing.headers)
    assert r.json() == paid  # the refused second payment changed nothing

    r = await http.patch(
        f"{INVOICES}/{invoice['id']}",
        json={"status": "overdue", "due_date": "2026-11-15", "amount_cents": 99},
        headers=billing.headers,
    )
    assert r.status_code == 200, r.text
    reopened = r.json()
    assert reopened["status"] == "overdue" and reopened["paid_at"] is None
    assert (reopened["due_date"], reopened["amount_cents"]) == ("2026-11-15", 99)
    r = await http.patch(
        f"{INVOICES}/{invoice['id']}", json={"status": "paid"}, headers=billing.headers
    )
    assert r.json()["paid_at"] is not None

    born_paid = await billing.invoice(sub["id"], status="paid")
    assert born_paid["paid_at"] is not None
    r = await http.delete(f"{INVOICES}/{born_paid['id']}", headers=billing.headers)
    assert r.status_code == 204
    r = await http.get(INVOICES, headers=billing.headers)
    assert [i["id"] for i in r.json()["items"]] == [invoice["id"]]
    assert r.json()["items"][0]["user_id"] == user["id"]


async def test_racing_payments_have_exactly_one_winner(http, new_user):
    _, token, _ = await new_user()
    billing = Billing(http, token)
    invoice = await billing.invoice((await billing.subscription())["id"])
    url = f"{INVOICES}/{invoice['id']}/pay"
    answers = await asyncio.gather(*(http.post(url, headers=billing.headers) for _ in range(8)))
    assert sorted(r.status_code for r in answers) == [200] + [409] * 7


async def test_lists_filter_and_page(http, new_user):
    _, token, _ = await new_user()
    billing = Billing(http, token)
    active = await billing.subscription()
    canceled = await billing.subscription(status="canceled")
    invoices = [await billing.invoice(active["id"]) for _ in range(3)]
    other = await billing.invoice(canceled["id"], status="overdue")

    r = await http.get(SUBS, headers=billing.headers)
    assert [s["id"] for s in r.json()["items"]] == [canceled["id"], active["id"]]
    r = await http.get(f"{SUBS}?status=active", headers=billing.headers)
    assert [s["id"] for s in r.json()["items"]] == [active["id"]]
    r = await http.get(f"{INVOICES}?subscription_id={active['id']}", headers=billing.headers)
    assert [i["id"] for i in r.json()["items"]] == [i["id"] for i in reversed(invoices)]
    r = await http.get(f"{INVOICES}?status=overdue", headers=billing.headers)
    assert [i["id"] for i in r.json()["items"]] == [other["id"]]
    r = await http.get(f"{INVOICES}?limit=2&offset=1", headers=billing.headers)
    assert [i["id"] for i in r.json()["items"]] == [invoices[2]["id"], invoices[1]["id"]]
    for query, field in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("offset=-1", "offset"),
        (f"subscription_id={10**20}", "subscription_id"),
        ("status=void", "status"),
        ("limit=many", "limit"),
    ]:
        r = await http.get(f"{INVOICES}?{query}", headers=billing.headers)
        assert r.status_code == 422 and field in r.json()["error"]["fields"], query


async def test_someone_elses_billing_is_not_found_but_staff_see_it(http, new_user):
    owner, owner_token, _ = await new_user()
    _, token, _ = await new_user()
    _, staff_token, _ = await new_user(staff=True)
    mine, theirs = Billing(http, owner_token), Billing(http, token)
    sub = await mine.subscription()
    invoice = await mine.invoice(sub["id"])
    h = theirs.headers
    for method, url, body in [
        ("GET", f"{SUBS}/{sub['id']}", None),
        ("PATCH", f"{SUBS}/{sub['id']}", {"status": "canceled"}),
        ("DELETE", f"{SUBS}/{sub['id']}", None),
        ("GET", f"{INVOICES}/{invoice['id']}", None),
        ("PATCH", f"{INVOICES}/{invoice['id']}", {"amount_cents": 1}),
        ("DELETE", f"{INVOICES}/{invoice['id']}", None),
        ("POST", f"{INVOICES}/{invoice['id']}/pay", None),
        ("POST", INVOICES, {"subscription_id": sub["id"], "amount_cents": 1,
                            "status": "paid", "due_date": "2026-12-01"}),
        ("POST", SUBS, {"plan": "x", "status": "active", "price_cents": 1,
                        "user_id": owner["id"]}),
        ("GET", f"{INVOICES}?user_id={owner['id']}", None),
        ("GET", f"{INVOICES}/99999999", None),
        ("GET", f"{INVOICES}/{10**20}", None),
        ("POST", f"{INVOICES}/{10**20}/pay", None),
        ("PATCH", f"{SUBS}/{10**20}", {"plan": "x"}),
    ]:  # fmt: skip
        r = await http.request(method, url, json=body, headers=h)
        assert r.status_code == 404, (method, url, r.text)
        assert r.json()["error"]["code"] == "not_found"
    assert (await http.get(INVOICES, headers=h)).json() == {"items": []}
    r = await http.get(f"{INVOICES}/{invoice['id']}", headers=mine.headers)
    assert r.json() == invoice  # nothing above changed it

    staff = Billing(http, staff_token)
    r = await http.get(f"{INVOICES}?user_id={owner['id']}", headers=staff.headers)
    assert [i["id"] for i in r.json()["items"]] == [invoice["id"]]
    r = await http.get(f"{INVOICES}?limit=100", headers=staff.headers)
    assert invoice["id"] in [i["id"] for i in r.json()["items"]]
    for_owner = await staff.subscription(user_id=owner["id"], plan="gift")
    assert for_owner["user_id"] == owner["id"]
    on_behalf = await staff.invoice(sub["id"], amount_cents=7)
    assert on_behalf["user_id"] == owner["id"]
    assert (await staff.pay(invoice["id"]))["status"] == "paid"
    r = await http.delete(f"{INVOICES}/{on_behalf['id']}", headers=staff.headers)
    assert r.status_code == 204
    r = await http.post(
        SUBS,
        json={"plan": "x", "status": "active", "price_cents": 1, "user_id": 99999999},
        headers=staff.headers,
    )
    assert r.status_code == 404


GOOD_SUB = {"plan": "pro", "status": "active", "price_cents": 100}
GOOD_INVOICE = {"amount_cents": 100, "status": "pending", "due_date": "2026-12-01"}


SUBSCRIPTION_MISTAKES = [
    ({"plan": None}, "plan"),
    ({"plan": "  "}, "plan"),
    ({"plan": "p" * 65}, "plan"),
    ({"plan": 7}, "plan"),
    ({"status": "paused"}, "status"),
    ({"status": "ACTIVE"}, "status"),
    ({"price_cents": -1}, "price_cents"),
    ({"price_cents": "100"}, "price_cents"),
    ({"price_cents": 1.0}, "price_cents"),
    ({"price_cents": True}, "price_cents"),
    ({"price_cents": 10**13}, "price_cents"),
    ({"price_cents": 10**40}, "price_cents"),
    ({"currency": "EURO"}, "currency"),
    ({"currency": "E1R"}, "currency"),
    ({"currency": 978}, "currency"),
    ({"current_period_start": "soon"}, "current_period_start"),
    ({"current_period_start": 1764547200}, "current_period_start"),
]

INVOICE_MISTAKES = [
    ({"amount_cents": -5}, "amount_cents"),
    ({"amount_cents": "5"}, "amount_cents"),
    ({"amount_cents": None}, "amount_cents"),
    ({"amount_cents": 10**13}, "amount_cents"),
    ({"status": "void"}, "status"),
    ({"status": None}, "status"),
    ({"due_date": "2026-13-01"}, "due_date"),
    ({"due_date": "tomorrow"}, "due_date"),
    ({"due_date": None}, "due_date"),
    ({"due_date": 20261201}, "due_date"),
]


async def test_invalid_subscriptions_are_refused_by_field(http, new_user):
    _, token, _ = await new_user()
    sub = await Billing(http, token).subscription()
    for change, field in [*SUBSCRIPTION_MISTAKES, ({"user_id": "1"}, "user_id")]:
        r = await http.post(SUBS, json={**GOOD_SUB, **change}, headers=bearer(token))
        assert r.status_code == 422, (change, r.text)
        error = r.json()["error"]
        assert error["code"] == "validation_error" and field in error["fields"], change
    for change, field in SUBSCRIPTION_MISTAKES:
        r = await http.patch(f"{SUBS}/{sub['id']}", json=change, headers=bearer(token))
        assert r.status_code == 422 and field in r.json()["error"]["fields"], (change, r.text)
    r = await http.get(SUBS, headers=bearer(token))
    assert r.json() == {"items": [sub]}  # nothing refused was stored or changed


async def test_invalid_invoices_are_refused_by_field(http, new_user):
    _, token, _ = await new_user()
    billing = Billing(http, token)
    sub = await billing.subscription()
    invoice = await billing.invoice(sub["id"])
    for change, field in INVOICE_MISTAKES:
        body = {"subscription_id": sub["id"], **GOOD_INVOICE, **change}
        r = await http.post(INVOICES, json=body, headers=billing.headers)
        assert r.status_code == 422 and field in r.json()["error"]["fields"], (change, r.text)
        r = await http.patch(f"{INVOICES}/{invoice['id']}", json=change, headers=billing.headers)
        assert r.status_code == 422 and field in r.json()["error"]["fields"], (change, r.text)
    r = await http.get(INVOICES, headers=billing.headers)
    assert r.json() == {"items": [invoice]}


async def test_missing_fields_and_malformed_bodies(http, new_user):
    _, token, _ = await new_user()
    h = bearer(token)
    r = await http.post(SUBS, json={}, headers=h)
    assert r.status_code == 422
    assert set(r.json()["error"]["fields"]) == {"plan", "status", "price_cents"}
    r = await http.post(INVOICES, json={}, headers=h)
    assert set(r.json()["error"]["fields"]) == {
        "subscription_id",
        "amount_cents",
        "status",
        "due_date",
    }
    r = await http.post(INVOICES, json=[GOOD_INVOICE], headers=h)
    assert r.status_code == 422 and "_root" in r.json()["error"]["fields"]
    sub = await Billing(http, token).subscription()
    r = await http.post(
        INVOICES, json={"subscription_id": sub["id"], **GOOD_INVOICE, "currency": "GBP"}, headers=h
    )
    assert r.status_code == 422 and "currency" in r.json()["error"]["fields"]
    r = await http.post(
        SUBS, content=b'{"plan": ', headers={**h, "Content-Type": "application/json"}
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request"
    r = await http.post(SUBS, json=GOOD_SUB)
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    r = await http.get(INVOICES)
    assert r.status_code == 401


async def test_demo_billing_covers_every_status_and_is_idempotent(http, new_user):
    alice, alice_token, _ = await new_user()
    bob, bob_token, _ = await new_user()
    rows = {u.id: u for u in await User.filter(id__in=[alice["id"], bob["id"]])}
    users = {"alice@example.com": rows[alice["id"]], "bob@example.com": rows[bob["id"]]}
    await seed_billing(users)
    await seed_billing(users)
    subs, invoices = [], []
    for token in (alice_token, bob_token):
        subs += (await http.get(SUBS, headers=bearer(token))).json()["items"]
        invoices += (await http.get(INVOICES, headers=bearer(token))).json()["items"]
    assert len(subs) == 4 and len(invoices) == 6
    assert {s["status"] for s in subs} == {"active", "trialing", "past_due", "canceled"}
    assert {i["status"] for i in invoices} == {"paid", "pending", "overdue"}
