"""The relay: copies the event store, in position order, onto the Kafka topic."""
