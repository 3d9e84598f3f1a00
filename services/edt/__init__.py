"""The edt ingest service."""
