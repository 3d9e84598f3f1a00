"""Standard Webhooks: signing and an HTTP sender, shared by the notifier and the CLI."""
