"""Catalogue section: why a record is quarantined, per rule code (connectors/reasons.py `Rule`), as a
sentence (`quarantine.rule.<code>`: {field}, {value}; `invalid` also {detail}, the English detail) and as a
short label for `sync status`'s count per field (`quarantine.label.<code>`)."""

from __future__ import annotations

from typing import Final

_SENTENCES: Final[dict[str, tuple[str, str]]] = {
    "quarantine.rule.missing": ("{field} is missing", "{field} 缺失"),
    "quarantine.rule.not_a_number": ("{field}: {value} is not a number", "{field}：{value} 不是数字"),
    "quarantine.rule.not_exact": (
        "{field}: {value} is a binary float, not an exact number",
        "{field}：{value} 是二进制浮点数，不是精确数值",
    ),
    "quarantine.rule.not_finite": (
        "{field}: {value} is not a finite number",
        "{field}：{value} 不是有限数值",
    ),
    "quarantine.rule.too_large": (
        "{field}: {value} is too large (an amount must stay below 10^13 in magnitude)",
        "{field}：{value} 过大（金额的绝对值必须小于 10^13）",
    ),
    "quarantine.rule.too_precise": (
        "{field}: {value} has more than 4 decimal places",
        "{field}：{value} 的小数超过 4 位",
    ),
    "quarantine.rule.lines_over_bound": (
        "{field}: the line amounts add up to {value} in magnitude; a document's lines must add up to less "
        "than 10^13",
        "{field}：各行金额的绝对值合计为 {value}；一张单据各行的合计必须小于 10^13",
    ),
    "quarantine.rule.not_a_date": (
        "{field}: {value} is not a yyyy-mm-dd date",
        "{field}：{value} 不是 yyyy-mm-dd 格式的日期",
    ),
    "quarantine.rule.not_a_time": (
        "{field}: {value} is not a time with a UTC offset",
        "{field}：{value} 不是带时区偏移的时间",
    ),
    "quarantine.rule.not_a_timestamp": (
        "{field}: {value} is not a millisecond timestamp",
        "{field}：{value} 不是毫秒时间戳",
    ),
    "quarantine.rule.not_text": ("{field}: {value} is not text", "{field}：{value} 不是文本"),
    "quarantine.rule.not_a_boolean": (
        "{field}: {value} is not true or false",
        "{field}：{value} 不是 true 或 false",
    ),
    "quarantine.rule.not_a_list": ("{field}: {value} is not a list", "{field}：{value} 不是列表"),
    "quarantine.rule.not_an_object": ("{field}: {value} is not an object", "{field}：{value} 不是对象"),
    "quarantine.rule.not_an_id": (
        "{field}: {value} is not an id (a string of digits)",
        "{field}：{value} 不是编号（应为数字串）",
    ),
    "quarantine.rule.not_a_currency": (
        "{field}: {value} is not an ISO 4217 currency code",
        "{field}：{value} 不是 ISO 4217 货币代码",
    ),
    "quarantine.rule.not_positive": ("{field}: {value} is not positive", "{field}：{value} 不是正数"),
    "quarantine.rule.not_allowed": (
        "{field}: {value} is not one of the allowed values",
        "{field}：{value} 不是允许的取值",
    ),
    "quarantine.rule.wrong_kind": (
        "{field}: {value} does not belong in this stream",
        "{field}：{value} 不属于这个数据流",
    ),
    "quarantine.rule.wrong_source": (
        "{field}: the normalizer produced source {value}, not this connector's",
        "{field}：规范化结果的来源是 {value}，不是本连接器",
    ),
    "quarantine.rule.not_json": ("{field} is not valid JSON", "{field} 不是有效的 JSON"),
    "quarantine.rule.non_utf8": (
        "{field}: {value} is text that is not valid UTF-8",
        "{field}：{value} 不是有效的 UTF-8 文本",
    ),
    "quarantine.rule.integer_too_long": (
        "{field}: {value} is an integer too long to read",
        "{field}：{value} 是过长的整数，无法读取",
    ),
    "quarantine.rule.clock_skew": (
        "{field}: modified at {value}, later than this host's clock allows (max_clock_skew_minutes): the "
        "stream's cursor would skip records modified before it",
        "{field}：修改时间 {value} 晚于本机时钟允许的范围（max_clock_skew_minutes）：数据流的游标会跳过"
        "在此之前修改的记录",
    ),
    "quarantine.rule.duplicate_in_page": (
        "{field}: {value} came twice in one page with different contents; this earlier copy was not "
        "written, the page's last copy was",
        "{field}：{value} 在同一页中出现两次且内容不同；较早的这一份未写入，写入的是该页最后一份",
    ),
    "quarantine.rule.invalid": (
        "{field}: {value} is not valid ({detail})",
        "{field}：{value} 无效（{detail}）",
    ),
}

_LABELS: Final[dict[str, tuple[str, str]]] = {
    "quarantine.label.missing": ("missing", "缺失"),
    "quarantine.label.not_a_number": ("not a number", "不是数字"),
    "quarantine.label.not_exact": ("not an exact number", "不是精确数值"),
    "quarantine.label.not_finite": ("not a finite number", "不是有限数值"),
    "quarantine.label.too_large": ("amount too large", "金额过大"),
    "quarantine.label.too_precise": ("more than 4 decimal places", "小数超过 4 位"),
    "quarantine.label.lines_over_bound": ("lines add up beyond the bound", "各行合计超出上限"),
    "quarantine.label.not_a_date": ("not a date", "不是日期"),
    "quarantine.label.not_a_time": ("not a time", "不是时间"),
    "quarantine.label.not_a_timestamp": ("not a timestamp", "不是时间戳"),
    "quarantine.label.not_text": ("not text", "不是文本"),
    "quarantine.label.not_a_boolean": ("not true or false", "不是 true 或 false"),
    "quarantine.label.not_a_list": ("not a list", "不是列表"),
    "quarantine.label.not_an_object": ("not an object", "不是对象"),
    "quarantine.label.not_an_id": ("not an id", "不是编号"),
    "quarantine.label.not_a_currency": ("not a currency code", "不是货币代码"),
    "quarantine.label.not_positive": ("not positive", "不是正数"),
    "quarantine.label.not_allowed": ("not an allowed value", "不是允许的取值"),
    "quarantine.label.wrong_kind": ("wrong kind for the stream", "单据类型与数据流不符"),
    "quarantine.label.wrong_source": ("wrong source", "来源不符"),
    "quarantine.label.not_json": ("not JSON", "不是 JSON"),
    "quarantine.label.non_utf8": ("not UTF-8 text", "不是 UTF-8 文本"),
    "quarantine.label.integer_too_long": ("integer too long", "整数过长"),
    "quarantine.label.clock_skew": ("modified in the future", "修改时间在未来"),
    "quarantine.label.duplicate_in_page": ("same id twice in a page", "同页重复编号"),
    "quarantine.label.invalid": ("not valid", "无效"),
    "quarantine.label.unstructured": (
        "reason kept as text only (quarantined before reasons had fields)",
        "原因只有文字（在原因分字段记录之前被隔离）",
    ),
}

MESSAGES: Final[dict[str, tuple[str, str]]] = {
    **_SENTENCES,
    **_LABELS,
    "quarantine.record": ("the record", "整条记录"),
    "quarantine.no_value": ("(no value)", "（无值）"),
    "quarantine.field_unknown": ("(field not recorded)", "（未记录字段）"),
    "quarantine.by_field": ("  by field:", "  按字段统计："),
    "quarantine.group": ("    {field}: {label} ({count})", "    {field}：{label}（{count} 条）"),
}
