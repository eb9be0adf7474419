"""`ledgerbridge connector test` for Zoho: sign in, read one page per stream, say what to fix."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from connectors.base import CheckResult
from connectors.errors import ConnectorError
from connectors.zoho.client import ZohoSession


def check_streams(
    session: ZohoSession,
    readers: Mapping[str, Callable[[], int]],
    *,
    extra: Sequence[Callable[[], CheckResult]] = (),
) -> list[CheckResult]:
    """Sign in first (nothing else can work without it), then `extra` checks, then one page per stream.
    Every failure carries the vendor's code and our hint (scope, data center, organization id)."""
    sign_in = f"sign in at {session.endpoints.accounts_url}"
    try:
        token = session.auth.token()
    except ConnectorError as exc:
        return [
            CheckResult(sign_in, False, str(exc)),
            *(CheckResult(f"stream {name}", False, "skipped: cannot sign in") for name in readers),
        ]
    results = [
        CheckResult(
            sign_in,
            True,
            f"access token valid until {token.expires_at:%Y-%m-%d %H:%M} UTC; API at {session.api_base()}",
        )
    ]
    results.extend(check() for check in extra)
    for name, read in readers.items():
        try:
            count = read()
        except ConnectorError as exc:
            results.append(CheckResult(f"stream {name}", False, str(exc)))
        else:
            results.append(CheckResult(f"stream {name}", True, f"read {count} record(s) from the first page"))
    return results
