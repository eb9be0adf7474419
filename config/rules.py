"""Reconciliation rule settings (`reconcile:` in the YAML file): validated at load, named in errors."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from config.schedule import Schedule

DocKind = Literal["sales_order", "invoice", "payment", "credit_note", "bank_transaction"]
AuditCheck = Literal[
    "total_not_subtotal_plus_tax",
    "total_not_sum_of_lines",
    "negative_amount",
    "due_before_issue",
    "invoice_before_order",
    "missing_owner",
    "possible_duplicate",
    "discount_above_limit",
    "unusual_amount",
    "credit_note_exceeds_invoice",
]
ALL_AUDIT_CHECKS: tuple[AuditCheck, ...] = get_args(AuditCheck)
IMPLICIT_AUDIT_PLAN = "audit"
"""The plan the per-rule `audit:` key and the global `reconcile.audit` list are mapped onto."""
CompareField = Literal["total", "subtotal", "tax", "currency", "party", "issued_on", "due_on", "status"]
DEFAULT_COMPARE: tuple[CompareField, ...] = ("total", "currency", "party", "issued_on", "status")
FilterField = Literal["status", "currency", "owner", "number_prefix"]

_KEY = re.compile(r"^(number|external_id|references\.[a-z0-9_]+)$")
_KEY_HELP = "number, external_id or references.<name>"
_HOW_MAX = 60
"""A key's name is stored as the match's `how` (reconcile_matches.how is 60 characters)."""
_PERIOD = re.compile(
    r"^(all|\d{4}|\d{4}-(0[1-9]|1[0-2])|\d{4}-Q[1-4]"
    r"|(current|previous)_(month|quarter|year))$"
)
PERIOD_HELP = "a period such as 2026-10, 2026-Q3, 2026, all, current_month or previous_month"


def _exact_decimal(value: Any) -> Any:
    """YAML reads 0.01 as a float; take its shortest text so the tolerance is exactly what was written."""
    if isinstance(value, float):
        return Decimal(repr(value))
    return value


ExactDecimal = Annotated[Decimal, BeforeValidator(_exact_decimal), Field(ge=0)]


def _known_period(value: str | None) -> str | None:
    if value is not None and not _PERIOD.match(value):
        raise ValueError(f"period {value!r} is not {PERIOD_HELP}")
    return value


PeriodName = Annotated[str | None, AfterValidator(_known_period)]
"""A rule's or plan's default period (`reconcile run --period` takes the same forms)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SideSpec(_Strict):
    """One set of documents: a connector's documents of one kind, optionally filtered."""

    source: str = Field(min_length=1)
    kind: DocKind
    filters: dict[FilterField, list[str]] = Field(default_factory=dict)

    @field_validator("filters", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: [v] if isinstance(v, str) else v for k, v in value.items()}
        return value


class Fuzzy(_Strict):
    """The scored-candidate pass: party names, amount within tolerance, date within a window; each
    candidate pair is scored on amount closeness, date distance, party likeness and reference overlap."""

    enabled: bool = True
    date_window_days: int = Field(default=7, ge=0, le=366)
    min_party_score: int = Field(default=85, ge=50, le=100)
    """How alike two normalized party names must be (rapidfuzz, 0-100) to be the same party."""
    margin: int = Field(default=5, ge=1, le=50)
    """How many points the best assignment of a group of candidates must beat every other assignment
    that pairs one of its documents differently by; otherwise those documents are ambiguous_match."""


class Tolerance(_Strict):
    """Differences at or under these limits are not discrepancies (0.01 under 0.01 is fine; 0.02 is not)."""

    amount: ExactDecimal = Decimal("0.01")
    amount_percent: ExactDecimal = Decimal(0)
    days: int = Field(default=0, ge=0, le=366)
    fx_percent: Annotated[ExactDecimal, Field(le=100)] = Decimal(2)
    """Documents in different currencies, when the rule does not compare `currency`: their totals in the
    base currency (at each document's own rate) may differ by this percentage of the larger one, on top
    of `amount` / `amount_percent` (rates of two systems are rarely the same to the cent)."""


def _schedule(value: Any) -> Any:
    """Validated by the Schedule model (a plain mapping is kept: rules compare and print it)."""
    if value is None:
        return None
    try:
        return Schedule.model_validate(value).model_dump(exclude_none=True)
    except ValidationError as exc:
        raise ValueError(str(exc.errors()[0]["msg"]).removeprefix("Value error, ")) from exc


