"""Structured logging: structlog to stderr, JSON lines when stderr is not a terminal (journald, a file,
a container's log), human lines when it is; Chinese stays Chinese in both (never `\\u65e0…`)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from typing import Any

import structlog
from structlog.typing import Processor

LEVELS = ("debug", "info", "warning", "error")


def configure_logging(
    level: str = "info", *, json_output: bool | None = None, extra_processors: Sequence[Processor] = ()
) -> None:
    """Configure structlog and the standard library once, at the entry point (never at import time).

    `json_output` None decides by stderr: a terminal gets the console renderer. `extra_processors` run
    before rendering (the secret redactor goes there)."""
    if json_output is None:
        json_output = not sys.stderr.isatty()
    numeric = getattr(logging, level.upper())
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        *extra_processors,
    ]
    renderer: Processor = (
        structlog.processors.JSONRenderer(ensure_ascii=False, default=str)
        if json_output
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(
        level=max(numeric, logging.WARNING), stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )


def bind(**values: Any) -> None:
    """Attach values (run id, connector) to every log line of this context."""
    structlog.contextvars.bind_contextvars(**values)
