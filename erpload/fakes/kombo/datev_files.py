"""The files a push returns unless a knob replaces them, generated from an integration's employees.

Kombo's real file names and contents are [UNVERIFIED] (vendor-apis.md §2.3); these are plausible stand-ins in
DATEV's two shapes, both Windows-1252 encodable with CR LF line ends:

- EXTF (`EXTF_Stammdaten.csv`, payroll: `EXTF_Bewegungsdaten.csv`): a DATEV-Format Buchungsstapel (category 21,
  version 13; datev-extf.md §2, §3) with one salary posting per active employee with a salary, SKR03 Gehälter
  4120 against Verbindlichkeiten Lohn/Gehalt 1740, dated the last day of the month.
- LODAS ASCII (`LODAS_Stammdaten.txt`, payroll: `LODAS_Bewegungsdaten.txt`): the INI-like `[Allgemein]` /
  `[Satzbeschreibung]` / `[Stammdaten]` (or `[Bewegungsdaten]`) layout, one line per active employee with the
  personnel number first. The record and field names are from memory of LODAS imports [UNVERIFIED].

Both are deterministic: the same employees and month give the same bytes (the EXTF timestamp is the month's
last day, noon).

>>> from erpload.fakes.kombo.models import Employee, Integration
>>> team = Integration(id="datev:abc", employees=[Employee(personnel_no="7", first_name="Ada", last_name="Ng",
...                                                        monthly_salary="3100.5")])
>>> lodas = lodas_file(team, date(2026, 11, 1), payroll=False).content
>>> lodas.splitlines()[-1]
'1;7;Ng;Ada;'
>>> extf_file(team, date(2026, 11, 1), payroll=False).content.split("\\r\\n")[2][:40]
'3100,50;"S";"EUR";;;"";4120;1740;"";3011'
"""

from __future__ import annotations

import calendar
import re
from datetime import date
from decimal import Decimal

from erpload.fakes.kombo.models import Employee, Integration, KomboFile

LINE_END = "\r\n"
SALARY_ACCOUNT = 4120  # SKR03 Gehälter
LIABILITY_ACCOUNT = 1740  # SKR03 Verbindlichkeiten aus Lohn und Gehalt
_NOT_IN_BELEGFELD = re.compile(r"[^A-Za-z0-9$&%*+\-/]")

#: line 2 of a Buchungsstapel, version 13: the 125 official headings in file order (datev-extf.md §3.2)
_HEADINGS: list[str] = [
    "Umsatz (ohne Soll/Haben-Kz)", "Soll/Haben-Kennzeichen", "WKZ Umsatz", "Kurs", "Basis-Umsatz",
    "WKZ Basis-Umsatz", "Konto", "Gegenkonto (ohne BU-Schlüssel)", "BU-Schlüssel", "Belegdatum", "Belegfeld 1",
    "Belegfeld 2", "Skonto", "Buchungstext", "Postensperre", "Diverse Adressnummer", "Geschäftspartnerbank",
    "Sachverhalt", "Zinssperre", "Beleglink",
    *[f"Beleginfo - {part} {i}" for i in range(1, 9) for part in ("Art", "Inhalt")],
    "KOST1 - Kostenstelle", "KOST2 - Kostenstelle", "Kost-Menge", "EU-Land u. UStID (Bestimmung)",
    "EU-Steuersatz (Bestimmung)", "Abw. Versteuerungsart", "Sachverhalt L+L", "Funktionsergänzung L+L",
    "BU 49 Hauptfunktionstyp", "BU 49 Hauptfunktionsnummer", "BU 49 Funktionsergänzung",
    *[h for i in range(1, 21) for h in (f"Zusatzinformation - Art {i}", f"Zusatzinformation- Inhalt {i}")],
    "Stück", "Gewicht", "Zahlweise", "Forderungsart", "Veranlagungsjahr", "Zugeordnete Fälligkeit", "Skontotyp",
    "Auftragsnummer", "Buchungstyp", "USt-Schlüssel (Anzahlungen)", "EU-Land (Anzahlungen)",
    "Sachverhalt L+L (Anzahlungen)", "EU-Steuersatz (Anzahlungen)", "Erlöskonto (Anzahlungen)", "Herkunft-Kz",
    "Buchungs GUID", "KOST-Datum", "SEPA-Mandatsreferenz", "Skontosperre", "Gesellschaftername",
    "Beteiligtennummer", "Identifikationsnummer", "Zeichnernummer", "Postensperre bis",
    "Bezeichnung SoBil-Sachverhalt", "Kennzeichen SoBil-Buchung", "Festschreibung", "Leistungsdatum",
    "Datum Zuord. Steuerperiode", "Fälligkeit", "Generalumkehr (GU)", "Steuersatz", "Land", "Abrechnungsreferenz",
    "BVV-Position", "EU-Land u. UStID (Ursprung)", "EU-Steuersatz (Ursprung)", "Abw. Skontokonto",
]
assert len(_HEADINGS) == 125


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _cp1252(text: str) -> str:
    """`text` with what Windows-1252 cannot hold replaced by `?`: a name from the ERP must not break the file."""
    return text.encode("cp1252", errors="replace").decode("cp1252")


