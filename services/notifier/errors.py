"""Notifier errors, mapped once to HTTP Problem Details by the router."""


class NotifierError(Exception):
    """Base of the errors the notifier's operations raise."""


class AlertNotFound(NotifierError):
    """No alert has that id (HTTP 404)."""


class FindingNotFound(NotifierError):
    """The notifier was never given that finding (HTTP 404)."""


class FindingAlreadyResolved(NotifierError):
    """The finding was resolved before with another reason (HTTP 409); history
    is immutable, so the first resolution stands."""


class LeaseLost(NotifierError):
    """Another notifier took the delivery lease: this one's claims and results
    are refused (fenced), and what it had in flight is sent again by the new
    holder with the same webhook-id."""
