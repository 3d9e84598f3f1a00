"""Tamper evidence beyond the chain itself: signed checkpoints and chain readers."""