class _RuleBase(_Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=60)
    tolerance: Tolerance = Field(default_factory=Tolerance)
    period: PeriodName = None
    schedule: Annotated[dict[str, int | str] | None, BeforeValidator(_schedule)] = None
    owner: str | None = None
    """New exceptions of this rule are assigned to this person."""
    after: list[str] = Field(default_factory=list)
    """Connector names: the sync job runs this rule after any of them synced."""
    audit: list[AuditCheck] | None = None
    """Audit checks on this rule's documents; None = the global `reconcile.audit` list."""


class CrossKey(_Strict):
    """A key naming a different field on each side, e.g. the CRM's number as Books' reference number:
    `{left: number, right: references.reference_number}`. When either field is `number`, both values
    are compared as normalized numbers (INV-000123 = ＩＮＶ－000123); otherwise as they are."""

    left: str
    right: str

    @classmethod
    def of(cls, value: dict[Any, Any]) -> CrossKey:
        """From the YAML mapping, with one-line errors (the loader prints the first error only)."""
        unknown = sorted(str(k) for k in value if k not in ("left", "right"))
        if unknown or "left" not in value or "right" not in value:
            raise ValueError(
                f"key {value!r} must be {{left: <key>, right: <key>}} with each <key> {_KEY_HELP}"
            )
        for side in ("left", "right"):
            field = value[side]
            if not isinstance(field, str) or not _KEY.match(field):
                raise ValueError(f"key {side}: {field!r} must be {_KEY_HELP}")
        key = cls(left=value["left"], right=value["right"])
        if len(key.name) > _HOW_MAX:
            raise ValueError(f"key {key.name!r} is longer than {_HOW_MAX} characters")
        return key

    @property
    def name(self) -> str:
        """How a match by this key is named (`Match.how`, reports): `number=references.reference_number`."""
        return f"{self.left}={self.right}"

    @property
    def normalizes(self) -> bool:
        """Both values are compared as normalized document numbers."""
        return "number" in (self.left, self.right)


def key_name(key: str | CrossKey) -> str:
    """A key as `Match.how` names it: the plain key itself, or `left=right`."""
    return key if isinstance(key, str) else key.name


class MatchRule(_RuleBase):
    """Left set against right set: exact keys, then scored candidates, then aggregates."""

    kind: Literal["match"] = "match"
    left: SideSpec
    right: SideSpec
    keys: list[str | CrossKey] = Field(default_factory=lambda: list[str | CrossKey](["number"]), min_length=1)
    """Tried in order. A plain key names one field compared on both sides; a CrossKey one field a side."""
    fuzzy: Fuzzy = Field(default_factory=Fuzzy)
    compare: list[CompareField] = Field(default_factory=lambda: list(DEFAULT_COMPARE))

    @field_validator("keys", mode="before")
    @classmethod
    def _known_keys(cls, value: Any) -> Any:
        if not isinstance(value, list):
            return value
        keys: list[str | CrossKey] = []
        for key in value:
            if isinstance(key, dict):
                keys.append(CrossKey.of(key))
            elif isinstance(key, CrossKey):
                keys.append(key)
            elif not isinstance(key, str) or not _KEY.match(key):
                raise ValueError(
                    f"key {key!r} must be {_KEY_HELP}, or {{left: <key>, right: <key>}} naming one a side"
                )
            else:
                keys.append(key)
        names = [key_name(key) for key in keys]
        if len(set(names)) != len(names):
            raise ValueError("a key is listed twice")
        return keys


class SettlementRule(_RuleBase):
    """Invoices against the payments and credit notes allocated to them."""

    kind: Literal["settlement"]
    invoices: SideSpec
    payments: SideSpec
    credit_notes: SideSpec | None = None

    @model_validator(mode="after")
    def _kinds_fit(self) -> SettlementRule:
        if self.payments.kind not in ("payment", "credit_note"):
            raise ValueError("payments.kind must be payment or credit_note")
        if self.credit_notes is not None and self.credit_notes.kind != "credit_note":
            raise ValueError("credit_notes.kind must be credit_note")
        return self


class FeeTolerance(_Strict):
    """How much a bank credit may fall short of the payments it settles as a fee (a card processor's payout
    net of its charges): up to `max(amount, percent% of the payments' sum)`. 0 and 0 = no fee accepted."""

    amount: ExactDecimal = Decimal(0)
    percent: Annotated[ExactDecimal, Field(le=100)] = Decimal(0)


