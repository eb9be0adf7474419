"""ISO 4217 active currency codes and their minor units, vendored (no dependency): `base_currency` must
be one of the codes; reports show amounts at the minor unit (ADR 0021)."""

from __future__ import annotations

import difflib

ISO_4217_ACTIVE: frozenset[str] = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP
    BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB
    EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY
    KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR
    MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB
    RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD
    TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XAG XAU XBA XBB XBC XBD XCD XCG
    XDR XOF XPD XPF XPT XSU XTS XUA XXX YER ZAR ZMW ZWG
    """.split()  # noqa: SIM905 - a block of codes reads like the standard's table
)

COMMON_ALIASES: dict[str, str] = {"RMB": "CNY", "CNH": "CNY", "NTD": "TWD", "UKP": "GBP", "STG": "GBP"}
"""Names people write for a currency that are not its ISO code (RMB is the renminbi: CNY)."""


def currency_problem(code: str) -> str | None:
    """None when `code` is an active ISO 4217 code, else a sentence with the nearest code."""
    if code in ISO_4217_ACTIVE:
        return None
    guess = COMMON_ALIASES.get(code.upper())
    if guess is None:
        close = difflib.get_close_matches(code.upper(), sorted(ISO_4217_ACTIVE), n=1, cutoff=0.6)
        guess = close[0] if close else None
    hint = f": did you mean {guess}?" if guess else " (use an ISO 4217 code such as CNY or USD)"
    return f"{code!r} is not an ISO 4217 currency code{hint}"


MINOR_UNIT_EXCEPTIONS: dict[str, int] = {
    **dict.fromkeys(
        "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split(),  # noqa: SIM905
        0,
    ),
    **dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 3),  # noqa: SIM905
    **dict.fromkeys("CLF UYW".split(), 4),  # noqa: SIM905
}
"""ISO 4217 minor units (decimal places of the currency's smallest unit) that are not the usual 2."""
DEFAULT_MINOR_UNIT = 2


def minor_unit(code: str | None) -> int:
    """Decimal places of the currency's minor unit per ISO 4217: JPY 0, CNY 2, KWD 3 (2 when unknown)."""
    if code is None:
        return DEFAULT_MINOR_UNIT
    return MINOR_UNIT_EXCEPTIONS.get(code.upper(), DEFAULT_MINOR_UNIT)
