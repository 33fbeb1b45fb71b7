"""Exports through one registry of named exports (OPERATIONS.md): each scoped by the user's role and logged."""
