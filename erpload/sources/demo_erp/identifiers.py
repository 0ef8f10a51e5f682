"""Valid-looking identifiers with real check digits: VAT ids, IBANs with BICs, tax ids, integration ids.

Check digits come from python-stdnum where it offers a calculator; where it only offers a
checksum, the missing digit is solved from it. Everything draws from the `random.Random` passed
in, so the same seed gives the same ids.
"""

from __future__ import annotations

import datetime as dt
import random
import string
import uuid
from dataclasses import dataclass

from stdnum import iban, luhn
from stdnum.at import uid as at_uid
from stdnum.ch import uid as ch_uid
from stdnum.cz import dic as cz_dic
from stdnum.dk import cvr as dk_cvr
from stdnum.gb import vat as gb_vat
from stdnum.iso7064 import mod_11_10
from stdnum.nl import bsn as nl_bsn
from stdnum.pl import nip as pl_nip


def _digits(rnd: random.Random, count: int, *, first_nonzero: bool = True) -> str:
    first = str(rnd.randint(1 if first_nonzero else 0, 9))
    return first + "".join(str(rnd.randint(0, 9)) for _ in range(count - 1))


def de_vat_from(base: str) -> str:
    """A German USt-IdNr. from 8 digits: ISO 7064 MOD 11,10 check digit."""
    return "DE" + base + mod_11_10.calc_check_digit(base)


def dk_cvr_from(base: str) -> str | None:
    """A CVR number from 7 digits (weights 2,7,6,5,4,3,2,1 mod 11); None if no digit fits."""
    check = -dk_cvr.checksum(base + "0") % 11
    return None if check == 10 else base + str(check)


def vat_id(rnd: random.Random, country: str) -> str | None:
    """A VAT id with valid check digits for `country`; None where businesses have none (US)."""
    while True:
        if country == "DE":
            return de_vat_from(_digits(rnd, 8))
        if country == "AT":
            body = "U" + _digits(rnd, 7)
            return "AT" + body + at_uid.calc_check_digit(body)
        if country == "DK":
            cvr = dk_cvr_from(_digits(rnd, 7))
            if cvr:
                return "DK" + cvr
        elif country == "NL":
            body = _digits(rnd, 8)
            check = nl_bsn.checksum(body + "0")  # (weighted sum - last digit) mod 11
            if check < 10:
                return f"NL{body}{check}B01"
        elif country == "PL":
            body = _digits(rnd, 9)
            check = pl_nip.checksum(body + "0")  # last weight is -1
            if check < 10:
                return f"PL{body}{check}"
        elif country == "CZ":
            body = str(rnd.randint(1, 8)) + _digits(rnd, 6, first_nonzero=False)
            return "CZ" + body + cz_dic.calc_check_digit_legal(body)
        elif country == "CH":
            body = _digits(rnd, 8)
            uid_check = ch_uid.calc_check_digit(body)
            if uid_check != "10":
                return f"CHE{body}{uid_check}MWST"
        elif country == "GB":
            body = _digits(rnd, 7)
            check = -gb_vat.checksum(body + "00") % 97  # weights 10 and 1 on the last two digits
            return f"GB{body}{check:02d}"
        elif country == "SE":
            body = "5" + _digits(rnd, 8, first_nonzero=False)  # aktiebolag numbers start with 5
            return f"SE{body}{luhn.calc_check_digit(body)}01"
        else:
            return None


@dataclass(frozen=True)
class Bank:
    """A real bank: national bank code as used in its IBANs, BIC and name."""

    country: str
    code: str
    bic: str
    name: str


