"""Subscriptions and invoices (the /analytics figures): models, schemas, services."""
