"""Structured JSON logs: one object per line, with ``event_id`` and ``correlation_id``.

Fields come from ``extra={...}`` on a call (any key: ``event_id``,
``correlation_id``, ``case_id``, ``finding_id``...) or from ``log_context(...)`` around a
block (e.g. the handling of one request or one event), so code deep down need
not pass ids along just to log them.
"""

import atexit
import contextlib
import contextvars
import json
import logging
import logging.handlers
import queue
import sys
import threading
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import IO, Any

import orjson

_CONTEXT_ATTRIBUTE = "safeguard_log_context"
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "color_message",  # uvicorn's copy of the message with terminal colour codes
    _CONTEXT_ATTRIBUTE,
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
            **(getattr(record, _CONTEXT_ATTRIBUTE, None) or _context.get()),
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


class _ContextQueueHandler(logging.handlers.QueueHandler):
    """Hands records to the writing thread with their message merged now (an
    argument changed after the call must not change the line) and the
    ``log_context`` fields captured, since that thread has none of them."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        record.msg, record.args = record.getMessage(), None
        setattr(record, _CONTEXT_ATTRIBUTE, _context.get())
        return record


class _LineWriter:
    """The background thread: formats every record queued since it last woke and
    writes them with one ``write``. Under load (a line per ingest request) that is
    one system call per burst, not one per line."""

    _STOP = object()
    MAX_BURST = 1_000

    def __init__(self, records: "queue.SimpleQueue[Any]", handler: logging.StreamHandler[IO[str]]):
        self._records, self.handler = records, handler
        self.queued = _ContextQueueHandler(records)
        """What loggers hand records to, to reach this thread."""
        self._thread = threading.Thread(target=self._run, name="log-writer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._records.put(self._STOP)
        self._thread.join()

    def _run(self) -> None:
        while True:
            burst = [self._records.get()]
            while len(burst) < self.MAX_BURST:
                try:
                    burst.append(self._records.get_nowait())
                except queue.Empty:
                    break
            lines = [self._line(r) for r in burst if r is not self._STOP]
            if lines:
                self._write("\n".join(lines) + "\n")
            if len(lines) < len(burst):
                return

    def _line(self, record: logging.LogRecord) -> str:
        try:
            return self.handler.format(record)
        except Exception as e:  # a record that cannot be formatted still leaves a trace
            return orjson.dumps({"level": "error", "message": f"unloggable record: {e!r}"}).decode()

    def _write(self, text: str) -> None:
        stream = self.handler.stream
        try:
            stream.write(text)
            stream.flush()
        except (OSError, ValueError):  # stderr closed or gone: nowhere left to report it
            pass


_listener: _LineWriter | None = None


def configure_logging(
    level: str = "INFO", *, stream: IO[str] | None = None, background: bool = True
) -> None:
    """Route every logger (uvicorn's too) to one JSON handler; call once per process.

    ``background``: format and write on a thread of their own (behind the stdlib's
    ``QueueHandler``), so a request pays only for building its record. Ingest logs a
    line per request; formatting and writing it was a sixth of the request's time.
    The queue is drained on exit; a kill -9 may lose the last lines, never an event."""
    global _listener
    _skip_unused_record_fields()
    lines = logging.StreamHandler(stream or sys.stderr)
    lines.setFormatter(JsonFormatter())
    stop_background_logging()
    handler: logging.Handler = lines
    if background:
        records: queue.SimpleQueue[Any] = queue.SimpleQueue()
        _listener = _LineWriter(records, lines)
        _listener.start()
        handler = _listener.queued
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True


@atexit.register
def stop_background_logging() -> None:
    """Write out every queued line, stop the writing thread, and write whatever is
    logged after that directly (late lines at exit are not lost)."""
    global _listener
    if _listener is not None:
        writer, _listener = _listener, None
        writer.stop()
        root = logging.getLogger()
        root.handlers[:] = [writer.handler if h is writer.queued else h for h in root.handlers]


def _skip_unused_record_fields() -> None:
    """The JSON lines carry no source location, thread or process: stop every record
    from looking them up (the logging HOWTO's "Optimization" settings). Ingest logs a
    line per request, and the caller lookup alone walks the stack each time."""
    logging._srcfile = None  # documented in the HOWTO, though underscored
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