class CollectionsRule(_RuleBase):
    """Accounting payments against the bank credits that should have brought the money in (issue 21):
    by reference, by numbers in the remittance text, by amount and date, batches net of fees, and
    payments received in parts (docs/reconcile.md#collections-rules)."""

    kind: Literal["collections"]
    payments: SideSpec
    bank: SideSpec
    date_window_days: int = Field(default=5, ge=0, le=366)
    """How many days a bank credit's booking (or value) date may be from the payment's date; also how long
    a payment waits for its money before it is `not_in_bank`."""
    fee_tolerance: FeeTolerance = Field(default_factory=FeeTolerance)
    margin: int = Field(default=5, ge=1, le=50)
    """As the match rule's fuzzy.margin: points the best amount-and-date assignment must win by."""

    @model_validator(mode="after")
    def _kinds_fit(self) -> CollectionsRule:
        if self.payments.kind != "payment":
            raise ValueError("payments.kind must be payment")
        if self.bank.kind != "bank_transaction":
            raise ValueError("bank.kind must be bank_transaction")
        return self

    @property
    def left(self) -> SideSpec:
        """The side a finding's left documents come from (reports name both sources): the payments."""
        return self.payments

    @property
    def right(self) -> SideSpec:
        """The bank statement lines."""
        return self.bank


def _rule_tag(value: Any) -> str:
    """Which rule model applies. The tag is prefixed `tagged-` so config errors name the rule's field,
    not the tag (the loader drops such tags from the path it prints)."""
    kind = value.get("kind", "match") if isinstance(value, dict) else getattr(value, "kind", None)
    return f"tagged-{kind}"


Rule = Annotated[
    Annotated[MatchRule, Tag("tagged-match")]
    | Annotated[SettlementRule, Tag("tagged-settlement")]
    | Annotated[CollectionsRule, Tag("tagged-collections")],
    Discriminator(
        _rule_tag,
        custom_error_type="rule_kind",
        custom_error_message="kind must be match, settlement or collections",
    ),
]


AnyRule = MatchRule | SettlementRule | CollectionsRule
"""A configured rule of any kind (`Rule` is the same union as the YAML reads it)."""


class DuplicateThreshold(_Strict):
    """possible_duplicate: same party, currency and total, issued at most `days` apart, other numbers."""

    days: int = Field(default=3, ge=0, le=366)


class DiscountThreshold(_Strict):
    """discount_above_limit: a document-level discount above `percent` of the subtotal."""

    percent: ExactDecimal = Decimal(30)


class UnusualThreshold(_Strict):
    """unusual_amount: |total - median| > factor x 1.4826 x MAD of the customer's own history."""

    min_history: int = Field(default=12, ge=3, le=10_000)
    """Documents of the customer (same source, kind, currency) needed before anything is unusual."""
    factor: ExactDecimal = Decimal(10)
    min_ratio: ExactDecimal = Field(default=Decimal(3), ge=1)
    """And at least this many times the median (or at most the median divided by it): a history that is
    tightly clustered makes a modest order statistically far out, which is no news to finance."""


class AuditThresholds(_Strict):
    possible_duplicate: DuplicateThreshold = Field(default_factory=DuplicateThreshold)
    discount_above_limit: DiscountThreshold = Field(default_factory=DiscountThreshold)
    unusual_amount: UnusualThreshold = Field(default_factory=UnusualThreshold)


class AuditScope(SideSpec):
    """One set of documents a plan audits; `checks` (None = the plan's) narrows what runs on it."""

    checks: list[AuditCheck] | None = None


