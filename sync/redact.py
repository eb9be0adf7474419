"""Secret redaction: known secret values and token-like fields never reach a log line or an error message."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from structlog.typing import EventDict, WrappedLogger

from config.redaction import (
    KNOWN,
    MIN_SECRET_LENGTH,
    REDACTED,
    URL_PASSWORD,
    is_sensitive_key,
    squash,
)
from config.settings import Settings

__all__ = ["MIN_SECRET_LENGTH", "REDACTED", "Redactor"]


class Redactor:
    """Scrubs secrets from logs and error lines with the process's one registry (config.redaction.KNOWN),
    which connectors also feed with every token they mint, and which the store, /healthz and the
    notifications scrub with: what one sink knows, every sink knows.

    It is a structlog processor (`configure_logging(extra_processors=[redactor])`), a stdlib logging
    filter (`install_stdlib()`), and a plain function for error lines (`redact_text`)."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._known = KNOWN
        self.add(*values)

    # ------------------------------------------------------------------------- learning secrets

    def add(self, *values: str | None) -> None:
        """Remember secret values (in every encoded form) so every sink scrubs them from now on."""
        self._known.add(*values)

    def learn_settings(self, settings: Settings) -> None:
        """Every literal credential in the configuration (references `secret:NAME` are learnt when
        resolved, through `add`, or by the connector that resolves them)."""
        for connector in settings.connectors:
            credentials = getattr(connector, "credentials", None)
            if credentials is not None:
                self.add(*(str(v) for k, v in credentials.model_dump().items() if _is_secret_field(k)))
        if settings.notifications.webhook is not None:
            self.add(settings.notifications.webhook.signing_secret)
        if settings.notifications.email is not None:
            self.add(settings.notifications.email.password)
        match = URL_PASSWORD.search(settings.database_url)
        if match:
            self.add(match.group("value"))

    # ------------------------------------------------------------------------- scrubbing

    def redact_text(self, text: str) -> str:
        """The text with every known secret value, token-like field value and URL password replaced."""
        return self._known.redact_text(text)

    def redact(self, value: Any) -> Any:
        """Any log value: mappings (sensitive keys blanked), sequences, strings; other objects as text."""
        return self._known.redact(value)

    def __call__(self, logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
        """The structlog processor: place it after format_exc_info so tracebacks are text already."""
        return {
            key: REDACTED if is_sensitive_key(key) else self.redact(value)
            for key, value in event_dict.items()
        }

    def install_stdlib(self, logger: logging.Logger | None = None) -> None:
        """Scrub standard-library log records (APScheduler, urllib3...) on every handler of `logger`."""
        target = logger or logging.getLogger()
        for handler in target.handlers:
            if not any(isinstance(f, _StdlibRedaction) for f in handler.filters):
                handler.addFilter(_StdlibRedaction(self))


class _StdlibRedaction(logging.Filter):
    """Renders the message and traceback of a record, scrubbed, before any handler formats it."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self._redactor = redactor
        self._formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self._redactor.redact_text(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = self._formatter.formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = self._redactor.redact_text(record.exc_text)
        if record.stack_info:
            record.stack_info = self._redactor.redact_text(record.stack_info)
        return True


def _is_secret_field(name: str) -> bool:
    """Credential fields that are identifiers rather than secrets (client_id, app_id, user ids) stay
    readable in logs: they help support and reveal nothing on their own."""
    return not squash(name).endswith(("id", "userid"))
