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
        "{connector}: {file} rejected {recorded_at}: {said}",
        "{connector}：{file} 于 {recorded_at} 被拒收：{said}",
    ),
    # ---------------------------------------------------------------- why a file is rejected or loads nothing
    # (connectors/bank StatementError.code, and `already_loaded`; the file's `where` goes before the sentence)
    "bank.reason.unbalanced": (
        "the lines do not add up: opening {opening} + lines {lines} = {sum}, but the closing balance is "
        "{closing}: difference {difference} {currency}",
        "流水合计与余额不符：期初 {opening} + 流水 {lines} = {sum}，但期末余额为 {closing}："
        "差额 {difference} {currency}",
    ),
    "bank.reason.running_balance": (
        "the running balance does not add up: {previous} + {amount} = {expected}, the row says {found} "
        "(difference {difference})",
        "余额不连续：{previous} + {amount} = {expected}，该行余额为 {found}（差额 {difference}）",
    ),
    "bank.reason.xml_malformed": (
        "the XML is malformed or truncated ({error}) inside {inside}",
        "XML 格式错误或文件不完整（{error}），位于 {inside}",
    ),
    "bank.reason.xml_refused": (
        "refused: {error} (no DTD, entity or external reference is read)",
        "已拒绝：{error}（不读取 DTD、实体或外部引用）",
    ),
    "bank.reason.empty_file": ("the file is empty", "文件为空"),
    "bank.reason.not_camt053": (
        "not a camt.053 document (no Document/BkToCstmrStmt)",
        "不是 camt.053 文档（缺少 Document/BkToCstmrStmt）",
    ),
    "bank.reason.not_mt940": ("no :20: tag: not an MT940 statement", "没有 :20: 标签：不是 MT940 对账单"),
    "bank.reason.not_ofx": ("no <OFX> element: not an OFX file", "没有 <OFX> 元素：不是 OFX 文件"),
    "bank.reason.not_xlsx": ("not a readable XLSX workbook: {error}", "不是可读取的 XLSX 工作簿：{error}"),
    "bank.reason.unknown_format": (
        "the format is not recognized (camt.053 XML, MT940, OFX/QFX, CSV or XLSX)",
        "无法识别文件格式（支持 camt.053 XML、MT940、OFX/QFX、CSV、XLSX）",
    ),
    "bank.reason.no_statement": ("the file holds no statement", "文件中没有对账单"),
    "bank.reason.no_account": (
        "the statement names no account ({expected})",
        "对账单未注明账号（{expected}）",
    ),
    "bank.reason.no_currency": ("no currency is stated ({expected})", "未注明币种（{expected}）"),
    "bank.reason.no_balance": ("the statement has no {tag} balance", "对账单缺少 {tag} 余额"),
    "bank.reason.one_balance": (
        "the statement has only one of the opening ({opening}) and closing ({closing}) balances",
        "对账单只有期初（{opening}）或期末（{closing}）余额之一",
    ),
    "bank.reason.no_booking_date": (
        "the line has no booking date ({expected})",
        "该笔流水没有记账日期（{expected}）",
    ),
    "bank.reason.missing_element": ("the element {element} is missing", "缺少元素 {element}"),
    "bank.reason.bad_indicator": (
        "CdtDbtInd is {value!r}, not CRDT or DBIT",
        "CdtDbtInd 为 {value!r}，应为 CRDT 或 DBIT",
    ),
    "bank.reason.foreign_currency": (
        "a line in {currency} on an account kept in {account_currency}",
        "以 {account_currency} 记账的账户中出现 {currency} 流水",
    ),
    "bank.reason.not_a_currency": (
        "currency {value!r} is not an ISO 4217 code",
        "币种 {value!r} 不是 ISO 4217 代码",
    ),
    "bank.reason.not_a_date": (
        "{value!r} is not a date ({formats})",
        "{value!r} 不是日期（{formats}）",
    ),
    "bank.reason.not_a_number": ("amount {value!r} is not a number", "金额 {value!r} 不是数字"),
    "bank.reason.amount_comma": (
        "amount {value!r} must have exactly one decimal comma",
        "金额 {value!r} 必须恰好有一个小数逗号",
    ),
    "bank.reason.empty_amount": ("the amount is empty", "金额为空"),
    "bank.reason.tag_before_20": ("a tag before the first :20:", "第一个 :20: 之前出现了标签"),
    "bank.reason.text_before_tag": ("text before the first tag: {text!r}", "第一个标签之前有文字：{text!r}"),
    "bank.reason.line_before_opening": (
        ":61: before the opening balance :60F:",
        ":61: 出现在期初余额 :60F: 之前",
    ),
    "bank.reason.balance_currencies": (
        "the closing balance is in {closing}, the opening in {opening}",
        "期末余额币种为 {closing}，期初为 {opening}",
    ),
    "bank.reason.bad_balance": (
        "balance {value!r} is not D/C mark, YYMMDD, currency, amount with a decimal comma",
        "余额 {value!r} 不符合格式：借贷标记 D/C、YYMMDD、币种、带小数逗号的金额",
    ),
    "bank.reason.bad_line": (
        "statement line {value!r} is not value date YYMMDD, [entry date MMDD], mark C/D/RC/RD, amount with a "
        "decimal comma, type code (e.g. NTRF), reference",
        "流水行 {value!r} 不符合格式：起息日 YYMMDD、[记账日 MMDD]、标记 C/D/RC/RD、带小数逗号的金额、"
        "交易类型代码（如 NTRF）、参考号",
    ),
    "bank.reason.ofx_stray_close": ("</{tag}> closes nothing that is open", "</{tag}> 没有对应的开始标签"),
    "bank.reason.ofx_unclosed": (
        "<{tag}> (line {opened}) is not closed before </{closing}>",
        "<{tag}>（第 {opened} 行）在 </{closing}> 之前未结束",
    ),
    "bank.reason.ofx_truncated": (
        "<{tag}> is never closed: the file is truncated",
        "<{tag}> 未结束：文件不完整",
    ),
    "bank.reason.ofx_correction": (
        "a correction ({action} of FITID {fitid}) is not applied: corrections are not supported yet; load "
        "the bank's corrected statement instead",
        "不支持更正记录（{action}，FITID {fitid}）：请改为导入银行出具的更正后对账单",
    ),
    "bank.reason.bad_encoding": ("the file is not {encoding}: {error}", "文件编码不是 {encoding}：{error}"),
    "bank.reason.no_header": (
        "no header row holds the date column {column!r}",
        "找不到含日期列 {column!r} 的表头行",
    ),
    "bank.reason.missing_columns": (
        "the header row lacks the mapped column(s) {columns}",
        "表头缺少映射的列：{columns}",
    ),
    "bank.reason.several_accounts": (
        "rows of several accounts ({accounts}): one account per file",
        "文件包含多个账号的流水（{accounts}）：每个文件只能有一个账号",
    ),
    "bank.reason.several_currencies": (
        "rows in several currencies ({currencies}): one currency per file",
        "文件包含多个币种的流水（{currencies}）：每个文件只能有一个币种",
    ),
    "bank.reason.credit_and_debit": (
        "both {credit} and {debit} are filled in",
        "{credit} 和 {debit} 同时有金额",
    ),
    "bank.reason.format_disabled": (
        "format {format} is not enabled for connector {connector} (formats: {formats})",
        "连接器 {connector} 未启用 {format} 格式（已启用：{formats}）",
    ),
    "bank.reason.needs_mapping": (
        "a {format} export needs the connector's csv column mapping",
        "{format} 文件需要在连接器中配置 csv 列映射",
    ),
    "bank.reason.account_not_allowed": (
        "account {account} is not one of connector {connector}'s accounts",
        "账号 {account} 不在连接器 {connector} 的账号列表中",
    ),
    "bank.reason.invalid_line": (
        "the line cannot be a ledger document: {field}: {error}",
        "该笔流水无法记入账本：{field}：{error}",
    ),
    "bank.reason.already_loaded": (
        "loaded before on {loaded_at} UTC as {filename}",
        "已于 {loaded_at}（UTC）以 {filename} 导入",
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
