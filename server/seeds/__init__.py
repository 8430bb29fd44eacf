"""Demo data per domain: each module has an idempotent `async def seed(users)`."""
