"""The police ingest service."""
