"""Typed settings: a TOML file (``--config`` or ``SAFEGUARD_CONFIG``) overridden by
``SAFEGUARD_*`` environment variables (nested with ``__``, e.g.
``SAFEGUARD_KAFKA__BOOTSTRAP_SERVERS``).

Each section lives in its own module, owned by the part of the system it configures.
"""

from infra.config.settings import Settings, load_settings

__all__ = ["Settings", "load_settings"]
