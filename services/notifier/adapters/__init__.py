"""Adapters for the notifier's own ports."""
