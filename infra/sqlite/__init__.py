"""SQLite adapters: the embedded event store, the access audit and the chain links.

One folder per technology, like ``infra/eventstoredb/``: the ports they serve stay
in ``infra/store/``, ``infra/audit/`` and ``infra/integrity/``.
"""
