"""Structured JSON logs: one object per line, with ``event_id`` and ``correlation_id``.

Fields come from ``extra={...}`` on a call (any key: ``event_id``,
``correlation_id``, ``case_id``, ``finding_id``...) or from ``log_context(...)`` around a
block (e.g. the handling of one request or one event), so code deep down need
not pass ids along just to log them.
"""

import contextlib
import contextvars
import json
import logging
import sys
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import IO, Any

import orjson

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "color_message",  # uvicorn's copy of the message with terminal colour codes
}
"""Attributes every record has (or that we drop); the rest came from ``extra``."""
_context: contextvars.ContextVar[Mapping[str, Any]] = contextvars.ContextVar(
    "safeguard_log_context", default=MappingProxyType({})
)


@contextlib.contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Add fields to every record logged inside the block (this task only)."""
    token = _context.set({**_context.get(), **fields})
    try:
        yield
    finally:
        _context.reset(token)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **_context.get(),
        }
        for name, value in record.__dict__.items():
            if name not in _STANDARD and value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        try:
            return orjson.dumps(entry, default=str, option=orjson.OPT_NON_STR_KEYS).decode()
        except TypeError:  # what orjson refuses (e.g. an int beyond 64 bits) json takes
            return json.dumps(entry, default=str)


def configure_logging(level: str = "INFO", *, stream: IO[str] | None = None) -> None:
    """Route every logger (uvicorn's too) to one JSON handler; call once per process."""
    _skip_unused_record_fields()
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True


def _skip_unused_record_fields() -> None:
    """The JSON lines carry no source location, thread or process: stop every record
    from looking them up (the logging HOWTO's "Optimization" settings). Ingest logs a
    line per request, and the caller lookup alone walks the stack each time."""
    logging._srcfile = None  # documented in the HOWTO, though underscored
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