def _amount(value: Decimal) -> str:
    """Two decimals, decimal comma, no thousands separator (datev-extf.md §1 rule 8)."""
    return f"{value.quantize(Decimal('0.01')):f}".replace(".", ",")


def _month_bounds(month: date) -> tuple[date, date]:
    first = month.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def _listed(integration: Integration) -> list[Employee]:
    return [e for e in integration.employees if e.active]


def generated_warnings(integration: Integration) -> list[str]:
    """What a push warns about by default: employees left out of the files or changed in them, and why."""
    warnings = [f"Employee {e.personnel_no} is inactive and was not pushed to DATEV."
                for e in integration.employees if not e.active]
    warnings += [f"Employee {e.personnel_no}: characters outside Windows-1252 were replaced by '?'."
                 for e in _listed(integration)
                 if any(_cp1252(t) != t for t in (e.personnel_no, e.first_name, e.last_name))]
    if "extf" in integration.formats:
        warnings += [f"Employee {e.personnel_no} has no compensation; no salary posting was created."
                     for e in _listed(integration) if e.monthly_salary is None]
    return warnings


def extf_file(integration: Integration, month: date, *, payroll: bool) -> KomboFile:
    """The month's salary postings as a DATEV-Format Buchungsstapel."""
    first, last = _month_bounds(month)
    header = [
        _quoted("EXTF"), "700", "21", _quoted("Buchungsstapel"), "13", last.strftime("%Y%m%d") + "120000000", "",
        _quoted("RE"), _quoted("Kombo"), _quoted(""), str(integration.consultant_no), str(integration.client_no),
        first.replace(month=1).strftime("%Y%m%d"), "4", first.strftime("%Y%m%d"), last.strftime("%Y%m%d"),
        _quoted(f"Lohn {first:%m/%Y}"), _quoted(""), "1", "0", "0", _quoted("EUR"), "", _quoted(""), "", "",
        _quoted("03"), "", "", _quoted(""), _quoted(""),
    ]
    lines = [";".join(header), ";".join(_HEADINGS)]
    for employee in _listed(integration):
        if employee.monthly_salary is None:
            continue
        row = [""] * len(_HEADINGS)
        row[0] = _amount(employee.monthly_salary)
        row[1], row[2], row[5] = _quoted("S"), _quoted("EUR"), _quoted("")
        row[6], row[7], row[8] = str(SALARY_ACCOUNT), str(LIABILITY_ACCOUNT), _quoted("")
        row[9] = last.strftime("%d%m")
        row[10] = _quoted(_NOT_IN_BELEGFELD.sub("", f"LG{first:%Y%m}-{employee.personnel_no}")[:36])
        row[11] = _quoted("")
        text = f"Gehalt {employee.personnel_no} {employee.last_name}, {employee.first_name}"
        row[13] = _quoted(_cp1252(text)[:60])
        lines.append(";".join(row))
    name = "EXTF_Bewegungsdaten.csv" if payroll else "EXTF_Stammdaten.csv"
    return KomboFile(name=name, content=LINE_END.join(lines) + LINE_END)


def lodas_file(integration: Integration, month: date, *, payroll: bool) -> KomboFile:
    """The active employees as a LODAS ASCII import: master data, or the month's salary (payroll push)."""
    first, _ = _month_bounds(month)
    lines = ["[Allgemein]", "Ziel=LODAS", "Version_SST=1.0", f"BeraterNr={integration.consultant_no}",
             f"MandantenNr={integration.client_no}", "Feldtrennzeichen=;", "Zahlenkomma=,",
             "Datumsformat=JJJJ-MM-TT", "", "[Satzbeschreibung]"]
    if payroll:
        lines += ["10;u_lod_bwd_buchung_standard;abrechnung_zeitraum#bwd;pnr#bwd;bs_wert_butab#bwd;", "",
                  "[Bewegungsdaten]"]
        lines += [f"10;{first:%Y-%m-%d};{_cp1252(e.personnel_no)};{_amount(e.monthly_salary)};"
                  for e in _listed(integration) if e.monthly_salary is not None]
    else:
        lines += ["1;u_lod_psd_mitarbeiter;pnr#psd;duevo_familienname#psd;duevo_vorname#psd;", "",
                  "[Stammdaten]"]
        lines += [f"1;{_cp1252(e.personnel_no)};{_cp1252(e.last_name)};{_cp1252(e.first_name)};"
                  for e in _listed(integration)]
    name = "LODAS_Bewegungsdaten.txt" if payroll else "LODAS_Stammdaten.txt"
    return KomboFile(name=name, content=LINE_END.join(lines) + LINE_END)


def generated_files(integration: Integration, month: date, *, payroll: bool) -> list[KomboFile]:
    """The files of the integration's formats, EXTF first."""
    makers = {"extf": extf_file, "lodas": lodas_file}
    return [makers[f](integration, month, payroll=payroll) for f in ("extf", "lodas") if f in integration.formats]
