"""Chat rooms, memberships and messages: models, schemas, services."""
