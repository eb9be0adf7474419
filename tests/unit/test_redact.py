"""Secret redaction: known values and token-like fields never reach logs, tracebacks or error lines."""

from __future__ import annotations

import io
import json
import logging

import click
import pytest
import structlog

from config.loader import parse_config
from sync.cli import AppContext, cli, fail, main
from sync.logs import configure_logging
from sync.redact import REDACTED, Redactor

SECRET = "s3cr3t-Value/with+chars"


@pytest.mark.parametrize(
    "text",
    [
        "POST /oauth/v2/token?refresh_token=1000.abcdef&grant_type=refresh_token",
        '{"access_token": "1000.5f4dcc3b", "expires_in": 3600}',
        "{'appSecret': 'abcd1234', 'appId': 'FSAID_1'}",
        '{"permanentCode":"PC-998877","corpAccessToken":"CAT-112233"}',
        "Authorization: Zoho-oauthtoken 1000.aaaa.bbbb",
        "sent header Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig",
        "client-secret = 0123456789",
    ],
)
def test_token_like_fields_are_scrubbed_from_any_text(text: str) -> None:
    scrubbed = Redactor().redact_text(text)
    assert REDACTED in scrubbed
    for value in ("1000.abcdef", "5f4dcc3b", "abcd1234", "PC-998877", "CAT-112233", "aaaa.bbbb", "e30.sig"):
        assert value not in scrubbed
    assert "0123456789" not in scrubbed


def test_identifiers_next_to_secrets_stay_readable() -> None:
    scrubbed = Redactor().redact_text("{'appSecret': 'abcd1234', 'appId': 'FSAID_1'}")
    assert "FSAID_1" in scrubbed


def test_a_known_secret_value_is_scrubbed_wherever_it_appears_even_url_encoded() -> None:
    redactor = Redactor([SECRET])
    text = f"failed for {SECRET} and also sent as ?x=s3cr3t-Value%2Fwith%2Bchars"
    scrubbed = redactor.redact_text(text)
    assert "s3cr3t" not in scrubbed
    assert scrubbed.count(REDACTED) == 2


def test_the_password_in_a_database_url_is_scrubbed() -> None:
    scrubbed = Redactor().redact_text("cannot connect to postgresql+psycopg://ledger:hunter22@db:5432/lb")
    assert "hunter22" not in scrubbed
    assert "postgresql+psycopg://ledger:[REDACTED]@db:5432/lb" in scrubbed


def test_literal_credentials_in_the_config_are_learnt_but_secret_references_are_not() -> None:
    settings = parse_config(
        """
database_url: postgresql+psycopg://ledger:dbpass-123@db/lb
connectors:
  - name: fxk
    kind: fxiaoke
    credentials:
      app_id: FSAID_131
      app_secret: fx-app-secret-value
      permanent_code: secret:fxk-permanent
      current_open_user_id: FSUID_1
notifications:
  webhook: {url: "https://hooks.example/lb", signing_secret: hook-signing-key}
""",
        "test.yaml",
        {},
    )
    redactor = Redactor()
    redactor.learn_settings(settings)
    text = redactor.redact_text(
        "fx-app-secret-value hook-signing-key dbpass-123 FSAID_131 secret:fxk-permanent"
    )
    assert text == f"{REDACTED} {REDACTED} {REDACTED} FSAID_131 secret:fxk-permanent"


def test_log_events_have_sensitive_keys_blanked_and_nested_values_scrubbed() -> None:
    redactor = Redactor([SECRET])
    event = redactor(
        None,
        "info",
        {
            "event": "token.saved",
            "Authorization": "Zoho-oauthtoken xyz",
            "body": {"refresh_token": "abc", "rows": [f"value {SECRET}"], "count": 3},
            "error": ValueError(f"bad {SECRET}"),
        },
    )
    assert event["Authorization"] == REDACTED
    assert event["body"] == {"refresh_token": REDACTED, "rows": [f"value {REDACTED}"], "count": 3}
    assert event["error"] == f"bad {REDACTED}"


@pytest.mark.usefixtures("restore_logging")
def test_exception_tracebacks_in_structlog_json_lines_are_scrubbed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    redactor = Redactor([SECRET])
    configure_logging("debug", json_output=True, extra_processors=[redactor])
    try:
        raise RuntimeError(f"vendor said access_token=tok-123456 for {SECRET}")
    except RuntimeError:
        structlog.get_logger("t").exception("sync.failed", detail={"client_secret": SECRET})
    line = capsys.readouterr().err.strip().splitlines()[-1]
    event = json.loads(line)
    assert "Traceback" in event["exception"]
    assert SECRET not in line
    assert "tok-123456" not in line


@pytest.mark.usefixtures("restore_logging")
def test_standard_library_log_records_and_their_tracebacks_are_scrubbed() -> None:
    stream = io.StringIO()
    logger = logging.getLogger("ledgerbridge.test.stdlib")
    logger.propagate = False
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    try:
        Redactor([SECRET]).install_stdlib(logger)
        try:
            raise ValueError(f"inner {SECRET}")
        except ValueError:
            logger.exception("job %s raised", f"refresh_token={SECRET}")
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert "ValueError: inner" in output
    assert SECRET not in output
    assert "s3cr3t" not in output


@click.command("leak-test")
@click.pass_obj
def _leaky(app: AppContext) -> None:
    app.redactor.add(SECRET)
    fail(f"could not authenticate with {SECRET}")


@click.command("crash-test")
@click.pass_obj
def _crashing(app: AppContext) -> None:
    app.redactor.add(SECRET)
    raise RuntimeError(f"unexpected {SECRET}")


