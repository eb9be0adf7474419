"""Notification digests reach a loopback webhook (signed) and an SMTP server (STARTTLS), one per run."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from config.daemon import EmailSettings, NotificationSettings, WebhookSettings
from sync.notify import SIGNATURE_HEADER, ConnectorAlert, Digest, Notifier

SIGNING_KEY = "hook-signing-key-42"


@dataclass
class _Receiver:
    """A loopback webhook receiver that answers with the queued statuses, then 200."""

    statuses: list[int] = field(default_factory=list)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def receiver() -> Iterator[_Receiver]:
    state = _Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.received.append((dict(self.headers), body))
            status = state.statuses.pop(0) if state.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/ledgerbridge"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _digest() -> Digest:
    return Digest(
        run="reconcile crm-vs-books-invoices 2026-10",
        new_exceptions={"missing_in_right": 3, "amount_mismatch": 2},
        examples=["INV-000123 missing in zoho-books (1,200.00 CNY)"],
        alerts=[ConnectorAlert("fxiaoke", "credentials", failures=1, error="permanent code revoked")],
    )


def _notifier(settings: NotificationSettings, delays: list[float] | None = None) -> Notifier:
    sink = delays if delays is not None else []
    return Notifier(settings, resolve=lambda value: value, sleep=sink.append)


def test_a_digest_with_many_exceptions_is_one_signed_json_post(receiver: _Receiver) -> None:
    settings = NotificationSettings(webhook=WebhookSettings(url=receiver.url, signing_secret=SIGNING_KEY))
    deliveries = _notifier(settings).send(_digest())

    assert [(d.channel, d.ok) for d in deliveries] == [("webhook", True)]
    assert len(receiver.received) == 1
    headers, body = receiver.received[0]
    expected = "sha256=" + hmac.new(SIGNING_KEY.encode(), body, hashlib.sha256).hexdigest()
    assert headers[SIGNATURE_HEADER] == expected
    document = json.loads(body)
    assert document["new_exceptions"] == {"missing_in_right": 3, "amount_mismatch": 2}
    assert document["new_exceptions_total"] == 5
    assert document["alerts"][0] == {
        "connector": "fxiaoke",
        "problem": "credentials",
        "failures": 1,
        "error": "permanent code revoked",
    }


def test_an_unsigned_webhook_carries_no_signature_header(receiver: _Receiver) -> None:
    _notifier(NotificationSettings(webhook=WebhookSettings(url=receiver.url))).send(_digest())
    headers, _ = receiver.received[0]
    assert SIGNATURE_HEADER not in headers


def test_a_failing_webhook_is_retried_with_growing_delays_until_it_answers(receiver: _Receiver) -> None:
    receiver.statuses = [500, 503]
    delays: list[float] = []
    settings = NotificationSettings(
        webhook=WebhookSettings(url=receiver.url), attempts=3, retry_delay_seconds=1.5
    )
    deliveries = _notifier(settings, delays).send(_digest())
    assert deliveries[0].ok
    assert deliveries[0].attempts == 3
    assert delays == [1.5, 3.0]
    assert len(receiver.received) == 3


def test_a_webhook_that_never_answers_is_logged_and_given_up_without_raising(receiver: _Receiver) -> None:
    receiver.statuses = [500, 500]
    settings = NotificationSettings(webhook=WebhookSettings(url=receiver.url), attempts=2)
    deliveries = _notifier(settings).send(_digest())
    assert deliveries[0].ok is False
    assert deliveries[0].error == "HTTP 500"


def test_an_unreachable_webhook_does_not_reveal_its_url_in_the_error() -> None:
    settings = NotificationSettings(
        webhook=WebhookSettings(url="http://127.0.0.1:9/hooks/T000/B000/secretpath"), attempts=1
    )
    delivery = _notifier(settings).send(_digest())[0]
    assert delivery.ok is False
    assert "secretpath" not in delivery.error


def test_an_empty_digest_sends_nothing(receiver: _Receiver) -> None:
    settings = NotificationSettings(webhook=WebhookSettings(url=receiver.url))
    assert _notifier(settings).send(Digest(run="sync zoho-books")) == []
    assert receiver.received == []


# ----------------------------------------------------------------------------- e-mail


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "smtp.crt", tmp_path / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []
        self.logins: list[tuple[str, str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 OK"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        assert isinstance(data, LoginPassword)
        self.logins.append((data.login.decode(), data.password.decode()))
        return AuthResult(success=data.password == b"smtp-pass-123")


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[tuple[_Inbox, int, Path]]:
    cert_path, key_path = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    inbox = _Inbox()
    with socket.socket() as probe:  # aiosmtpd cannot bind port 0 and report it: ask the OS for a free one
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=inbox.authenticate,
        auth_require_tls=True,
    )
    controller.start()
    try:
        yield inbox, port, cert_path
    finally:
        controller.stop()


def test_a_digest_is_one_e_mail_sent_over_starttls_with_login(smtp_server: tuple[_Inbox, int, Path]) -> None:
    inbox, port, ca_file = smtp_server
    email = EmailSettings(
        host="127.0.0.1",
        port=port,
        username="ledgerbridge",
        password="smtp-pass-123",
        sender="ledgerbridge@example.com",
        recipients=["finance@example.com", "ops@example.com"],
        ca_file=str(ca_file),
    )
    deliveries = _notifier(NotificationSettings(email=email)).send(_digest())

    assert [(d.channel, d.ok) for d in deliveries] == [("email", True)]
    assert inbox.logins == [("ledgerbridge", "smtp-pass-123")]
    assert len(inbox.messages) == 1
    recipients, raw = inbox.messages[0]
    assert recipients == ["finance@example.com", "ops@example.com"]
    message = message_from_bytes(raw)
    assert message["Subject"].startswith("[ledgerbridge] 5 new exceptions; fxiaoke needs credentials")
    body = message.get_payload(decode=True).decode()
    assert "missing_in_right: 3" in body
    assert "INV-000123 missing in zoho-books" in body
    assert "ledgerbridge connector test fxiaoke" in body


def test_an_smtp_server_whose_certificate_is_not_trusted_gets_nothing_and_nothing_raises(
    smtp_server: tuple[_Inbox, int, Path],
) -> None:
    inbox, port, _ = smtp_server
    email = EmailSettings(
        host="127.0.0.1", port=port, sender="lb@example.com", recipients=["finance@example.com"]
    )
    deliveries = _notifier(NotificationSettings(email=email, attempts=2)).send(_digest())
    assert deliveries[0].ok is False
    assert deliveries[0].attempts == 2
    assert "SSL" in deliveries[0].error
    assert inbox.messages == []


def test_both_channels_get_the_same_digest_once(
    receiver: _Receiver, smtp_server: tuple[_Inbox, int, Path]
) -> None:
    inbox, port, ca_file = smtp_server
    settings = NotificationSettings(
        webhook=WebhookSettings(url=receiver.url, signing_secret=SIGNING_KEY),
        email=EmailSettings(
            host="127.0.0.1",
            port=port,
            sender="lb@example.com",
            recipients=["finance@example.com"],
            ca_file=str(ca_file),
        ),
    )
    deliveries = _notifier(settings).send(_digest())
    assert all(d.ok for d in deliveries)
    assert len(receiver.received) == 1
    assert len(inbox.messages) == 1


def test_a_password_without_starttls_is_refused_at_config_load() -> None:
    with pytest.raises(ValueError, match="only sent over STARTTLS"):
        EmailSettings(host="relay", starttls=False, password="x", sender="a@b.c", recipients=["d@e.f"])
