"""Party aliases in the database: add, list, remove (each audited in its own transaction), and the pairs in
force for a rule's run (ADR 0029)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, or_, select, update

from store.alias_tables import party_aliases
from store.audit_log import append_audit
from store.db import write_transaction


class AliasError(Exception):
    """An alias that cannot be added or removed (the message says why, in English for logs)."""


class AliasExists(AliasError):
    pass


class UnknownAlias(AliasError):
    pass


@dataclass(frozen=True)
class AliasRecord:
    id: int
    rule: str | None
    """None = every rule."""
    name_a: str
    name_b: str
    actor: str
    note: str
    created_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "rule": self.rule,
            "a": self.name_a,
            "b": self.name_b,
            "actor": self.actor,
            "note": self.note,
            "created_at": self.created_at.isoformat(),
        }

    def audit_detail(self) -> dict[str, Any]:
        """The detail of `alias.add` / `alias.remove` audit rows (the CLI's and the web app's)."""
        return {"alias": self.id, "rule": self.rule, "a": self.name_a, "b": self.name_b, "note": self.note}


class SqlAliasStore:
    """The aliases in force and their history."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def in_force(self, rule: str | None = None) -> list[AliasRecord]:
        """Aliases in force, oldest first; with `rule`: those that apply to it (its own and global)."""
        a = party_aliases.c
        query = select(party_aliases).where(a.active.is_(True)).order_by(a.id)
        if rule is not None:
            query = query.where(or_(a.rule.is_(None), a.rule == rule))
        with self._engine.connect() as conn:
            return [_record(row) for row in conn.execute(query).mappings()]

    def pairs(self, rule: str) -> list[tuple[str, str]]:
        """(name a, name b) of every alias in force for `rule`: what its run compares parties with."""
        return [(found.name_a, found.name_b) for found in self.in_force(rule)]

    def add(
        self, name_a: str, name_b: str, *, rule: str | None, actor: str, note: str, now: datetime
    ) -> AliasRecord:
        """Record A ≡ B (for `rule`, or every rule when None) and its `alias.add` audit row, in one
        transaction. The same pair already in force for the same scope: AliasExists."""
        a = party_aliases.c
        same_pair = or_(
            (a.name_a == name_a) & (a.name_b == name_b), (a.name_a == name_b) & (a.name_b == name_a)
        )
        scope = a.rule.is_(None) if rule is None else a.rule == rule
        with write_transaction(self._engine) as conn:
            if conn.execute(select(a.id).where(a.active.is_(True), same_pair, scope)).first() is not None:
                raise AliasExists(f"{name_a!r} ≡ {name_b!r} is already recorded")
            values = {"rule": rule, "name_a": name_a, "name_b": name_b, "actor": actor, "note": note}
            new_id = conn.execute(
                insert(party_aliases)
                .values(**values, created_at=now, active=True)
                .returning(party_aliases.c.id)
            ).scalar_one()
            record = AliasRecord(int(new_id), rule, name_a, name_b, actor, note, now)
            append_audit(conn, actor, "alias.add", record.audit_detail(), clock=lambda: now)
        return record

    def remove(self, alias_id: int, *, actor: str, now: datetime) -> AliasRecord:
        """End an alias in force and write its `alias.remove` audit row, in one transaction."""
        a = party_aliases.c
        with write_transaction(self._engine) as conn:
            row = (
                conn.execute(select(party_aliases).where(a.id == alias_id, a.active.is_(True)))
                .mappings()
                .first()
            )
            if row is None:
                raise UnknownAlias(f"no alias {alias_id} in force")
            record = _record(row)
            conn.execute(
                update(party_aliases)
                .where(a.id == alias_id)
                .values(active=False, ended_at=now, ended_by=actor)
            )
            append_audit(conn, actor, "alias.remove", record.audit_detail(), clock=lambda: now)
        return record


def _record(row: Any) -> AliasRecord:
    return AliasRecord(
        id=row["id"],
        rule=row["rule"],
        name_a=row["name_a"],
        name_b=row["name_b"],
        actor=row["actor"],
        note=row["note"],
        created_at=row["created_at"],
    )
