"""Every line a connector's check builds is a catalogue sentence (connectors/base.py Said): walking the
source of connectors/, each `say(...)`/`Said(...)` names keys the catalogue has, with exactly the
values the sentence uses in both languages, and no CheckResult is built from plain text; and the
renderer says values verbatim, nested sentences and lists in the same language."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from connectors.base import CheckResult, say
from connectors.fxiaoke.streams import SPECS
from reconcile.report.catalogue import connector_checks
from reconcile.report.i18n import Catalogue, catalogue_keys, placeholders
from sync.check_words import check_json, check_line

CONNECTORS = Path(__file__).parents[2] / "connectors"
SOURCES = sorted(p for p in CONNECTORS.rglob("*.py") if "sandbox" not in p.parts)


def _calls(name: str) -> list[tuple[Path, ast.Call]]:
    found = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name:
                found.append((path, node))
    return found


def _literal_keys(node: ast.expr, module: ast.AST, line: int) -> list[str] | None:
    """The keys a say() call's first argument can be: a literal, both sides of `a if c else b`, or what
    the last assignment to the name it reads before `line` can be (None: a key this walk cannot see)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        body, orelse = _literal_keys(node.body, module, line), _literal_keys(node.orelse, module, line)
        return None if body is None or orelse is None else body + orelse
    if isinstance(node, ast.Name):
        assigned = [
            a
            for a in ast.walk(module)
            if isinstance(a, ast.Assign)
            and a.lineno < line
            and any(isinstance(t, ast.Name) and t.id == node.id for t in a.targets)
        ]
        if assigned:
            last = max(assigned, key=lambda a: a.lineno)
            return _literal_keys(last.value, module, last.lineno)
    return None


SAID = _calls("say")


def test_the_walk_finds_the_checks_of_every_connector() -> None:
    files = {path.relative_to(CONNECTORS).parts[0] for path, _ in SAID}
    assert {
        "zoho",
        "fxiaoke",
        "jsonl",
        "quickbooks",
        "xero",
        "kingdee",
        "bank",
        "stream.py",
        "oauth2.py",
    } <= files
    assert len(SAID) > 60


@pytest.mark.parametrize(("path", "call"), SAID, ids=lambda v: v.name if isinstance(v, Path) else "")
def test_every_sentence_a_connector_says_is_in_the_catalogue_with_the_values_it_names(
    path: Path, call: ast.Call
) -> None:
    where = f"{path.relative_to(CONNECTORS)}:{call.lineno}"
    if not call.args:
        pytest.fail(f"{where}: say() without a key")
    keys = _literal_keys(call.args[0], ast.parse(path.read_text(encoding="utf-8")), call.lineno)
    if keys is None:  # the Fxiaoke detail costs: a spec field, checked below by construction
        assert ast.unparse(call.args[0]) == "detail.cost_key", where
        return
    given = {k.arg for k in call.keywords if k.arg is not None}
    spread = any(k.arg is None for k in call.keywords)  # **values: named by the test below
    used: set[str] = set()
    for key in keys:
        assert key in catalogue_keys(), f"{where}: {key} is not in the catalogue"
        wanted = placeholders(key, "en")
        assert placeholders(key, "zh") == wanted, key
        assert spread or wanted <= given, (where, key, "a value the sentence names is not given")
        used |= wanted
    assert given <= used, (where, "a value no sentence of this call names")


def test_no_check_line_is_built_from_plain_text() -> None:
    for path, call in _calls("CheckResult"):
        said = [
            *call.args[:1],
            *call.args[2:3],
            *(k.value for k in call.keywords if k.arg in ("what", "detail")),
        ]
        for argument in said:
            plain = isinstance(argument, ast.JoinedStr | ast.BinOp) or (
                isinstance(argument, ast.Constant) and isinstance(argument.value, str)
            )
            assert not plain, f"{path.relative_to(CONNECTORS)}:{call.lineno}: {ast.unparse(argument)}"


def test_the_kingdee_organization_lines_that_spread_a_sample_name_every_value() -> None:
    sample = {"rows": "2,000", "form": "SAL_SaleOrder", "unread": "ORG_Organizations"}
    assert placeholders("check.kingdee.orgs_unseen_sampled", "en") == {"missing", "listed", *sample}
    assert placeholders("check.kingdee.visible_sampled", "en") == {"reading", "listed", *sample}


def test_each_fxiaoke_detail_cost_is_in_the_catalogue_in_the_words_sync_status_uses() -> None:
    english = Catalogue("en")
    details = [spec.detail for spec in SPECS.values() if spec.detail is not None]
    assert len(details) == 3
    for detail in details:
        assert english.text(detail.cost_key) == detail.cost


def test_every_key_of_the_section_is_said_by_some_connector() -> None:
    source = "\n".join(path.read_text(encoding="utf-8") for path in SOURCES)
    unused = [key for key in connector_checks.MESSAGES if f'"{key}"' not in source]
    assert unused == []


def test_values_are_said_verbatim_and_nested_sentences_and_lists_in_the_same_language() -> None:
    vendor = "Xero said: AuthenticationUnsuccessful (401)"
    needs = (say("check.scope_needed", name="a", scope="s1"), say("check.scope_needed", name="b", scope="s2"))
    result = CheckResult(
        say("check.scopes"),
        False,
        say("check.scopes_missing", needs=needs, connector="xero", granted=say("check.none")),
    )
    assert check_line(Catalogue("zh"), result) == (
        "授权范围",
        "缺少授权范围：数据流 a 需要 s1；数据流 b 需要 s2。请在应用的授权中加上该范围，然后运行 "
        "`ledgerbridge connector authorize xero`（已授予：无）",
    )
    failed = CheckResult(say("check.stream", name="invoices"), False, say("check.failed", error=vendor))
    assert check_line(Catalogue("zh"), failed) == ("数据流 invoices", f"错误（原文）：{vendor}")
    assert check_json(failed) == {
        "what": "stream invoices",
        "ok": False,
        "state": None,
        "detail": vendor,
        "what_key": "check.stream",
        "what_values": {"name": "invoices"},
        "detail_key": "check.failed",
        "detail_values": {"error": vendor},
    }
    bare = check_json(CheckResult(say("check.organizations"), True))
    assert (bare["detail"], bare["detail_key"], bare["detail_values"]) == ("", None, {})
