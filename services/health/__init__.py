"""The health ingest service."""
