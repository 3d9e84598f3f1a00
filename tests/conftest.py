"""Shared pytest configuration. Area-specific fixtures live in tests/support/."""
