"""The web console's session settings (``[console]``)."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ConsoleSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    idle_minutes: float = Field(default=30, gt=0)
    """A session unused this long is gone: the next page asks to sign in again."""
    lifetime_hours: float = Field(default=12, gt=0)
    """However busy, a session ends this long after sign-in (one shift)."""
    secure_cookie: Literal["auto", "always", "never"] = "auto"
    """``auto``: the cookie is ``Secure`` when ``public_url`` is https, or when serving
    plain HTTP on loopback (browsers treat http://127.0.0.1 and localhost as secure
    contexts). ``never`` only behind a TLS proxy that rewrites nothing."""
    sessions_path: str | None = None
    """SQLite file of the sessions; default ``<data_dir>/console-sessions.db``.
    ``":memory:"`` keeps them in memory (a restart signs everyone out)."""
