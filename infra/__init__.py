"""Adapters: the event store, feeds, HTTP delivery, configuration, clocks."""