class AuditPlan(_Strict):
    """`reconcile.audits[]`: checks run once per document in scope, on a schedule, owned by someone."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=60)
    checks: list[AuditCheck] = Field(default_factory=lambda: list(ALL_AUDIT_CHECKS))
    scope: list[AuditScope] = Field(min_length=1)
    tolerance: Tolerance = Field(default_factory=Tolerance)
    """Amount tolerance of the arithmetic checks (total identity, sum of lines, credit notes)."""
    thresholds: AuditThresholds = Field(default_factory=AuditThresholds)
    period: PeriodName = None
    schedule: Annotated[dict[str, int | str] | None, BeforeValidator(_schedule)] = None
    owner: str | None = None
    """New findings of this plan are assigned to this person."""
    after: list[str] = Field(default_factory=list)
    """Connector names: the sync job runs this plan after any of them synced."""
    kind: Literal["audit"] = "audit"
    """Not configurable: lets runs and reports treat rules and plans alike (`rule_kind` "audit")."""

    def checks_for(self, scope: AuditScope) -> tuple[AuditCheck, ...]:
        return tuple(self.checks if scope.checks is None else scope.checks)


class ReconcileSettings(_Strict):
    """The `reconcile:` section: rules, audit plans and the global audit checks."""

    rules: list[Rule] = Field(default_factory=list)
    audits: list[AuditPlan] = Field(default_factory=list)
    audit: list[AuditCheck] = Field(default_factory=lambda: list(ALL_AUDIT_CHECKS))
    """Checks of the implicit plan `audit` on every rule's documents (a rule's `audit:` overrides)."""

    @model_validator(mode="after")
    def _unique_names(self) -> ReconcileSettings:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.name in seen:
                raise ValueError(f"rule name {rule.name!r} is used twice")
            seen.add(rule.name)
        for plan in self.audits:
            if plan.name in seen:
                raise ValueError(f"audit plan name {plan.name!r} is already used by a rule or plan")
            seen.add(plan.name)
        if IMPLICIT_AUDIT_PLAN in seen and self._implicit_scope():
            raise ValueError(
                f"the name {IMPLICIT_AUDIT_PLAN!r} is taken by the per-rule audit checks' plan; rename it"
            )
        return self

    def rule(self, name: str) -> AnyRule:
        for rule in self.rules:
            if rule.name == name:
                return rule
        known = ", ".join(r.name for r in self.rules) or "none configured"
        raise KeyError(f"no rule named {name!r} (configured: {known})")

    def audit_checks(self, rule: AnyRule) -> tuple[AuditCheck, ...]:
        """The checks the implicit plan runs on this rule's documents: the rule's own `audit:`, else the
        global `reconcile.audit` — which defaults to every check only while no `audits:` plan is
        configured (a configured plan and the default would flag the same documents twice)."""
        if rule.audit is not None:
            return tuple(rule.audit)
        if self.audits and "audit" not in self.model_fields_set:
            return ()
        return tuple(self.audit)

    # ---------------------------------------------------------------- audit plans

    def plans(self) -> list[AuditPlan]:
        """Every audit plan: the configured ones, then the implicit plan of the rules' audit checks."""
        implicit = self.implicit_plan()
        return [*self.audits, *([implicit] if implicit is not None else [])]

    def plan(self, name: str) -> AuditPlan:
        for plan in self.plans():
            if plan.name == name:
                return plan
        known = ", ".join(p.name for p in self.plans()) or "none configured"
        raise KeyError(f"no audit plan named {name!r} (configured: {known})")

    def runnable(self, name: str) -> AnyRule | AuditPlan:
        """A rule or an audit plan by name (`reconcile run --rule NAME` takes either)."""
        for item in (*self.rules, *self.plans()):
            if item.name == name:
                return item
        known = ", ".join(item.name for item in (*self.rules, *self.plans())) or "none configured"
        raise KeyError(f"no rule or audit plan named {name!r} (configured: {known})")

    def implicit_plan(self) -> AuditPlan | None:
        """The per-rule `audit:` keys as one plan: scope = the union of the rules' sides, checks per
        side = the union of what the rules reading it asked, so each check runs once per document;
        period and owner are the auditing rules' when they agree, the schedule the first one's."""
        scope = self._implicit_scope()
        if not scope:
            return None
        # What the checks had when they ran inside the rules: the auditing rules' tolerance, triggers,
        # period and owner when they all agree (else every period, nobody), and a schedule so a daemon
        # still runs them.
        auditing = [rule for rule in self.rules if self.audit_checks(rule)]
        tolerance = Tolerance(
            amount=max(rule.tolerance.amount for rule in auditing),
            amount_percent=max(rule.tolerance.amount_percent for rule in auditing),
        )
        after = sorted({name for rule in auditing for name in rule.after})
        periods = {rule.period for rule in auditing}
        owners = {rule.owner for rule in auditing}
        schedule = next((rule.schedule for rule in auditing if rule.schedule), None)
        return AuditPlan(
            name=IMPLICIT_AUDIT_PLAN,
            scope=scope,
            tolerance=tolerance,
            after=after,
            period=periods.pop() if len(periods) == 1 else None,
            owner=owners.pop() if len(owners) == 1 else None,
            schedule=schedule,
        )

    def _implicit_scope(self) -> list[AuditScope]:
        wanted: dict[str, tuple[SideSpec, set[AuditCheck]]] = {}
        for rule in self.rules:
            checks = self.audit_checks(rule)
            if not checks:
                continue
            for side in _sides(rule):
                text = side.model_dump_json()
                wanted.setdefault(text, (side, set()))[1].update(checks)
        return [
            AuditScope(
                source=side.source,
                kind=side.kind,
                filters=side.filters,
                checks=[c for c in ALL_AUDIT_CHECKS if c in checks],
            )
            for side, checks in wanted.values()
        ]


def _sides(rule: AnyRule) -> list[SideSpec]:
    """The sides a rule's audit checks look at: a collections rule's payments, never its bank lines (a
    debit is a negative amount by nature, and a statement line has no owner, lines or due date)."""
    if isinstance(rule, CollectionsRule):
        return [rule.payments]
    if isinstance(rule, MatchRule):
        return [rule.left, rule.right]
    return [side for side in (rule.invoices, rule.payments, rule.credit_notes) if side is not None]
