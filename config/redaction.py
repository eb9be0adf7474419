"""The one redaction path: every secret and token value this process knows, scrubbed from any text before
it is stored (sync_runs), printed (CLI), served (/healthz) or sent (webhook, e-mail) — and from logs.

It lives at the bottom layer so that every layer reaches the same registry: connectors register each
token the moment it is minted or loaded (`remember_secret`), the configuration's literal credentials and
every resolved `secret:NAME` are registered when read, the store scrubs error text as it writes it, and
sync/redact.py's `Redactor` (structlog, stdlib logging, CLI error lines) scrubs with the same values.

A value is recognised in every form a vendor may echo it in: as is, percent-encoded (upper or lower case
hex, `+` for a space, whole or in part), JSON-escaped (`\\/`, `\\uXXXX`); and fields named like credentials
(`client_secret=...`, `"corpAccessToken":"..."`, `Authorization: Bearer ...`) are blanked whatever their
value. Text is also made storable: a byte that was not valid UTF-8 (a lone surrogate) becomes `\\xNN`.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, Final

from config.settings import SECRET_PREFIX

REDACTED: Final = "[REDACTED]"

MIN_SECRET_LENGTH: Final = 6
"""Known values shorter than this are not scrubbed by value (they would mangle ordinary words); fields
named like tokens are still scrubbed whatever their length."""

MAX_MINTED: Final = 512
"""Tokens minted at run time that are remembered (the newest): a daemon mints one per connector per
hour or so, and a token a vendor could still echo is younger than that."""

SENSITIVE_NAMES: Final = (
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


def squash(name: str) -> str:
    """A field name without case, `_` or `-`: appSecret, app_secret and APP-SECRET are one name."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


_SENSITIVE_KEYS: Final = frozenset(squash(name) for name in SENSITIVE_NAMES)

_KEY_ALTERNATION = "|".join(
    name.replace("_", "[_-]?") for name in sorted(SENSITIVE_NAMES, key=len, reverse=True)
)
# `access_token=...`, `"refreshToken": "..."`, `'client_secret': '...'`, `permanentCode: ...`, and their
# URL-encoded spellings (`client_secret%3D...`, `%22access_token%22%3A%22...`).
_QUOTE = r"(?:[\"']|%22|%27|\\\")"
_FIELD: Final = re.compile(
    rf"(?P<key>(?:(?<![A-Za-z0-9_])|(?<=%22)|(?<=%27))(?:{_KEY_ALTERNATION})(?![A-Za-z0-9_]))"
    rf"(?P<sep>{_QUOTE}?\s*(?:[:=]|%3A|%3D)\s*{_QUOTE}?)"
    r"(?:(?P<scheme>Bearer|Basic|Zoho-oauthtoken|token)(?:\s+|\+|%20))?"
    r"(?!\[REDACTED\])(?P<value>(?:(?!%22|%27|%26|%2C)[^\s\"'&,;}\]\\])+)",
    re.IGNORECASE,
)
# A bare credential after an auth scheme, wherever it appears.
_SCHEME: Final = re.compile(r"\b(?P<scheme>Bearer|Zoho-oauthtoken)\s+(?P<value>[A-Za-z0-9._~+/=-]{6,})")
# The password in a URL: postgresql://user:password@host/db
URL_PASSWORD: Final = re.compile(
    r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<value>[^@\s/]+)(?P<at>@)", re.IGNORECASE
)
_SURROGATE: Final = re.compile("[\ud800-\udfff]")

_UNRESERVED: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _char_forms(char: str) -> str:
    """A regex for one character of a secret in any spelling a vendor may echo it in."""
    forms = [re.escape(char)]
    if char not in _UNRESERVED:
        forms.append("".join(f"%{byte:02x}" for byte in char.encode("utf-8")))  # any hex case (re.I)
        forms.append(re.escape(f"\\u{ord(char):04x}") if ord(char) < 0x10000 else "")
        if char == " ":
            forms.append(r"\+")
        if char in '/"\\':
            forms.append(re.escape(f"\\{char}"))
    return "(?:" + "|".join(form for form in forms if form) + ")"


def value_pattern(value: str) -> str:
    """A regex matching `value` plain, percent-encoded (wholly or partly, either hex case) or JSON-escaped."""
    return "".join(_char_forms(char) for char in value)


def _anchor(value: str) -> str | None:
    runs = re.findall(r"[A-Za-z0-9._~-]{4,}", value)
    return max(runs, key=len).lower() if runs else None


