"""The children's social care (day teams) service: agency ingest."""
