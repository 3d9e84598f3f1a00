"""Safeguard's processes: agency ingest, projection, notifier, relay, and the CLI."""
