"""Secret redaction: known secret values and token-like fields never reach a log line or an error message."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

from structlog.typing import EventDict, WrappedLogger

from config.settings import SECRET_PREFIX, Settings

REDACTED = "[REDACTED]"

MIN_SECRET_LENGTH = 6
"""Known values shorter than this are not scrubbed by value (they would mangle ordinary words); fields
named like tokens are still scrubbed whatever their length."""

_SENSITIVE_NAMES = (
    "access_token",
    "refresh_token",
    "client_secret",
    "app_secret",
    "permanent_code",
    "corp_access_token",
    "authorization",
    "password",
    "signing_secret",
    "secret_key",
    "api_key",
    "id_token",
)


def _squash(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


_SENSITIVE_KEYS = frozenset(_squash(name) for name in _SENSITIVE_NAMES)
"""Compared without case, `_` or `-`: appSecret, app_secret and APP-SECRET are one name."""

_KEY_ALTERNATION = "|".join(
    name.replace("_", "[_-]?") for name in sorted(_SENSITIVE_NAMES, key=len, reverse=True)
)
# `access_token=...`, `"refreshToken": "..."`, `'client_secret': '...'`, `permanentCode: ...`
_FIELD = re.compile(
    rf"(?P<key>\b(?:{_KEY_ALTERNATION})\b)(?P<sep>[\"']?\s*[:=]\s*[\"']?)"
    r"(?:(?P<scheme>Bearer|Basic|Zoho-oauthtoken|token)\s+)?(?P<value>[^\s\"'&,;}\]]+)",
    re.IGNORECASE,
)
# A bare credential after an auth scheme, wherever it appears.
_SCHEME = re.compile(r"\b(?P<scheme>Bearer|Zoho-oauthtoken)\s+(?P<value>[A-Za-z0-9._~+/=-]{6,})")
# The password in a URL: postgresql://user:password@host/db
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<value>[^@\s/]+)(?P<at>@)", re.I)


class Redactor:
    """Knows the secret values of this process and scrubs them, and token-like fields, from any text.

    It is a structlog processor (`configure_logging(extra_processors=[redactor])`), a stdlib logging
    filter (`install_stdlib()`), and a plain function for error lines (`redact_text`)."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self.add(*values)

    # ------------------------------------------------------------------------- learning secrets

    def add(self, *values: str | None) -> None:
        """Remember secret values (and their URL-encoded forms) so they are scrubbed from now on."""
        fresh: set[str] = set()
        for value in values:
            if not value or len(value) < MIN_SECRET_LENGTH or value.startswith(SECRET_PREFIX):
                continue
            fresh.update({value, quote(value, safe=""), quote_plus(value)})
        with self._lock:
            if fresh <= self._values:
                return
            self._values |= fresh
            ordered = sorted(self._values, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(value) for value in ordered))

    def learn_settings(self, settings: Settings) -> None:
        """Every literal credential in the configuration (references `secret:NAME` are learnt when
        resolved, through `add`)."""
        for connector in settings.connectors:
            credentials = getattr(connector, "credentials", None)
            if credentials is not None:
                self.add(*(str(v) for k, v in credentials.model_dump().items() if _is_secret_field(k)))
        if settings.notifications.webhook is not None:
            self.add(settings.notifications.webhook.signing_secret)
        if settings.notifications.email is not None:
            self.add(settings.notifications.email.password)
        match = _URL_PASSWORD.search(settings.database_url)
        if match:
            self.add(match.group("value"))

    # ------------------------------------------------------------------------- scrubbing

    def redact_text(self, text: str) -> str:
        """The text with every known secret value, token-like field value and URL password replaced."""
        pattern = self._pattern
        if pattern is not None:
            text = pattern.sub(REDACTED, text)
        text = _FIELD.sub(_redact_field, text)
        text = _SCHEME.sub(lambda m: f"{m.group('scheme')} {REDACTED}", text)
        return _URL_PASSWORD.sub(lambda m: f"{m.group('head')}{REDACTED}{m.group('at')}", text)

    def redact(self, value: Any) -> Any:
        """Any log value: mappings (sensitive keys blanked), sequences, strings; other objects as text."""
        if isinstance(value, str):
            return self.redact_text(value)
        if value is None or isinstance(value, bool | int | float):
            return value
        if isinstance(value, Mapping):
            return {
                key: REDACTED if _is_sensitive_key(key) else self.redact(item) for key, item in value.items()
            }
        if isinstance(value, list | tuple | set | frozenset):
            return [self.redact(item) for item in value]
        return self.redact_text(str(value))

    def __call__(self, logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
        """The structlog processor: place it after format_exc_info so tracebacks are text already."""
        return {
            key: REDACTED if _is_sensitive_key(key) else self.redact(value)
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


def _is_sensitive_key(key: object) -> bool:
    return isinstance(key, str) and _squash(key) in _SENSITIVE_KEYS


def _is_secret_field(name: str) -> bool:
    """Credential fields that are identifiers rather than secrets (client_id, app_id, user ids) stay
    readable in logs: they help support and reveal nothing on their own."""
    return not _squash(name).endswith(("id", "userid"))


def _redact_field(match: re.Match[str]) -> str:
    scheme = f"{match.group('scheme')} " if match.group("scheme") else ""
    return f"{match.group('key')}{match.group('sep')}{scheme}{REDACTED}"
