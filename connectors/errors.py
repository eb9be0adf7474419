"""The connector error vocabulary: every vendor failure is translated into one of these, in one place."""

from __future__ import annotations

from datetime import datetime

from pydantic_core import ErrorDetails

from connectors.reasons import NO_VALUE, Rule, shown, validation_rule, validation_value


class ConnectorError(Exception):
    """Base of all connector failures. `vendor_code` and `trace_id` carry the vendor's own words."""

    def __init__(self, message: str, *, vendor_code: str | None = None, trace_id: str | None = None) -> None:
        super().__init__(message)
        self.vendor_code = vendor_code
        self.trace_id = trace_id


class TransientError(ConnectorError):
    """Worth retrying: connection reset, timeout, 429, 5xx, truncated or non-JSON body, vendor 'busy'."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        vendor_code: str | None = None,
        trace_id: str | None = None,
    ) -> None:
        super().__init__(message, vendor_code=vendor_code, trace_id=trace_id)
        self.retry_after = retry_after


class RateLimitedError(TransientError):
    """A per-minute or concurrency limit: the organization's budget, shared with its other apps, is spent
    for now. The HTTP loop waits out the window (`retry_after` when the vendor said, else the rest of
    the minute), halves the connector's own request rate and goes on; never a reason to fail a stream."""


class AuthError(ConnectorError):
    """Credentials are wrong, revoked, for another data center, or lack a scope: an admin must act."""


class TokenExpiredError(AuthError):
    """The access token was refused as expired/invalid/revoked: refresh once and retry. `persisting` is
    what to tell the admin when a token minted after the refusal is refused too (then it is a scope,
    permission or data-center problem, not an old token)."""

    def __init__(
        self,
        message: str,
        *,
        persisting: str | None = None,
        vendor_code: str | None = None,
        trace_id: str | None = None,
    ) -> None:
        super().__init__(message, vendor_code=vendor_code, trace_id=trace_id)
        self.persisting = persisting

    def persisted(self) -> AuthError:
        """The error once a freshly minted token was refused as well: an admin must act."""
        return AuthError(
            self.persisting or f"{self} (refused again with a freshly minted token)",
            vendor_code=self.vendor_code,
            trace_id=self.trace_id,
        )


class FatalApiError(ConnectorError):
    """The vendor refused the request for a reason retrying will not fix (bad parameter, no permission)."""


class QuotaExhaustedError(FatalApiError):
    """The vendor's daily quota is spent; the stream stops until `resets_at`."""

    def __init__(
        self,
        message: str,
        *,
        resets_at: datetime | None = None,
        vendor_code: str | None = None,
        trace_id: str | None = None,
    ) -> None:
        super().__init__(message, vendor_code=vendor_code, trace_id=trace_id)
        self.resets_at = resets_at


class RecordError(ValueError):
    """One raw record cannot be normalized: it is quarantined with this reason, the page goes on.

    `reason` is the English sentence; `field`, `rule` (connectors/reasons.py) and `value` (the offending
    value, shown: `reasons.shown`) are the same reason as data, for grouping and for other languages."""

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        rule: Rule = Rule.INVALID,
        value: object = NO_VALUE,
    ) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.reason = str(self)
        self.rule = rule
        self.value: str | None = None if value is NO_VALUE else shown(value)

    @classmethod
    def from_validation(cls, error: ErrorDetails, message: str, *, field: str | None) -> RecordError:
        """The record error a canonical model's validation error becomes: its rule and value read from
        the error (connectors/reasons.py), the sentence and the field as the normalizer words them."""
        made = cls(message, field=field, rule=validation_rule(error))
        made.value = validation_value(error)
        return made
