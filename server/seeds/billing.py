"""Demo data for billing (idempotent: skips what already exists).

Alice and Bob between them hold every subscription status and every invoice status, so the
/analytics figures show something in each column.
"""

from __future__ import annotations

from datetime import date

from models import billing_services
from models.billing import Subscription
from models.users import User

# email -> [(plan, status, price_cents, [(amount_cents, invoice status, due date), ...])]
DEMO_BILLING: dict[str, list[tuple[str, str, int, list[tuple[int, str, date]]]]] = {
    "alice@example.com": [
        (
            "pro",
            "active",
            1900,
            [
                (1900, "paid", date(2026, 9, 1)),
                (1900, "paid", date(2026, 10, 1)),
                (1900, "pending", date(2026, 12, 1)),
            ],
        ),
        ("team", "trialing", 4900, []),
    ],
    "bob@example.com": [
        (
            "basic",
            "past_due",
            900,
            [(900, "paid", date(2026, 9, 1)), (900, "overdue", date(2026, 10, 1))],
        ),
        ("legacy", "canceled", 500, [(500, "paid", date(2026, 6, 1))]),
    ],
}


async def seed(users: dict[str, User]) -> None:
    """`users` maps the demo emails (server.demo.DEMO_USERS) to their User rows."""
    for email, plans in DEMO_BILLING.items():
        user = users.get(email)
        if user is None:
            continue
        for plan, status, price_cents, invoices in plans:
            # One demo subscription per (user, plan): its invoices come with it or not at all.
            if await Subscription.filter(user_id=user.id, plan=plan).exists():
                continue
            sub = await billing_services.create_subscription(
                user_id=user.id, plan=plan, status=status, price_cents=price_cents
            )
            for amount_cents, invoice_status, due in invoices:
                await billing_services.create_invoice(
                    subscription_id=sub.id,
                    amount_cents=amount_cents,
                    status=invoice_status,
                    due_date=due,
                )
