"""Which documents one side of a rule reads, as WHERE conditions on `documents`: the rule's run loads its
sides through them (store/reconcile_repository.py) and the matching suggestions read the other side's
unmatched candidates through them (store/suggestions.py), so both see the same documents."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.sql import ColumnElement

from store.tables import allocations, documents

if TYPE_CHECKING:
    from store.reconcile_repository import DocumentSet


def side_conditions(spec: DocumentSet) -> list[ColumnElement[bool]]:
    """Source, kind, the side's filters (`number_prefix`: any of the prefixes, escaped; any other field:
    any of the values) and, when the range is closed, issued in it (or, for settlement payments
    (`allocated_into_range_of`), allocated to a document of that kind issued in it)."""
    d = documents.c
    conditions: list[ColumnElement[bool]] = [d.source == spec.source, d.kind == spec.kind]
    for name, values in spec.filters.items():
        if name == "number_prefix":
            conditions.append(or_(*(d.number.startswith(v, autoescape=True) for v in values)))
        else:
            conditions.append(getattr(d, name).in_(list(values)))
    if spec.start is None or spec.end is None:
        return conditions
    in_range = d.issued_on.between(spec.start, spec.end)
    if spec.allocated_into_range_of is None:
        conditions.append(in_range)
        return conditions
    target = documents.alias("target")
    allocated_in_range = exists(
        select(1)
        .select_from(
            allocations.join(
                target,
                and_(
                    target.c.source == d.source,
                    target.c.kind == allocations.c.target_kind,
                    target.c.external_id == allocations.c.invoice_external_id,
                ),
            )
        )
        .where(
            allocations.c.document_id == d.id,
            allocations.c.target_kind == spec.allocated_into_range_of,
            target.c.issued_on.between(spec.start, spec.end),
        )
    )
    conditions.append(or_(in_range, allocated_in_range))
    return conditions
