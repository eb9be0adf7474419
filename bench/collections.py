"""Collections benchmark (issue 21): N recorded payments against N bank statement lines, end to end.

    python -m bench.collections [--sizes 10000] [--json]

Per size, in a fresh process and a fresh SQLite file (setup not timed): N Books payments, the invoices
a third of them apply to, and N bank lines (plus N/10 debits that are no receipts), stored as a sync
stores them. The payments reach the bank every way they do: 40% with the payment's number as the bank
reference, 30% named in the remittance text by their invoice's number (full-width or spaced), 20% by
amount and date alone, 6% as card payouts of two to four payments net of a 2% fee (one `fee_difference`
each), 2% received in two parts; 1% never reach the bank (`not_in_bank`) and 1% of the lines are money
no payment records (`unrecorded_receipt`); two payouts alike in size, count and date are one
`ambiguous_match` (each of its credits counted as one planted payout). Timed: `reconcile run` of the
collections rule — load both sides from SQL, the five passes, save the run, its matches and its
exceptions. Reported: seconds (and CPU seconds: the machine is shared) per phase, peak RSS, and whether
every planted finding was found and nothing else.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench import in_fresh_process

NOW = datetime(2026, 12, 31, 8, 0, tzinfo=UTC)
BOOKS, BANK = "zoho-books", "bank"
ACCOUNT = "CN00BENCH"
_FULL_WIDTH = str.maketrans("0123456789-INV", "０１２３４５６７８９－ＩＮＶ")


def documents(n: int) -> tuple[list[Any], dict[str, int]]:
    """The payments, invoices and bank lines, and the findings planted among them."""
    from store.canonical import Allocation, CanonicalDocument, DocumentKind, PartyRef

    def doc(source: str, kind: DocumentKind, external_id: str, *amount_day_party: Any, **kw: Any) -> Any:
        total, on, party = amount_day_party
        return CanonicalDocument(
            source=source,
            kind=kind,
            external_id=external_id,
            number=kw.pop("number", external_id),
            party=PartyRef(name=party),
            issued_on=on,
            currency="CNY",
            total=Decimal(total).scaleb(-2),
            **kw,
        )

    def line(ref: str, total: int, on: date, payer: str, **refs: str) -> Any:
        refs = {"account": ACCOUNT, "value_date": on.isoformat(), "bank_reference": ref, **refs}
        return doc(BANK, DocumentKind.BANK_TRANSACTION, f"{ACCOUNT}/{ref}", total, on, payer, references=refs)

    docs: list[Any] = []
    planted = {"not_in_bank": 0, "unrecorded_receipt": 0, "fee_difference": 0}
    rng = random.Random(n)
    i = 0
    while i < n:
        day = date(2026, 1, 1) + timedelta(days=(i * 7) % 330)
        party = f"客户{i % 5_000:04d}贸易有限公司"
        amount = rng.randrange(10_000, 5_000_000)
        bucket = i % 100
        if bucket < 40:  # the bank reference is the payment's number
            docs.append(doc(BOOKS, DocumentKind.PAYMENT, f"PMT-{i:07d}", amount, day, party))
            docs.append(line(f"PMT-{i:07d}", amount, day + timedelta(days=1), party))
        elif bucket < 70:  # the remittance names the invoice the payment applies to
            number = f"INV-{i:07d}"
            text = number.translate(_FULL_WIDTH) if i % 2 else number.replace("-", " ")
            docs.append(doc(BOOKS, DocumentKind.INVOICE, f"inv{i}", amount, day, party, number=number))
            allocations = (Allocation(invoice_external_id=f"inv{i}", amount=Decimal(amount).scaleb(-2)),)
            docs.append(
                doc(BOOKS, DocumentKind.PAYMENT, f"p{i}", amount, day, party, allocations=allocations)
            )
            docs.append(line(f"B{i:08d}", amount, day, party, remittance=f"货款 {text}"))
        elif bucket < 90:  # amount and date alone
            docs.append(doc(BOOKS, DocumentKind.PAYMENT, f"p{i}", amount, day, party))
            docs.append(line(f"B{i:08d}", amount, day + timedelta(days=2), f"{party}（总部）"))
        elif bucket < 96:  # a card payout of two to four payments less 2%
            gross, size = 0, 2 + i % 3
            for k in range(size):
                share = amount + k * 100
                gross += share
                docs.append(
                    doc(
                        BOOKS,
                        DocumentKind.PAYMENT,
                        f"p{i}-{k}",
                        share,
                        day,
                        f"card {i}-{k}",
                        references={"deposit": f"PO-{i}"},
                    )
                )
            docs.append(
                line(
                    f"PO-{i}X",
                    gross - gross // 50,
                    day + timedelta(days=2),
                    "CARD PROCESSOR",
                    batch_count=str(size),
                )
            )
            planted["fee_difference"] += 1
        elif bucket < 98:  # received in two parts
            docs.append(doc(BOOKS, DocumentKind.PAYMENT, f"p{i}", amount * 2, day, f"split {i}"))
            docs.append(line(f"S{i:08d}a", amount, day, f"split {i}"))
            docs.append(line(f"S{i:08d}b", amount, day + timedelta(days=1), f"split {i}"))
        elif bucket == 98:
            docs.append(doc(BOOKS, DocumentKind.PAYMENT, f"lost{i}", amount + 1, day, f"lost {i}"))
            planted["not_in_bank"] += 1
        else:
            docs.append(line(f"U{i:08d}", amount + 3, day, f"unknown {i}"))
            planted["unrecorded_receipt"] += 1
        if i % 10 == 0:
            docs.append(line(f"D{i:08d}", -amount, day, "supplier"))
        i += 1
    return docs, planted


def populate(path: Path, docs: list[Any]) -> None:
    """Migrate the file and store the documents as one sync page per source (not timed)."""
    from store.canonical import payload_hash
    from store.db import make_engine, upgrade
    from store.repository import Incoming, SqlLedgerRepository
    from store.runs import SqlSyncLog

    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    log, ledger = SqlSyncLog(engine), SqlLedgerRepository(engine)
    for source in (BOOKS, BANK):
        run = log.start(source, "documents", mode="full", since=None, now=NOW)
        page = [
            Incoming(document=d, payload_hash=payload_hash(d.to_json_dict()), raw_json=b"{}")
            for d in docs
            if d.source == source
        ]
        ledger.apply_page(run, documents=page, fetched=len(page), now=NOW)
        log.finish(run, status="ok", now=NOW)
    engine.dispose()


def ours(path: Path) -> dict[str, Any]:
    from config.settings import Settings
    from store.db import make_engine
    from sync.reconcile_job import RuleRun, run_rules

    rule = {
        "name": "books-vs-bank",
        "kind": "collections",
        "payments": {"source": BOOKS, "kind": "payment"},
        "bank": {"source": BANK, "kind": "bank_transaction"},
        "date_window_days": 5,
        "fee_tolerance": {"percent": "2.5"},
        "audit": [],
    }
    settings = Settings.model_validate(
        {"database_url": f"sqlite:///{path}", "base_currency": "CNY", "reconcile": {"rules": [rule]}}
    )
    engine = make_engine(settings.database_url)
    started, cpu = time.perf_counter(), time.process_time()
    [run] = [r for r in run_rules(engine, settings, clock=lambda: NOW) if isinstance(r, RuleRun)]
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    engine.dispose()
    return {
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "phases": dict(run.seconds),
        "matched": len(run.result.matches),
        "by_pass": {
            how: sum(1 for m in run.result.matches if m.how == how)
            for how in sorted({m.how for m in run.result.matches})
        },
        "exceptions": run.result.counts,
        "payouts_in_doubt": sum(
            len(d.right) for d in run.result.discrepancies if d.type.value == "ambiguous_match"
        ),
        "unexplained": str(run.result.bridge.unexplained),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def measure(n: int) -> dict[str, Any]:
    docs, planted = documents(n)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "ledger.db"
        started = time.perf_counter()
        populate(path, docs)
        setup = time.perf_counter() - started
        mine = ours(path)
    found = dict(mine["exceptions"])
    # Two payouts alike in size, count and date are one ambiguous_match (never a guess): each of its
    # credits is one planted payout.
    in_doubt = mine.pop("payouts_in_doubt")
    exact = (
        found.pop("ambiguous_match", 0) <= in_doubt
        and {**found, "fee_difference": found.get("fee_difference", 0) + in_doubt} == planted
    )
    return {
        "n": n,
        "setup_seconds": round(setup, 1),
        "ours": mine,
        "planted": planted,
        "payouts_in_doubt": in_doubt,
        "planted_found_exactly": exact,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000", help="Comma-separated payment counts.")
    parser.add_argument("--json", action="store_true", help="Print one JSON document.")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(measure(args.one)))
        return
    results = []
    results = [in_fresh_process("bench.collections", int(s)) for s in args.sizes.split(",")]
    if args.json:
        print(json.dumps({"results": results}, indent=2))
        return
    for r in results:
        o = r["ours"]
        print(
            f"collections {r['n']:,} payments x {r['n']:,} bank lines: {o['seconds']:.2f} s, "
            f"cpu {o['cpu_seconds']:.2f} s "
            f"({o['phases']}), matched {o['matched']} {o['by_pass']}, peak {o['peak_rss_mb']} MB; "
            f"planted findings exact: {r['planted_found_exactly']} {o['exceptions']}"
        )


if __name__ == "__main__":
    main()
