"""Gym members and check-ins: models, schemas, services."""
