"""The embedded default: every service in one process on one port."""
