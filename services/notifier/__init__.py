"""Duty-manager alerting: signed webhooks, never lost, never doubled, acknowledged,
escalated, and recorded in the stream.

Public surface (wired by a composition root):

- ``services.notifier.bootstrap.build_notifier`` builds a ``Notifier``;
  ``services.notifier.app.running_notifier`` builds, runs and closes one.
- ``Notifier.on_findings`` is the projection's ``FindingSink``.
- ``services.notifier.api.alerts_router`` serves ``/alerts`` and
  ``/findings/{id}/resolve``.
"""