class SecretValues:
    """The secret and token values this process knows. Thread-safe; one per process (`KNOWN`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lasting: set[str] = set()
        self._minted: OrderedDict[str, None] = OrderedDict()
        self._patterns: list[tuple[str | None, re.Pattern[str]]] = []
        self._compiled_for: dict[str, tuple[str | None, re.Pattern[str]]] = {}
        self._stale = False

    def add(self, *values: str | None, minted: bool = False) -> None:
        """Remember values (configuration secrets for the process's life; `minted` tokens among the
        newest MAX_MINTED). Short values and `secret:NAME` references are not values."""
        fresh = [v for v in values if v and len(v) >= MIN_SECRET_LENGTH and not v.startswith(SECRET_PREFIX)]
        if not fresh:
            return
        with self._lock:
            changed = False
            for value in fresh:
                if value in self._lasting:
                    continue
                if minted:
                    changed |= value not in self._minted
                    self._minted[value] = None
                    self._minted.move_to_end(value)
                    while len(self._minted) > MAX_MINTED:
                        self._minted.popitem(last=False)
                        changed = True
                else:
                    self._minted.pop(value, None)
                    self._lasting.add(value)
                    changed = True
            if changed:
                self._stale = True  # compiled at the next use: a burst of adds compiles once

    def forget_all(self) -> None:
        """Tests only: start from nothing known."""
        with self._lock:
            self._lasting.clear()
            self._minted.clear()
            self._patterns = []
            self._stale = False

    def _compiled(self) -> list[tuple[str | None, re.Pattern[str]]]:
        """(anchor, pattern) per value, longest value first. The anchor is the value's longest run of
        characters no encoder changes, lower-cased: where it is absent, the value cannot be (a cheap
        substring test saves running every value's pattern over every log line)."""
        with self._lock:
            if self._stale:
                ordered = sorted(self._lasting | set(self._minted), key=len, reverse=True)
                cache = self._compiled_for
                self._compiled_for = {
                    v: cache.get(v) or (_anchor(v), re.compile(value_pattern(v), re.IGNORECASE))
                    for v in ordered
                }
                self._patterns = list(self._compiled_for.values())
                self._stale = False
            return self._patterns

    def __contains__(self, value: object) -> bool:
        with self._lock:
            return value in self._lasting or value in self._minted

    def redact_text(self, text: str) -> str:
        """The text with every known value (in any spelling), every credential-named field's value and
        every URL password replaced by [REDACTED], and lone surrogates written as `\\xNN` escapes."""
        if not text:
            return text
        patterns = self._compiled()
        if patterns:
            lowered = text.lower()
            for anchor, pattern in patterns:
                if anchor is None or anchor in lowered:
                    text = pattern.sub(REDACTED, text)
        text = _FIELD.sub(_redact_field, text)
        text = _SCHEME.sub(lambda m: f"{m.group('scheme')} {REDACTED}", text)
        text = URL_PASSWORD.sub(lambda m: f"{m.group('head')}{REDACTED}{m.group('at')}", text)
        return _SURROGATE.sub(_escape_surrogate, text)

    def redact(self, value: Any) -> Any:
        """Any value: mappings (credential-named keys blanked), sequences, strings; other objects as text."""
        if isinstance(value, str):
            return self.redact_text(value)
        if value is None or isinstance(value, bool | int | float):
            return value
        if isinstance(value, Mapping):
            return {
                key: REDACTED if is_sensitive_key(key) else self.redact(item) for key, item in value.items()
            }
        if isinstance(value, list | tuple | set | frozenset):
            return [self.redact(item) for item in value]
        return self.redact_text(str(value))


KNOWN: Final = SecretValues()
"""This process's secrets: the one registry every sink scrubs with."""


def remember_secret(*values: str | None, minted: bool = False) -> None:
    """Register credential values the moment they are read or minted (access tokens, rotated refresh
    tokens, corpAccessToken) so no sink ever shows them, whatever a vendor echoes."""
    KNOWN.add(*values, minted=minted)


def redact_text(text: str) -> str:
    """`text` scrubbed with everything this process knows (see SecretValues.redact_text)."""
    return KNOWN.redact_text(text)


def redact_optional(text: str | None) -> str | None:
    return None if text is None else KNOWN.redact_text(text)


def redact(value: Any) -> Any:
    return KNOWN.redact(value)


def is_sensitive_key(key: object) -> bool:
    return isinstance(key, str) and squash(key) in _SENSITIVE_KEYS


def _redact_field(match: re.Match[str]) -> str:
    scheme = f"{match.group('scheme')} " if match.group("scheme") else ""
    return f"{match.group('key')}{match.group('sep')}{scheme}{REDACTED}"


def _escape_surrogate(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"
