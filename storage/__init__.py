"""Persistence: models, queries and migrations; the only package that opens sessions."""
