"""DNS zones, records (versioned) and their audit log: models, schemas, services."""
