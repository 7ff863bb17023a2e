"""Shared primitives: findings and verdicts, the catalogue, evidence, stash keys, secrets."""
