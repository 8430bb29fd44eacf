"""Tortoise models, pydantic schemas and keyword-only services, one module per domain."""

# Every module holding Tortoise models; the app, the migrations and the tests share this list.
MODEL_MODULES = [
    "models.users",
    "models.logins",
    "models.alerts",
    "models.billing",
    "models.dns",
    "models.chat",
    "models.checkins",
]
