"""The education service (schools): agency ingest."""
