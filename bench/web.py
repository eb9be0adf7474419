"""Web benchmark: the Queue page and the Exception page with 100,000 open exceptions, server time.

    python -m bench.web [--exceptions 100000] [--repeat 21] [--database-url URL] [--json]

Setup (not timed, reported): a fresh SQLite file (or the PostgreSQL database given, which must be
empty), migrated; 2,000 documents stored as a sync stores them (2,000 customers, some with full-width
names); then N open exceptions of one rule written through the store's own run write
(`SqlReconcileRepository.save_run`, which also fills the queue's customer/text/amount columns), each
naming one of those documents, with differences spread over 1..100,000 and first-seen dates spread
over 180 days. The time of a second `refresh_queue_keys` over every exception is reported too: what a
reconcile run that sees all N again adds for the queue's columns.

Timed, in-process with the ASGI test client logged in as a reviewer (no network; each request's
wall time from send to the full body, the median of --repeat after two warm-up requests):
- queue, first page (`/queue`: open, oldest first);
- queue, a filtered page (`type=amount_mismatch&party=customer 12&min_amount=1000&age=31-90`);
- queue, page 1000 (`/queue?page=1000`, OFFSET 49,950);
- queue, sorted by amount (`sort=-amount`);
- queue, free text (`q=INV-00012`: 50 matches) and a free text every exception matches, sorted by
  amount (`q=differ&sort=-amount`: the worst case, 100,000 matches counted and sorted);
- the exception page (`/exceptions/{id}`), when the app has that route.
Baselines from the same run: `SELECT count(*)` of the open exceptions (store: ExceptionQueue.count_open)
and what `exceptions list --json` does for 50 rows (read them, decode each with the store's
stored_exception, make the command's JSON). Every figure is printed
with its ratio to both. Targets: queue < 300 ms, exception page < 100 ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
CUSTOMERS = 2_000
PASSWORD = "bench-password-1"  # noqa: S105 - a throwaway user of a throwaway database
TARGETS_MS = {"queue": 300.0, "exception": 100.0}


def _settings(database_url: str, key_file: Path) -> Any:
    from config.settings import Settings

    rule = {
        "name": "bench",
        "left": {"source": "crm", "kind": "invoice"},
        "right": {"source": "books", "kind": "invoice"},
        "keys": ["number"],
        "tolerance": {"amount": "0.01"},
        "owner": "李娜",
        "period": "2026-10",
        "audit": [],
    }
    return Settings.model_validate(
        {
            "database_url": database_url,
            "base_currency": "CNY",
            "timezone": "Asia/Shanghai",
            "secret_key_file": str(key_file),
            "reconcile": {"rules": [rule], "audit": []},
        }
    )


def _customer(i: int) -> str:
    name = f"Customer {i} Trading Co."
    return name.upper().translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)}) if i % 10 == 0 else name


def seed_documents(engine: Any) -> None:
    """CUSTOMERS invoices of source `crm`, stored as one sync page (the way a sync stores them)."""
    from store.canonical import CanonicalDocument, DocumentKind, PartyRef, Status, payload_hash
    from store.repository import Incoming, SqlLedgerRepository
    from store.runs import SqlSyncLog

    docs = [
        CanonicalDocument(
            source="crm",
            kind=DocumentKind.INVOICE,
            external_id=f"c{i}",
            number=f"INV-{i:05d}",
            party=PartyRef(name=_customer(i)),
            owner="amy",
            issued_on=date(2026, 10, 1) + timedelta(days=i % 28),
            currency="CNY",
            total=Decimal(1000 + i),
            status=Status.OPEN,
        )
        for i in range(CUSTOMERS)
    ]
    log, ledger = SqlSyncLog(engine), SqlLedgerRepository(engine)
    run = log.start("crm", "documents", mode="incremental", since=None, now=NOW)
    incoming = [
        Incoming(
            document=d, payload_hash=payload_hash(d.to_json_dict()), raw_json=d.model_dump_json().encode()
        )
        for d in docs
    ]
    ledger.apply_page(run, documents=incoming, fetched=len(incoming), now=NOW)
    log.finish(run, status="ok", now=NOW)


def seed_exceptions(engine: Any, count: int) -> None:
    """`count` open exceptions through the store's run write, then first-seen dates spread over 180
    days (a run writes `now`; older exceptions are what a queue holds)."""
    from sqlalchemy import update

    from store.canonical import DocumentKind
    from store.discrepancies import (
        Discrepancy,
        DiscrepancyType,
        DocumentRef,
        ExceptionAction,
        ExceptionStatus,
        FieldDiff,
    )
    from store.reconcile_repository import ExceptionChange, ReconcileRunRecord, SqlReconcileRepository
    from store.reconcile_tables import reconcile_exceptions

    kinds = (
        DiscrepancyType.AMOUNT_MISMATCH,
        DiscrepancyType.MISSING_IN_RIGHT,
        DiscrepancyType.MISSING_IN_LEFT,
    )
    changes = []
    for n in range(count):
        kind = kinds[n % 3]
        doc = n % CUSTOMERS
        issued = date(2026, 10, 1) + timedelta(days=doc % 28)
        amount = Decimal(1000 + doc)
        left = DocumentRef(
            source="crm", kind=DocumentKind.INVOICE, external_id=f"c{doc}", number=f"INV-{doc:05d}",
            amount=amount, currency="CNY", issued_on=issued,
        )  # fmt: skip
        right = DocumentRef(
            source="books", kind=DocumentKind.INVOICE, external_id=f"b{n}", number=f"BK-{n:06d}",
            amount=amount, currency="CNY", issued_on=issued,
        )  # fmt: skip
        difference = Decimal(1 + (n * 7919) % 100_000)
        found = Discrepancy(
            rule="bench",
            type=kind,
            left=(left,) if kind is not DiscrepancyType.MISSING_IN_LEFT else (),
            right=(right,),
            left_amount=left.amount,
            right_amount=left.amount - difference if left.amount is not None else None,
            difference=difference,
            currency="CNY",
            explanation=f"{left.number} and {right.number} differ by CNY {difference}",
            fields=(FieldDiff(field="total", left=str(left.amount), right="x"),),
        )
        changes.append(
            ExceptionChange(found.fingerprint, ExceptionStatus.OPEN, ExceptionAction.OPENED, None, found)
        )
    counts = {k.value: sum(1 for c in changes if c.discrepancy and c.discrepancy.type is k) for k in kinds}
    run = ReconcileRunRecord("bench", "match", "2026-10", count, count, 0, counts, {}, NOW, NOW)
    SqlReconcileRepository(engine).save_run(run, [], changes, owner=None, actor="bench", now=NOW)
    e = reconcile_exceptions.c
    with engine.begin() as conn:  # spread first-seen over 180 days (bucket by id)
        for day in range(180):
            conn.execute(
                update(reconcile_exceptions)
                .where((e.id % 180) == day)
                .values(first_seen_at=NOW - timedelta(days=day, hours=1), assignee=None if day % 3 else "rui")
            )


def _time(call: Callable[[], Any], repeat: int) -> float:
    """Median wall milliseconds of `call` over `repeat` runs after two warm-up runs."""
    call()
    call()
    spent = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        spent.append((time.perf_counter() - start) * 1000)
    return statistics.median(spent)


def measure(count: int, repeat: int, database_url: str | None) -> dict[str, Any]:  # noqa: PLR0915
    from sqlalchemy import func, select

    from store.db import make_engine, upgrade
    from store.exception_keys import refresh_queue_keys
    from store.exception_queue import ExceptionQueue
    from store.reconcile_repository import stored_exception
    from store.reconcile_tables import reconcile_exceptions
    from store.secrets import create_key_file
    from store.users import Role, SqlUserStore
    from sync.bootstrap import open_engine
    from sync.commands.exceptions_cmd import exception_json
    from web.app import create_app

    workdir = Path(tempfile.mkdtemp(prefix="lb-bench-web-"))
    print(f"working in {workdir}", file=sys.stderr)
    url = database_url or f"sqlite:///{workdir / 'bench.db'}"
    settings = _settings(url, workdir / "ledgerbridge.key")
    create_key_file(workdir / "ledgerbridge.key")
    bare = make_engine(url)
    upgrade(bare)  # what `ledgerbridge init` does first
    bare.dispose()
    engine = open_engine(settings)
    setup: dict[str, float] = {}
    start = time.perf_counter()
    seed_documents(engine)
    setup["documents_s"] = time.perf_counter() - start
    start = time.perf_counter()
    seed_exceptions(engine, count)
    setup["exceptions_s"] = time.perf_counter() - start
    with engine.begin() as conn:
        start = time.perf_counter()
        refresh_queue_keys(conn)
        setup["refresh_keys_s"] = time.perf_counter() - start
    clock = lambda: NOW  # noqa: E731
    SqlUserStore(engine, clock=clock).add("rui", Role.REVIEWER, PASSWORD, actor="bench")

    from starlette.testclient import TestClient

    app = create_app(settings, engine, clock=clock)
    client = TestClient(app, follow_redirects=False)
    page = client.get("/login")
    answer = client.post(
        "/login",
        data={"username": "rui", "password": PASSWORD, "csrf_token": page.cookies.get("lb_login") or ""},
    )
    assert answer.status_code == 303, answer.text

    queue = ExceptionQueue(engine)
    e = reconcile_exceptions.c
    with engine.connect() as conn:
        some_id = int(conn.execute(select(func.min(e.id))).scalar_one())
        open_count = int(conn.execute(select(func.count()).where(e.status == "open")).scalar_one())

    def list_50() -> None:
        # what `exceptions list --json` does per row (read, decode, its JSON), for 50 rows in id order
        with engine.connect() as conn:
            rows = conn.execute(select(reconcile_exceptions).order_by(e.id).limit(50)).mappings().all()
        text = json.dumps({"exceptions": [exception_json(stored_exception(r)) for r in rows]})
        assert text.count('"fingerprint"') == 50

    def get(path: str, marker: str) -> Callable[[], None]:
        def call() -> None:
            got = client.get(path)
            assert got.status_code == 200, (path, got.status_code)
            assert marker in got.text, path

        return call

    baselines = {
        "count_open": _time(queue.count_open, repeat),
        "list_50_decoded": _time(list_50, repeat),
    }
    pages = {
        "queue_first_page": ("/queue", "queue-row"),
        "queue_filtered": (
            "/queue?type=amount_mismatch&party=customer+12&min_amount=1000&age=31-90",
            "queue-",
        ),
        "queue_page_1000": ("/queue?page=1000", "queue-row"),
        "queue_sort_amount": ("/queue?sort=-amount", "queue-row"),
        "queue_free_text": ("/queue?q=INV-00012", "queue-row"),
        "queue_free_text_broad": ("/queue?q=differ&sort=-amount", "queue-row"),
    }
    has_exception_page = any(r.path == "/exceptions/{exception_id}" for r in app.state.declared_routes)
    if has_exception_page:
        pages["exception_page"] = (f"/exceptions/{some_id}", str(some_id))
    results: dict[str, Any] = {}
    for name, (path, marker) in pages.items():
        ms = _time(get(path, marker), repeat)
        target = TARGETS_MS["exception" if name == "exception_page" else "queue"]
        results[name] = {
            "path": path,
            "median_ms": round(ms, 1),
            "x_count_open": round(ms / baselines["count_open"], 1),
            "x_list_50": round(ms / baselines["list_50_decoded"], 2),
            "target_ms": target,
            "within_target": ms < target,
        }
    engine.dispose()
    return {
        "exceptions": open_count,
        "database": "postgresql" if url.startswith("postgresql") else "sqlite",
        "setup_s": {k: round(v, 1) for k, v in setup.items()},
        "baselines_ms": {k: round(v, 2) for k, v in baselines.items()},
        "pages": results,
        "exception_page_measured": has_exception_page,
        "repeat": repeat,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.web", description=__doc__.split("\n\n")[0])
    parser.add_argument("--exceptions", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--database-url", default=None, help="an EMPTY PostgreSQL database (default: SQLite)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    found = measure(args.exceptions, args.repeat, args.database_url)
    if args.json:
        print(json.dumps(found, indent=2))
        return
    print(f"{found['exceptions']:,} open exceptions on {found['database']}; setup {found['setup_s']}")
    print(f"baselines (median ms): {found['baselines_ms']}")
    print(f"{'page':<20} {'median ms':>10} {'x count(*)':>11} {'x list 50':>10} {'target':>8}")
    for name, row in found["pages"].items():
        mark = "ok" if row["within_target"] else "OVER"
        print(
            f"{name:<20} {row['median_ms']:>10.1f} {row['x_count_open']:>11.1f} {row['x_list_50']:>10.2f} "
            f"{row['target_ms']:>6.0f}ms {mark}"
        )
    if not found["exception_page_measured"]:
        print("the exception page (/exceptions/{id}) is not in this app yet: not measured", file=sys.stderr)


if __name__ == "__main__":
    main()