@pytest.mark.usefixtures("restore_logging")
def test_cli_error_lines_and_internal_error_tracebacks_never_show_a_learnt_secret(
    capsys: pytest.CaptureFixture[str],
) -> None:
    cli.add_command(_leaky)
    cli.add_command(_crashing)
    try:
        assert main(["leak-test"]) == 1
        failed = capsys.readouterr().err
        assert main(["crash-test"]) == 1
        crashed = capsys.readouterr().err
    finally:
        cli.commands.pop("leak-test")
        cli.commands.pop("crash-test")
    assert failed.strip() == f"ledgerbridge: could not authenticate with {REDACTED}"
    assert "Traceback" in crashed
    assert "RuntimeError: unexpected [REDACTED]" in crashed
    assert SECRET not in crashed


# ----------------------------------------------------------------------------- issue 13: one registry


def test_a_token_minted_at_run_time_is_scrubbed_in_every_spelling_once_registered() -> None:
    from urllib.parse import quote, quote_plus

    from config.redaction import SecretValues

    known = SecretValues()
    token = "1000.minted/tok+en 9"
    encoded = quote(token, safe="")
    text = f"a {token} b {encoded} c {encoded.lower()} d {quote_plus(token)} e {json.dumps(token)}"
    assert known.redact_text(text) == text  # not known yet: nothing to recognise it by
    known.add(token, minted=True)
    scrubbed = known.redact_text(text)
    assert scrubbed.count(REDACTED) == 5
    assert "minted" not in scrubbed
    assert "tok" not in scrubbed


def test_every_redactor_and_every_sink_share_the_one_process_registry() -> None:
    from config.redaction import redact_text, remember_secret

    remember_secret("corp-token-from-a-connector-5521", minted=True)
    assert "5521" not in Redactor().redact_text("echo corp-token-from-a-connector-5521")
    Redactor().add("learnt-by-the-cli-7734")
    assert redact_text("echo learnt-by-the-cli-7734") == f"echo {REDACTED}"


def test_minted_tokens_are_remembered_up_to_a_bound_but_configuration_secrets_forever() -> None:
    from config.redaction import MAX_MINTED, SecretValues

    known = SecretValues()
    known.add("lasting-config-secret")
    for n in range(MAX_MINTED + 10):
        known.add(f"minted-token-{n:05d}", minted=True)
    assert "lasting-config-secret" in known
    assert "minted-token-00000" not in known
    assert f"minted-token-{MAX_MINTED + 9:05d}" in known


@pytest.mark.parametrize(
    "text",
    [
        "client_secret%3Dabc123def%26grant_type%3Drefresh_token",
        "%22access_token%22%3A%22tok-998877%22",
        '{\\"corpAccessToken\\":\\"CAT-123456\\"}',
        "appSecret=xyz987654&appId=FSAID_1",
    ],
)
def test_credential_named_fields_are_scrubbed_in_url_encoded_and_escaped_json_forms(text: str) -> None:
    scrubbed = Redactor().redact_text(text)
    for value in ("abc123def", "tok-998877", "CAT-123456", "xyz987654"):
        assert value not in scrubbed
    assert REDACTED in scrubbed
    assert "[REDACTED]]" not in scrubbed


def test_text_with_bytes_that_were_not_utf8_becomes_storable_with_the_bytes_shown() -> None:
    scrubbed = Redactor().redact_text("vendor said caf\udce9 and \ud800")
    assert scrubbed == "vendor said caf\\xe9 and \\ud800"
    scrubbed.encode("utf-8")  # no lone surrogate left: PostgreSQL and SQLite both store it


def test_a_credential_name_inside_a_longer_word_is_not_a_field() -> None:
    text = "the key comes from $LEDGERBRIDGE_SECRET_KEY: pass --new-key-file PATH; my_password_hint: blue"
    assert Redactor().redact_text(text) == text


def test_the_webhook_document_and_the_email_text_of_a_digest_carry_no_known_token() -> None:
    from sync.notify import ConnectorAlert, Digest

    Redactor().add("digest-token-4411/zz")
    error = "Zoho CRM INVALID_DATA: echo digest-token-4411%2Fzz and digest-token-4411/zz"
    digest = Digest(run="sync crm", alerts=[ConnectorAlert("crm", "failing", 3, error)])
    document = json.dumps(digest.as_json())
    assert "4411" not in document
    assert "4411" not in digest.as_text()
    assert "INVALID_DATA" in document  # the vendor's words stay, only the value goes
    assert digest.as_text().count(REDACTED) == 2


def test_healthz_scrubs_an_error_stored_before_errors_were_scrubbed_at_write() -> None:
    from sync.health import HealthReport, StreamHealth

    Redactor().add("legacy-row-secret-8812")
    stream = StreamHealth("crm", "invoices", None, None, None, 1, "refused legacy-row-secret-8812", 0)
    served = json.dumps(HealthReport("ok", (), (stream,)).as_json())
    assert "8812" not in served
    assert f"refused {REDACTED}" in served


def test_a_run_stored_before_errors_were_scrubbed_reads_back_scrubbed_and_prints_scrubbed() -> None:
    from datetime import UTC, datetime

    from config.redaction import remember_secret
    from store.runs import RunRecord, _record
    from sync.engine import SyncRunResult

    secret = "s3cr3t-refresh-token-value"
    remember_secret(secret)
    stored = dict.fromkeys(RunRecord.__dataclass_fields__)
    stored.update(
        id=7,
        connector="zoho-books",
        stream="invoices",
        mode="incremental",
        status="failed",
        started_at=datetime(2026, 12, 1, tzinfo=UTC),
        error=f"401 from the vendor: refresh_token {secret} is invalid",
    )
    record = _record(stored)
    assert secret not in (record.error or "")
    unscrubbed = SyncRunResult.from_record(RunRecord(**{**stored, "error": f"echo {secret}"}))
    assert secret not in str(unscrubbed.to_json())
