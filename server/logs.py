"""Logging set-up: human text by default, one JSON object per line with ROOMCAST_LOG_FORMAT=json."""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from datetime import UTC, datetime

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


# Never in a log line, at any level (SQL logging at DEBUG shows query parameters): password
# hashes and tokens (every Roomcast token is a JWT).
_SECRETS = re.compile(r"\$argon2[a-z]*\$[A-Za-z0-9+/=,$.-]+|eyJ[\w-]+\.[\w-]+\.[\w-]+")


def redact(text: str) -> str:
    return _SECRETS.sub("[redacted]", text)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(self._format(record))

    def _format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(*, log_format: str, level: str) -> None:
    handler = logging.StreamHandler()
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Sanic, uvicorn (whose CLI installed its own handlers before our factory ran), asyncio,
    # tortoise...: every logger goes through the one handler, so every line has one format.
    names = ["sanic.root", "sanic.error", "sanic.access", "uvicorn", "uvicorn.error"]
    for name in [*names, *logging.Logger.manager.loggerDict]:
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    logging.captureWarnings(True)
    crash = logging.getLogger("roomcast.crash")

    def log_uncaught(kind, value, tb) -> None:
        crash.critical("uncaught exception", exc_info=(kind, value, tb))

    sys.excepthook = log_uncaught
    threading.excepthook = lambda args: crash.error(
        "uncaught exception in thread %s",
        getattr(args.thread, "name", "?"),
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
    )
