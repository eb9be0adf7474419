"""Connection checks as people read them: each CheckResult's `what` and `detail` said in one language
(English by default: the words `connector test --json` keeps), for tests that read the lines."""

from __future__ import annotations

from collections.abc import Iterable

from connectors.base import CheckResult
from reconcile.report.i18n import Catalogue, Lang
from sync.check_words import check_line


def said(results: Iterable[CheckResult], lang: Lang = "en") -> list[CheckResult]:
    """The results with `what` and `detail` as text in `lang` (ok and state unchanged)."""
    catalogue = Catalogue(lang)
    lines = []
    for result in results:
        what, detail = check_line(catalogue, result)
        lines.append(CheckResult(what, result.ok, detail, result.state))  # type: ignore[arg-type]
    return lines
