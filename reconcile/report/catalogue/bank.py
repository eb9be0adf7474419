"""Bank statement source (issue 21): the document kind's name, the import command's output and help."""

from __future__ import annotations

from typing import Final

MESSAGES: Final[dict[str, tuple[str, str]]] = {
    "kind.bank_transaction": ("Bank transaction", "银行流水"),
    # ---------------------------------------------------------------- ledgerbridge import statement
    "import.loaded": (
        "{file}: loaded {lines} lines ({created} new, {unchanged} already in the ledger)",
        "{file}：已导入 {lines} 笔（新增 {created} 笔，账本中已有 {unchanged} 笔）",
    ),
    "import.duplicate": (
        "{file}: this file was already loaded ({reason}); nothing loaded again",
        "{file}：此文件已导入过（{reason}），未重复导入",
    ),
    "import.rejected": (
        "{file}: rejected, nothing loaded: {reason}",
        "{file}：已拒收，未导入任何流水：{reason}",
    ),
    "import.moved": ("  moved to {path}", "  已移至 {path}"),
    "import.none_waiting": ("No statement files waiting in {inbox}.", "{inbox} 中没有待导入的对账单文件。"),
    "import.rejected_count": (
        "{count} file(s) rejected: see the reasons above (and the .reason.txt files in rejected/)",
        "{count} 个文件被拒收：原因见上（以及 rejected/ 中的 .reason.txt 文件）",
    ),
    "import.no_connector": (
        "no bank_statement connector is configured: add one (kind: bank_statement) to the config",
        "未配置 bank_statement 连接器：请在配置中添加一个（kind: bank_statement）",
    ),
    "import.which_connector": (
        "several bank_statement connectors ({names}): name one with --connector",
        "有多个 bank_statement 连接器（{names}）：请用 --connector 指定一个",
    ),
    "import.not_bank": (
        "connector {connector} is not a configured bank_statement connector",
        "连接器 {connector} 不是已配置的 bank_statement 连接器",
    ),
    "import.no_inbox": (
        "connector {connector} has no inbox: name the files to load",
        "连接器 {connector} 未配置 inbox：请指定要导入的文件",
    ),
    "import.locked": (
        "{lock}: nothing imported (a run of this connector is in progress; try again when it ends)",
        "{lock}：未导入（此连接器正在运行，请稍后再试）",
    ),
    # ---------------------------------------------------------------- sync status: the last files
    "import.status.loaded": (
        "{connector}: {file} loaded {recorded_at}: {lines} lines, {created} new",
        "{connector}：{file} 于 {recorded_at} 导入：{lines} 笔，新增 {created} 笔",
    ),
    "import.status.duplicate": (
        "{connector}: {file} {recorded_at}: already loaded, nothing loaded again",
        "{connector}：{file} {recorded_at}：已导入过，未重复导入",
    ),
    "import.status.rejected": (
        "{connector}: {file} rejected {recorded_at}: {reason}",
        "{connector}：{file} 于 {recorded_at} 被拒收：{reason}",
    ),
    # ---------------------------------------------------------------- help
    "help.import": ("Load files into the ledger: bank statements.", "把文件导入账本：银行对账单。"),
    "help.import.statement": (
        "Load bank statement files (camt.053, MT940, OFX/QFX, CSV/XLSX); without FILE, those waiting in the "
        "connector's inbox. Exit 1 if a file was rejected.",
        "导入银行对账单文件（camt.053、MT940、OFX/QFX、CSV/XLSX）；不指定 FILE 时导入连接器 inbox 中待导入的"
        "文件。有文件被拒收时退出码为 1。",
    ),
    "help.import.statement.--connector": ("The bank_statement connector.", "bank_statement 连接器。"),
}
