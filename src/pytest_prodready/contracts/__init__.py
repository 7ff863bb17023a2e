"""API contracts with schemathesis, bounded and read-only on protected environments."""
