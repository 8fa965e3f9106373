"""Logging set-up from `logging.*` settings, and the per-task log context (guild, session, track).

configure_logging() installs one console handler (and a rotating file handler when logging.file.* is set) on the
root logger, replacing the ones an earlier call installed. Every line carries the fields of the innermost
log_context(): in JSON as keys, in text as `[guild=1 session=abc track=xyz]`. The context lives in a ContextVar,
so each asyncio task sees its own; a worker thread sees it only if started with the context copied
(asyncio.to_thread does, loop.run_in_executor does not).
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import logging.handlers
import sys
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import TextIO

import orjson

from lavalink_py.config.errors import ConfigError
from lavalink_py.config.settings import LoggingSettings

_CONTEXT: contextvars.ContextVar[Mapping[str, object]] = contextvars.ContextVar(
    "lavalink_py_log_context", default=MappingProxyType({})
)
_HANDLER_NAMES = ("lavalink_py.console", "lavalink_py.file")
# Spring's level names; Python has no TRACE, so it sits below DEBUG.
_LEVELS = {"TRACE": 5, "DEBUG": 10, "INFO": 20, "WARN": 30, "ERROR": 40, "FATAL": 50, "OFF": 60}
_RECORD_FIELDS = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "log_context", "taskName"}


@contextlib.contextmanager
def log_context(**fields: object) -> Iterator[None]:
    """Adds fields to every log line emitted inside (this task only); a None value removes a field."""
    merged = {**_CONTEXT.get(), **fields}
    token = _CONTEXT.set(MappingProxyType({k: v for k, v in merged.items() if v is not None}))
    try:
        yield
    finally:
        _CONTEXT.reset(token)


def current_log_context() -> Mapping[str, object]:
    return _CONTEXT.get()


class _ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "log_context"):  # a second handler sees the same record
            record.log_context = _CONTEXT.get()
        return True


def _context_of(record: logging.LogRecord) -> Mapping[str, object]:
    context = getattr(record, "log_context", None)
    return context if isinstance(context, Mapping) else {}


def _extras_of(record: logging.LogRecord) -> dict[str, object]:
    return {k: v for k, v in record.__dict__.items() if k not in _RECORD_FIELDS}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, then context and `extra=` fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in {**_context_of(record), **_extras_of(record)}.items():
            line.setdefault(key, _id_as_string(key, value))  # a context field named "level" must not hide the real one
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        try:
            return orjson.dumps(line, default=str).decode()
        except orjson.JSONEncodeError:
            # A lone surrogate (a track title read from Java's modified UTF-8) that orjson refuses: stdlib json
            # escapes it, and everything else non-ASCII, so the line is still written.
            return json.dumps(line, default=str)


def _id_as_string(key: str, value: object) -> object:
    """Discord ids (snowflakes, up to 2^64) as strings, as Lavalink's JSON has them: JavaScript-based log tools
    read JSON numbers as doubles and lose the digits past 2^53."""
    if (key == "id" or key.endswith("_id")) and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


class TextFormatter(logging.Formatter):
    """`2026-01-02 03:04:05.678 INFO    lavalink_py.player [guild=1 session=abc] message`."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s.%(msecs)03d %(levelname)-7s %(name)s %(message)s", "%Y-%m-%d %H:%M:%S")

    def formatMessage(self, record: logging.LogRecord) -> str:
        fields = {**_context_of(record), **_extras_of(record)}
        if fields:
            # guild_id reads as guild=..., as the player's lines are grepped by these short names.
            tags = " ".join(f"{key.removesuffix('_id')}={value}" for key, value in fields.items())
            record.message = f"[{tags}] {record.message}"
        return super().formatMessage(record)

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if text.isascii():
            return text
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            # A lone surrogate (a track title read from Java's modified UTF-8) cannot be written to a UTF-8
            # stream: written as \udXXX, so the line is kept instead of failing in the handler.
            return text.encode("utf-8", "backslashreplace").decode("utf-8")
        return text


def level_number(name: str) -> int:
    return _LEVELS[name.upper()]


def configure_logging(settings: LoggingSettings, *, stream: TextIO | None = None) -> None:
    """Applies logging.* settings to the root logger; safe to call again (handlers are replaced, not added).

    Lines go to `stream`, by default stdout, where Lavalink (Spring Boot's console appender) writes them too.

    Raises ConfigError when the log file cannot be opened; the handlers of an earlier call are then kept.
    """
    handlers: list[logging.Handler] = [logging.StreamHandler(stream if stream is not None else sys.stdout)]
    log_file = log_file_path(settings)
    if log_file is not None:
        handlers.append(_file_handler(log_file, settings))
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.get_name() in _HANDLER_NAMES:
            root.removeHandler(handler)
            handler.close()
    formatter = JsonFormatter() if settings.format == "json" else TextFormatter()
    for name, handler in zip(_HANDLER_NAMES, handlers, strict=False):
        handler.set_name(name)
        handler.setFormatter(formatter)
        handler.addFilter(_ContextFilter())
        root.addHandler(handler)
    logging.addLevelName(_LEVELS["TRACE"], "TRACE")
    _apply_levels(settings.level)


def _file_handler(log_file: Path, settings: LoggingSettings) -> logging.Handler:
    policy = settings.logback.rollingpolicy
    try:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        return logging.handlers.RotatingFileHandler(
            log_file, maxBytes=policy.max_file_size_bytes, backupCount=policy.max_history, encoding="utf-8"
        )
    except OSError as exc:
        key = "logging.file.name" if settings.file.name else "logging.file.path"
        raise ConfigError(f"{key}: cannot write the log file {str(log_file)!r}: {exc.strerror or exc}") from None


def log_file_path(settings: LoggingSettings) -> Path | None:
    """logging.file.name, else spring.log inside logging.file.path (Spring Boot's names, which Lavalink keeps)."""
    if settings.file.name:
        return Path(settings.file.name)
    if settings.file.path:
        return Path(settings.file.path) / "spring.log"
    return None


def _apply_levels(levels: Mapping[str, str]) -> None:
    logging.getLogger().setLevel(level_number(levels.get("root", "INFO")))
    # "lavalink" first, so an explicit lavalink_py (or lavalink_py.x) entry wins over the alias.
    for name in sorted(levels, key=lambda n: n != "lavalink"):
        if name == "root":
            continue
        targets = [name, "lavalink_py"] if name == "lavalink" else [name]
        for target in targets:
            logging.getLogger(target).setLevel(level_number(levels[name]))
