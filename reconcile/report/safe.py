"""Vendor text made harmless for each output: a spreadsheet never runs it, a terminal never obeys it.

Rules (docs/security.md, "Outputs and careless commands"):
- CSV: text starting with `=`, `+`, `-`, `@`, TAB or CR gets a leading single quote (OWASP's rule for
  CSV injection); numbers, dates and amounts are written as they are.
- XLSX: text is stored as a text cell, never a formula or an error value, without the control
  characters XML 1.0 cannot carry (a CR becomes a line feed); a text that would start a formula is
  also marked quote-prefixed, so editing the cell in Excel keeps it text.
- Terminal: control characters (C0, DEL, C1: ANSI and OSC-8 escapes start with ESC or CSI) and the
  bidirectional overrides are removed; tabs and line breaks become spaces where a line must stay one
  line. Rich markup is never parsed from such text (callers pass it as `rich.text.Text`).
"""

from __future__ import annotations

import re
from typing import Final

FORMULA_PREFIXES: Final = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet may read as the start of a formula (OWASP, CSV injection)."""

_XML_ILLEGAL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
"""Characters XML 1.0 (hence XLSX) cannot carry; openpyxl refuses them."""
_TERMINAL_CONTROLS: Final = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""C0 (but TAB and LF), DEL, C1 controls and the bidirectional embeddings, overrides and isolates."""
_LINE_BREAKS: Final = re.compile(r"[\t\n\r\x0b\x0c\x85\u2028\u2029]")


def csv_text(text: str) -> str:
    """`=HYPERLINK(...)` -> `'=HYPERLINK(...)`: a spreadsheet shows it instead of evaluating it."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def xlsx_text(text: str) -> str:
    """The text a workbook can store: the control characters XML forbids removed and a CR made a line
    feed (XML reads a stored CR back as one anyway), nothing else."""
    return _XML_ILLEGAL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def starts_formula(text: str) -> bool:
    """True when a spreadsheet would take the text as the start of a formula if typed in."""
    return text.startswith(FORMULA_PREFIXES)


def terminal_text(text: str, *, one_line: bool = False) -> str:
    """The text without anything a terminal would act on; with `one_line`, line breaks and tabs become
    spaces (a listing's row stays one row, a CR cannot rewrite the line before it)."""
    lines = _LINE_BREAKS.sub(" ", text) if one_line else text.replace("\r\n", "\n").replace("\r", "\n")
    return _TERMINAL_CONTROLS.sub("", lines)
