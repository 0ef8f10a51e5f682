"""The currency codes Maesn's booking proposals accept, as the seed lists them for every system.

The list is Maesn's, not today's ISO 4217: it still has retired codes (EEK, LTL, VEB, ZMK, ...) and
lacks some current ones (EUR's newer members need none, but e.g. VES or ZMW are missing). A code
outside it is refused by the API, so the transform rejects it before sending.

>>> "EUR" in CURRENCIES, "DKK" in CURRENCIES, "ZMW" in CURRENCIES
(True, True, False)
"""

from __future__ import annotations

_LISTED = """
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYR BZD CAD CDF CHF
CLP CNY COP CRC CUC CVE CZK DJF DKK DOP DZD EEK EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GQE GTQ GYD HKD
HNL HRK HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LTL
LVL LYD MAD MDL MGA MKD MMK MNT MOP MRO MUR MVR MWK MXN MYR MZM NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR
PLN PYG QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLL SOS SRD SYP SZL THB TJS TMT TND TRY TTD TWD TZS UAH UGX
USD UYU UZS VEB VND VUV WST XAF XCD XDR XOF XPF YER ZAR ZMK ZWR
"""
CURRENCIES = frozenset(_LISTED.split())
