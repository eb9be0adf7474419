"""The Document page and the nav's document search.

`GET /documents?q=INV-000204`: finance pastes a number (or an external id, or SOURCE/KIND/ID) and lands
on the document: one match redirects to it, several are listed to choose from, none is said so.
`GET /documents/{source}/{kind}/{external_id}`: the header fields, lines, allocations, references,
every revision with what changed (sync/document_history.py, the same service `ledgerbridge ledger
history` prints from), and the exceptions that name the document."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from reconcile.report.display import amount_text
from reconcile.report.fmt import format_amount, format_datetime
from reconcile.report.i18n import Catalogue
from reconcile.report.mismatches import document_fields
from store.canonical import DocumentKey, DocumentKind
from store.reconcile_repository import SqlReconcileRepository
from store.repository import DocumentCandidate, SqlLedgerRepository
from sync.document_history import describe, field_label, find_named, revision_diffs, short
from web.auth import Principal, require
from web.permissions import Permission
from web.rendering import render, request_lang
from web.state import web_state

router = APIRouter()

SHOWN = 50
"""Documents listed for one search at most."""
KINDS = frozenset(kind.value for kind in DocumentKind)


def document_href(key: DocumentKey) -> str:
    """The Document page of `key` (each part quoted: an external id may hold `/`, `?` or `#`)."""
    return "/documents/" + "/".join(
        quote(part, safe="") for part in (key.source, key.kind.value, key.external_id)
    )


@router.get("/documents")
def search(
    request: Request,
    who: Annotated[Principal, Depends(require(Permission.LEDGER_READ))],
    q: str = "",
) -> Response:
    name = q.strip()
    if not name:
        return _search_page(request)
    ledger = SqlLedgerRepository(web_state(request).engine)
    found = find_named(ledger, name, limit=SHOWN + 1)
    if isinstance(found, DocumentKey):
        return RedirectResponse(document_href(found), status_code=303)
    if len(found) == 1:
        return RedirectResponse(document_href(found[0].key), status_code=303)
    return _search_page(request, q=name, found=found[:SHOWN], more=len(found) > SHOWN)


@router.get("/documents/{source}/{kind}/{external_id:path}")
def document(
    request: Request,
    who: Annotated[Principal, Depends(require(Permission.LEDGER_READ))],
    source: str,
    kind: str,
    external_id: str,
) -> Response:
    state = web_state(request)
    catalogue = Catalogue(request_lang(request))
    if kind not in KINDS:
        return _not_found(request, f"{source}/{kind}/{external_id}")
    key = DocumentKey(source=source, kind=DocumentKind(kind), external_id=external_id)
    ledger = SqlLedgerRepository(state.engine)
    current = ledger.get(key)
    revisions = ledger.history(key)
    if current is None and not revisions:
        return _not_found(request, str(key))
    zone = state.settings.zone
    diffs = revision_diffs(revisions)
    shown = current if current is not None else revisions[-1].document
    exceptions = SqlReconcileRepository(state.engine).list_exceptions(document=key)
    return render(
        request,
        "document.html",
        {
            "key": key,
            "document": shown,
            "fields": document_fields(shown, catalogue, zone),
            "diffs": diffs,
            "describe": lambda diff: describe(catalogue, diff),
            "short": short,
            "field_label": lambda name: field_label(catalogue, name),
            "kind_label": lambda kind: catalogue.value("kind", kind),
            "exceptions": exceptions,
            "href": document_href,
            "amount": lambda value, currency: amount_text(value, currency, catalogue),
            "when": lambda value: format_datetime(value, zone) if value is not None else "",
            "allocation_key": lambda allocation: DocumentKey(
                source=key.source, kind=allocation.target_kind, external_id=allocation.invoice_external_id
            ),
        },
    )


def _not_found(request: Request, document: str) -> Response:
    return _search_page(request, missing=document)


def _search_page(
    request: Request,
    *,
    q: str = "",
    found: Sequence[DocumentCandidate] = (),
    more: bool = False,
    missing: str | None = None,
) -> Response:
    """The search page: the box, and the documents a search found (none found, or a document named
    that the ledger does not hold: 404)."""
    catalogue = Catalogue(request_lang(request))
    return render(
        request,
        "documents_search.html",
        {
            "q": q,
            "found": found,
            "more": more,
            "missing": missing,
            "href": document_href,
            "amount": format_amount,
            "kind_label": lambda kind: catalogue.value("kind", kind),
        },
        status_code=404 if missing is not None or (q and not found) else 200,
    )