BANKS: dict[str, tuple[Bank, ...]] = {
    "DE": (
        Bank("DE", "20040000", "COBADEHHXXX", "Commerzbank Hamburg"),
        Bank("DE", "20050550", "HASPDEHHXXX", "Hamburger Sparkasse"),
        Bank("DE", "20070000", "DEUTDEHHXXX", "Deutsche Bank Hamburg"),
        Bank("DE", "70150000", "SSKMDEMMXXX", "Stadtsparkasse München"),
        Bank("DE", "70020270", "HYVEDEMMXXX", "UniCredit Bank - HypoVereinsbank"),
        Bank("DE", "29050101", "SBREDE22XXX", "Sparkasse Bremen"),
        Bank("DE", "10010010", "PBNKDEFFXXX", "Postbank Berlin"),
        Bank("DE", "43060967", "GENODEM1GLS", "GLS Gemeinschaftsbank"),
        Bank("DE", "50010517", "INGDDEFFXXX", "ING-DiBa"),
        Bank("DE", "60050101", "SOLADEST600", "Landesbank Baden-Württemberg"),
        Bank("DE", "37050198", "COLSDE33XXX", "Sparkasse KölnBonn"),
        Bank("DE", "86055592", "WELADE8LXXX", "Sparkasse Leipzig"),
    ),
    "AT": (
        Bank("AT", "20111", "GIBAATWWXXX", "Erste Bank der oesterreichischen Sparkassen"),
        Bank("AT", "12000", "BKAUATWWXXX", "UniCredit Bank Austria"),
        Bank("AT", "32000", "RLNWATWWXXX", "Raiffeisenlandesbank NÖ-Wien"),
        Bank("AT", "60000", "BAWAATWWXXX", "BAWAG P.S.K."),
    ),
    "DK": (
        Bank("DK", "3000", "DABADKKKXXX", "Danske Bank"),
        Bank("DK", "2000", "NDEADKKKXXX", "Nordea Danmark"),
        Bank("DK", "7040", "JYBADKKKXXX", "Jyske Bank"),
        Bank("DK", "6471", "SYBKDK22XXX", "Sydbank"),
        Bank("DK", "5301", "ALBADKKKXXX", "Arbejdernes Landsbank"),
    ),
    "NL": (
        Bank("NL", "ABNA", "ABNANL2AXXX", "ABN AMRO Bank"),
        Bank("NL", "INGB", "INGBNL2AXXX", "ING Bank"),
        Bank("NL", "RABO", "RABONL2UXXX", "Rabobank"),
    ),
    "PL": (
        Bank("PL", "10201026", "BPKOPLPWXXX", "PKO Bank Polski"),
        Bank("PL", "11402004", "BREXPLPWXXX", "mBank"),
        Bank("PL", "12401037", "PKOPPLPWXXX", "Bank Pekao"),
        Bank("PL", "10501445", "INGBPLPWXXX", "ING Bank Śląski"),
    ),
    "CZ": (
        Bank("CZ", "0800", "GIBACZPXXXX", "Česká spořitelna"),
        Bank("CZ", "0100", "KOMBCZPPXXX", "Komerční banka"),
        Bank("CZ", "0300", "CEKOCZPPXXX", "ČSOB"),
    ),
    "CH": (
        Bank("CH", "00230", "UBSWCHZH80A", "UBS Switzerland"),
        Bank("CH", "09000", "POFICHBEXXX", "PostFinance"),
        Bank("CH", "00700", "ZKBKCHZZ80A", "Zürcher Kantonalbank"),
    ),
    "GB": (
        Bank("GB", "NWBK601613", "NWBKGB2LXXX", "NatWest"),
        Bank("GB", "BARC200000", "BARCGB22XXX", "Barclays Bank"),
        Bank("GB", "CITI185008", "CITIGB2LXXX", "Citibank London"),
    ),
    "SE": (
        Bank("SE", "500", "ESSESESSXXX", "SEB"),
        Bank("SE", "800", "SWEDSESSXXX", "Swedbank"),
        Bank("SE", "600", "HANDSESSXXX", "Handelsbanken"),
    ),
}
# Account-number digits after the bank code, so the BBAN has the country's IBAN length.
_ACCOUNT_DIGITS = {"DE": 10, "AT": 11, "DK": 10, "NL": 10, "PL": 16, "CZ": 16, "CH": 12, "GB": 8, "SE": 17}


def bank_for(rnd: random.Random, country: str) -> Bank:
    """A bank in `country`; US businesses bank here through a London branch."""
    return rnd.choice(BANKS.get(country, BANKS["GB"]))


def iban_at(rnd: random.Random, bank: Bank) -> str:
    """An IBAN at `bank` with correct mod-97 check digits."""
    bban = bank.code + _digits(rnd, _ACCOUNT_DIGITS[bank.country], first_nonzero=False)
    return bank.country + iban.calc_check_digits(bank.country + "00" + bban) + bban


def break_iban(rnd: random.Random, number: str) -> str:
    """The same IBAN with wrong check digits (a typo the mod-97 test catches)."""
    wrong = (int(number[2:4]) + rnd.randint(1, 90)) % 97
    if wrong < 2:
        wrong += 2
    return f"{number[:2]}{wrong:02d}{number[4:]}"


def steuer_idnr(rnd: random.Random) -> str:
    """A German Steuer-IdNr.: 10 digits with exactly one digit twice, then MOD 11,10."""
    digits = rnd.sample(range(10), 9)
    if digits[0] == 0:
        digits[0], digits[1] = digits[1], digits[0]
    digits.insert(rnd.randint(1, 9), rnd.choice(digits))
    body = "".join(map(str, digits))
    return body + mod_11_10.calc_check_digit(body)


def cpr(rnd: random.Random, birth_date: dt.date) -> str:
    """A Danish CPR number DDMMYY-SSSS (serial 0xxx-3xxx = born 1900-1999)."""
    return birth_date.strftime("%d%m%y") + f"-{rnd.randint(0, 3)}{rnd.randint(0, 999):03d}"


def us_ein(rnd: random.Random) -> str:
    """A US Employer Identification Number with a prefix the IRS assigns."""
    return f"{rnd.choice(('20', '27', '45', '46', '47', '81', '84', '94'))}-{_digits(rnd, 7)}"


def uuid4(rnd: random.Random) -> str:
    """A version-4 UUID from `rnd`."""
    return str(uuid.UUID(int=rnd.getrandbits(128), version=4))


def hex_id(rnd: random.Random, length: int = 24) -> str:
    """A lowercase hex id like a MongoDB ObjectId (Telecom X uses these)."""
    return f"{rnd.getrandbits(4 * length):0{length}x}"


def base62_id(rnd: random.Random, length: int = 24) -> str:
    """A mixed-case alphanumeric id like Kombo's integration ids."""
    alphabet = string.ascii_letters + string.digits
    return "".join(rnd.choice(alphabet) for _ in range(length))
