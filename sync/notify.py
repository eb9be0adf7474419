"""Notification digests: one message per run to a signed webhook and/or e-mail; failures never fatal."""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import requests
import structlog

from config.daemon import EmailSettings, NotificationSettings, WebhookSettings
from config.redaction import redact, redact_text

log = structlog.get_logger(__name__)

SIGNATURE_HEADER = "X-Ledgerbridge-Signature"
"""`sha256=<hex HMAC-SHA256 of the exact request body under the signing secret>`."""


@dataclass(frozen=True)
class ConnectorAlert:
    """A connector that keeps failing, needs new credentials, or has recovered."""

    connector: str
    problem: str
    """`failing`, `credentials`, `recovered`, `count_drift` (a stream's vendor count differs from the
    ledger's: `error` says which stream and both numbers) or `daily_cap` (the vendor's daily API cap is
    spent: `error` says when it resets; the daemon resumes by itself then) or `refresh_expiring` (the
    OAuth refresh token dies within 30 days or has died: `error` says when and the command to run) or
    `statement_rejected` (a bank statement file of the connector's inbox was rejected whole: `error`
    names the file and the reason; told once, the file having moved to rejected/)."""
    failures: int = 0
    error: str = ""


def drift_alert(connector: str, stream: str, vendor: int, ledger: int, quarantined: int) -> ConnectorAlert:
    """A completeness check that found a difference: both numbers, in words a person acts on."""
    text = (
        f"{stream}: the vendor counts {vendor} records, the ledger has {ledger + quarantined}"
        f" ({ledger} documents + {quarantined} quarantined)"
    )
    return ConnectorAlert(connector, "count_drift", 0, text)


@dataclass(frozen=True)
class Digest:
    """What one run has to tell people: new exceptions by type, and connectors in trouble."""

    run: str
    """What ran, e.g. `reconcile crm-vs-books-invoices 2026-10` or `sync zoho-books`."""
    new_exceptions: Mapping[str, int] = field(default_factory=dict)
    """Discrepancy type -> number of exceptions first seen in this run."""
    examples: Sequence[str] = ()
    """A few one-line descriptions of new exceptions, so the message says more than counts."""
    alerts: Sequence[ConnectorAlert] = ()
    at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def empty(self) -> bool:
        return not any(self.new_exceptions.values()) and not self.alerts

    @property
    def subject(self) -> str:
        parts = []
        total = sum(self.new_exceptions.values())
        if total:
            parts.append(f"{total} new exception{'s' if total != 1 else ''}")
        for problem, label in (
            ("credentials", "needs credentials"),
            ("failing", "failing"),
            ("count_drift", "count drift"),
            ("daily_cap", "paused until its daily API cap resets"),
            ("refresh_expiring", "must be re-authorized"),
            ("statement_rejected", "rejected a statement file"),
        ):
            names = list(dict.fromkeys(a.connector for a in self.alerts if a.problem == problem))
            if names:
                parts.append(f"{', '.join(names)} {label}")
        recovered = [a.connector for a in self.alerts if a.problem == "recovered"]
        if recovered:
            parts.append(f"{', '.join(recovered)} recovered")
        return f"[ledgerbridge] {'; '.join(parts) or 'nothing new'} ({self.run})"

    def as_json(self) -> dict[str, Any]:
        """The webhook's document, scrubbed of every known secret and token (errors echo vendors)."""
        scrubbed: dict[str, Any] = redact(self._document())
        return scrubbed

    def _document(self) -> dict[str, Any]:
        return {
            "run": self.run,
            "at": self.at.isoformat(),
            "new_exceptions": dict(self.new_exceptions),
            "new_exceptions_total": sum(self.new_exceptions.values()),
            "examples": list(self.examples),
            "alerts": [
                {"connector": a.connector, "problem": a.problem, "failures": a.failures, "error": a.error}
                for a in self.alerts
            ],
        }

    def as_text(self) -> str:
        """The e-mail's body, scrubbed like the webhook's document."""
        return redact_text(self._text())

    def _text(self) -> str:
        lines = [self.subject.removeprefix("[ledgerbridge] "), ""]
        if self.new_exceptions:
            lines.append("New exceptions by type:")
            lines += [f"  {kind}: {count}" for kind, count in sorted(self.new_exceptions.items())]
            lines += [f"  - {example}" for example in self.examples]
            lines += ["", "Review them with `ledgerbridge exceptions list --status open`.", ""]
        for alert in self.alerts:
            if alert.problem == "credentials":
                lines.append(
                    f"Connector {alert.connector} needs new credentials: {alert.error}\n"
                    f"  Store them with `ledgerbridge secret set ...`, then `ledgerbridge connector test "
                    f"{alert.connector}`."
                )
            elif alert.problem == "count_drift":
                lines.append(
                    f"Connector {alert.connector} may have dropped records: {alert.error}\n"
                    f"  See `ledgerbridge sync status`; `ledgerbridge sync run --connector {alert.connector}"
                    " --full` reads everything again."
                )
            elif alert.problem == "daily_cap":
                lines.append(
                    f"Connector {alert.connector} stopped on the vendor's spent daily API cap: "
                    f"{alert.error}\n  Nothing to do: the daemon resumes it after the reset. The cap is the "
                    "organization's, shared with its other apps."
                )
            elif alert.problem == "statement_rejected":
                lines.append(
                    f"Connector {alert.connector} rejected a statement file, nothing of it loaded: "
                    f"{alert.error}\n  It is in the connector's rejected/ folder with a .reason.txt; "
                    "fix or export it again and drop it into the inbox."
                )
            elif alert.problem == "refresh_expiring":
                lines.append(f"Connector {alert.connector} must be re-authorized: {alert.error}")
            elif alert.problem == "failing":
                lines.append(
                    f"Connector {alert.connector} failed {alert.failures} runs in a row: {alert.error}"
                )
            else:
                lines.append(f"Connector {alert.connector} works again.")
        return "\n".join(lines).rstrip() + "\n"


