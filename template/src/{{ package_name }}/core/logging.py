"""Process-wide logging: one stream handler, plain text or JSON lines."""

import json
import logging
import re
import sys
import time
from typing import Literal

HANDLER_NAME = "app"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Characters that would end a text log line (or hide part of it): written as escapes, so a
# string a client chose (a path, a model id) cannot start a forged log record.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Attributes every LogRecord has; anything else was passed with `extra=` and is logged too.
STANDARD_ATTRIBUTES = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def escape_control(match: re.Match[str]) -> str:
    return match.group().encode("unicode_escape").decode()


class Formatter(logging.Formatter):
    """logging's Formatter, formatting the date and time of a second once rather than for
    every record (every request logs a line). The same text: logging's default format."""

    _second: tuple[int, str] = (-1, "")  # a second since the epoch, and its text

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        if datefmt:
            return super().formatTime(record, datefmt)
        second = int(record.created)
        cached, text = self._second  # one attribute: threads see a second and its own text
        if cached != second:
            text = time.strftime(self.default_time_format, self.converter(second))
            self._second = (second, text)
        msec_format = self.default_msec_format
        return msec_format % (text, record.msecs) if msec_format else text


class TextFormatter(Formatter):
    """Only a record starts a line: control characters in the message are escaped, and the
    lines of a traceback are indented, so that none of them can pass for a record."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return CONTROL_CHARACTERS.sub(escape_control, super().formatMessage(record))

    def format(self, record: logging.LogRecord) -> str:
        # Only a traceback or stack (appended after the message) has line breaks left.
        return super().format(record).replace("\n", "\n  ")


class JSONFormatter(Formatter):
    """One JSON object per line, with the `extra=` fields of the record."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(
            (key, value) for key, value in record.__dict__.items() if key not in STANDARD_ATTRIBUTES
        )
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str, log_format: Literal["text", "json"]) -> None:
    """Send all logs (ours and uvicorn's) to stderr in the chosen format."""
    # Every request is logged: skip the record fields no format here uses (the logging
    # HOWTO's "Optimization" section), which halves the cost of a record.
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    logging._srcfile = None  # no caller file, line and function
    handler = logging.StreamHandler(sys.stderr)
    handler.name = HANDLER_NAME
    formatter = JSONFormatter() if log_format == "json" else TextFormatter(TEXT_FORMAT)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    # Replace our own handler if an earlier call added one; leave others (e.g. pytest's) alone.
    root.handlers[:] = [h for h in root.handlers if h.name != HANDLER_NAME] + [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    # The request middleware logs each request; uvicorn's access log would repeat it.
    logging.getLogger("uvicorn.access").disabled = True
