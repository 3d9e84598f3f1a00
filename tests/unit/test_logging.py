"""The JSON log lines: one object per line, fields from ``extra`` and from
``log_context``, written by a background thread yet carrying the context of the
code that logged."""

import io
import logging
import logging.handlers
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from infra.logging import configure_logging, log_context, stop_background_logging


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = io.StringIO()
    try:
        yield stream
    finally:
        stop_background_logging()
        root.handlers[:], level = saved
        root.setLevel(level)


def logged(stream: io.StringIO) -> list[dict[str, Any]]:
    stop_background_logging()  # drains the queue
    return [orjson.loads(line) for line in stream.getvalue().splitlines()]


@pytest.mark.parametrize("background", [True, False])
def test_a_line_carries_extra_fields_and_the_context_of_the_code_that_logged(
    lines: io.StringIO, background: bool
) -> None:
    configure_logging("INFO", stream=lines, background=background)
    log = logging.getLogger("safeguard.test")
    queued = isinstance(logging.getLogger().handlers[0], logging.handlers.QueueHandler)
    assert queued == background

    with log_context(case_id="case-k", correlation_id="c-1"):
        log.info("events recorded: %d", 2, extra={"event_id": ["e-1", "e-2"]})
    log.debug("below the level")
    log.warning("outside the context")

    first, second = logged(lines)
    assert first["message"] == "events recorded: 2"
    assert first["level"] == "info" and first["logger"] == "safeguard.test"
    assert first["event_id"] == ["e-1", "e-2"]
    assert first["case_id"] == "case-k" and first["correlation_id"] == "c-1"
    assert second["message"] == "outside the context" and "case_id" not in second


def test_values_json_cannot_hold_still_give_a_line(lines: io.StringIO) -> None:
    configure_logging("INFO", stream=lines)
    log = logging.getLogger("safeguard.test")

    log.info("odd", extra={"counts": {1: 2}, "huge": 2**70, "ids": {"a"}})
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("failed")

    odd, failed = logged(lines)
    assert odd["counts"] == {"1": 2} and odd["huge"] == 2**70 and odd["ids"] == "{'a'}"
    assert "ValueError: boom" in failed["exception"]


def test_a_burst_is_written_whole_in_order_and_a_bad_record_does_not_stop_it(
    lines: io.StringIO,
) -> None:
    configure_logging("INFO", stream=lines)
    log = logging.getLogger("safeguard.test")

    for i in range(2_500):
        log.info("line %d", i)
    log.info("two placeholders %s %s", "one argument")  # logging reports it, drops it
    log.info("unprintable", extra={"thing": Unprintable()})
    log.info("after")

    messages = [line["message"] for line in logged(lines)]
    assert messages[:2_500] == [f"line {i}" for i in range(2_500)]
    assert messages[2_500].startswith("unloggable record")
    assert messages[2_501:] == ["after"]


class Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no text for this")


def test_a_line_shows_its_arguments_as_they_were_when_logged_and_none_is_lost_after_stop(
    lines: io.StringIO,
) -> None:
    configure_logging("INFO", stream=lines)
    log = logging.getLogger("safeguard.test")
    children = ["child-k"]

    log.info("children: %s", children)
    children.append("sibling")  # after the call: must not show in the line
    stop_background_logging()
    log.info("after the writer stopped")

    messages = [orjson.loads(line)["message"] for line in lines.getvalue().splitlines()]
    assert messages == ["children: ['child-k']", "after the writer stopped"]