@dataclass(frozen=True)
class Delivery:
    channel: str
    ok: bool
    attempts: int
    error: str = ""


def sign(body: bytes, secret: str) -> str:
    """The signature header value receivers recompute to trust a digest."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class Notifier:
    """Sends digests to the configured channels, retrying each a few times; never raises."""

    def __init__(
        self,
        settings: NotificationSettings,
        resolve: Callable[[str], str] = lambda value: value,
        *,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._settings = settings
        self._resolve = resolve
        self._session = session or requests.Session()
        self._sleep = sleep

    @property
    def configured(self) -> bool:
        return self._settings.webhook is not None or self._settings.email is not None

    def send(self, digest: Digest) -> list[Delivery]:
        """Deliver one digest to every channel; an empty digest sends nothing."""
        if digest.empty or not self.configured:
            return []
        deliveries = []
        if self._settings.webhook is not None:
            webhook = self._settings.webhook
            deliveries.append(self._attempt("webhook", lambda: self._post(webhook, digest)))
        if self._settings.email is not None:
            email = self._settings.email
            deliveries.append(self._attempt("email", lambda: self._mail(email, digest)))
        return deliveries

    def close(self) -> None:
        self._session.close()

    # ------------------------------------------------------------------------- channels

    def _attempt(self, channel: str, send: Callable[[], None]) -> Delivery:
        attempts = self._settings.attempts
        error = ""
        for attempt in range(1, attempts + 1):
            try:
                send()
            except (requests.RequestException, smtplib.SMTPException, OSError) as exc:
                error = _describe(exc)
                log.warning("notify.failed", channel=channel, attempt=attempt, of=attempts, error=error)
                if attempt < attempts:
                    self._sleep(self._settings.retry_delay_seconds * 2 ** (attempt - 1))
                continue
            log.info("notify.sent", channel=channel, attempts=attempt)
            return Delivery(channel, ok=True, attempts=attempt)
        log.error("notify.gave_up", channel=channel, attempts=attempts, error=error)
        return Delivery(channel, ok=False, attempts=attempts, error=error)

    def _post(self, webhook: WebhookSettings, digest: Digest) -> None:
        document = {"id": str(uuid.uuid4()), "sent_at": datetime.now(UTC).isoformat(), **digest.as_json()}
        body = json.dumps(document, ensure_ascii=False, sort_keys=True).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8", **webhook.headers}
        if webhook.signing_secret:
            headers[SIGNATURE_HEADER] = sign(body, self._resolve(webhook.signing_secret))
        response = self._session.post(
            webhook.url, data=body, headers=headers, timeout=webhook.timeout_seconds
        )
        response.raise_for_status()

    def _mail(self, email: EmailSettings, digest: Digest) -> None:
        message = EmailMessage()
        message["Subject"] = redact_text(digest.subject)
        message["From"] = email.sender
        message["To"] = ", ".join(email.recipients)
        message.set_content(digest.as_text())
        with smtplib.SMTP(email.host, email.port, timeout=email.timeout_seconds) as smtp:
            smtp.ehlo()
            if email.starttls:
                smtp.starttls(context=ssl.create_default_context(cafile=email.ca_file))
                smtp.ehlo()
            if email.username:
                smtp.login(email.username, self._resolve(email.password or ""))
            smtp.send_message(message)


def _describe(exc: BaseException) -> str:
    """The failure without the webhook URL (chat webhooks carry their secret in the path)."""
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return f"HTTP {exc.response.status_code}"
    if isinstance(exc, requests.RequestException):
        return type(exc).__name__
    return f"{type(exc).__name__}: {exc}"
